//! The supervisor loop: one task that owns every child's state.
//!
//! It `select!`s over its children's exits, its mailbox (control calls,
//! stop and kill), readiness signals and its next timer. Whatever arrives is recorded at once; the
//! restart decisions it leads to run as a [`Plan`] of steps, one step at a
//! time, so the loop never waits on one child while something else needs
//! an answer.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

use super::command::Message;
use super::plan::{Plan, Step, Waiting};
use super::slots::{Slot, Slots, State};
use super::task::TaskExit;
use super::timers::Timers;
use super::{LoopEnd, Work};
use crate::ctx::{Ready, ReadySignal};
use crate::dynamic::Template;
use crate::error::StartError;
use crate::event::Event;
use crate::exit::ExitReason;
use crate::policy::auto_shutdown::AutoShutdown;
use crate::policy::intensity::{Intensity, IntensityWindow};
use crate::policy::rng::JitterRng;
use crate::policy::strategy::Strategy;
use crate::supervisor_spec::SupervisorSpec;

/// Where the loop is in its life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Starting the children declared in its spec, in order.
    Starting,
    Running,
    /// Stopping every child; the loop ends once all have ended.
    Stopping(Ending),
}

/// Why the loop is stopping.
#[derive(Debug)]
pub(crate) enum Ending {
    Requested,
    StartFailed(StartError),
    GaveUp { child: Arc<str>, reason: ExitReason },
}

/// How the loop tells whoever started it that all its children started.
pub(crate) enum Started {
    Root(Option<oneshot::Sender<()>>),
    Child(Option<ReadySignal>),
}

/// What a loop is handed by whoever starts it.
pub(crate) struct Link {
    pub(crate) path: Arc<str>,
    pub(crate) started: Started,
    pub(crate) events: broadcast::Sender<Event>,
    /// Control calls, stop and kill. Closed when the owner is gone, which
    /// counts as a stop request.
    pub(crate) mailbox: mpsc::UnboundedReceiver<Message>,
}

pub(crate) struct SupervisorLoop {
    pub(crate) path: Arc<str>,
    pub(crate) strategy: Strategy,
    pub(crate) limit: Intensity,
    pub(crate) intensity: IntensityWindow,
    pub(crate) auto_shutdown: AutoShutdown,
    /// The explicit shutdown order, by child id.
    pub(crate) stages: Option<Vec<Vec<Arc<str>>>>,
    pub(crate) slots: Slots,
    /// Where every child task reports its end.
    pub(crate) exits_tx: mpsc::UnboundedSender<TaskExit>,
    exits_rx: mpsc::UnboundedReceiver<TaskExit>,
    /// Child tasks spawned whose end has not been reported yet.
    pub(crate) alive: usize,
    /// Handles of tasks that reported their end, awaited before the loop
    /// returns, so that no task of the tree outlives it even for the moment
    /// between its report and its return.
    pub(crate) reaping: Vec<JoinHandle<()>>,
    pub(crate) timers: Timers,
    sleep: Pin<Box<Sleep>>,
    sleep_at: Option<Instant>,
    pub(crate) plan: Plan,
    pub(crate) work: VecDeque<Work>,
    pub(crate) ready_tx: mpsc::UnboundedSender<Ready>,
    ready_rx: mpsc::UnboundedReceiver<Ready>,
    mailbox: mpsc::UnboundedReceiver<Message>,
    mailbox_open: bool,
    pub(crate) killed: bool,
    pub(crate) phase: Phase,
    pub(crate) rng: JitterRng,
    pub(crate) events: broadcast::Sender<Event>,
    started: Started,
    /// For a dynamic supervisor, the template of its children.
    pub(crate) template: Option<Arc<Template>>,
    pub(crate) next_dynamic_id: u64,
    next_epoch: u64,
    next_step: u64,
}

impl SupervisorLoop {
    pub(crate) fn new(spec: &SupervisorSpec, link: Link) -> Self {
        let now = Instant::now();
        let (ready_tx, ready_rx) = mpsc::unbounded_channel();
        let (exits_tx, exits_rx) = mpsc::unbounded_channel();
        let mut slots = Slots::with_capacity(spec.children.len());
        for child in &spec.children {
            let path: Arc<str> = Arc::from(format!("{}/{}", link.path, child.id));
            slots.insert(Slot::new(child.clone(), path, now));
        }
        let stages = spec.shutdown_stages.as_ref().map(|stages| {
            stages.iter().map(|stage| stage.iter().map(|&i| spec.children[i].id.clone()).collect()).collect()
        });
        SupervisorLoop {
            path: link.path,
            strategy: spec.strategy,
            limit: spec.intensity,
            intensity: IntensityWindow::new(spec.intensity),
            auto_shutdown: spec.auto_shutdown,
            stages,
            slots,
            exits_tx,
            exits_rx,
            alive: 0,
            reaping: Vec::new(),
            timers: Timers::default(),
            sleep: Box::pin(tokio::time::sleep_until(now)),
            sleep_at: None,
            plan: Plan::default(),
            work: VecDeque::new(),
            ready_tx,
            ready_rx,
            mailbox: link.mailbox,
            mailbox_open: true,
            killed: false,
            phase: Phase::Starting,
            rng: spec.jitter_seed.map_or_else(JitterRng::from_entropy, JitterRng::seeded),
            events: link.events,
            started: link.started,
            template: spec.dynamic.clone(),
            next_dynamic_id: 0,
            next_epoch: 0,
            next_step: 0,
        }
    }

    /// Runs the supervisor until it has stopped and every child has ended.
    pub(crate) async fn run(mut self) -> LoopEnd {
        self.plan.steps.extend(self.slots.in_order().map(Step::Start));
        loop {
            self.drive();
            if let Some(end) = self.try_finish() {
                for task in self.reaping.drain(..) {
                    let _ = task.await;
                }
                return end;
            }
            self.arm_sleep();
            tokio::select! {
                biased;
                // Exits, readiness and due timers first: a call that arrives
                // at the same instant sees their effect.
                Some(exit) = self.exits_rx.recv() => self.on_exit(exit),
                Some(ready) = self.ready_rx.recv() => self.on_ready(ready),
                () = &mut self.sleep, if self.sleep_at.is_some() => self.on_timers(),
                message = self.mailbox.recv(), if self.mailbox_open => self.on_message(message),
            }
        }
    }

    /// Carries the plan forward as far as it goes without waiting, then
    /// takes queued work while no plan is in progress.
    fn drive(&mut self) {
        loop {
            if !self.plan.step_done() {
                return;
            }
            self.plan.waiting = Waiting::Nothing;
            if let Some(step) = self.plan.steps.pop_front() {
                self.begin_step(step);
                continue;
            }
            match self.phase {
                Phase::Stopping(_) => return,
                Phase::Starting => {
                    self.phase = Phase::Running;
                    self.signal_started();
                }
                Phase::Running => match self.work.pop_front() {
                    Some(work) => self.handle_work(work),
                    None => return,
                },
            }
        }
    }

    fn begin_step(&mut self, step: Step) {
        match step {
            Step::Stop(slots) => {
                self.next_step += 1;
                let step = self.next_step;
                let awaited = slots.into_iter().filter(|&slot| self.begin_stop(slot, step)).count();
                self.plan.waiting = Waiting::Stops { step, left: awaited };
            }
            Step::Start(slot) => self.begin_start(slot),
            Step::Delay { at, slots } => {
                for slot in slots {
                    self.begin_delay(slot, at);
                }
            }
            Step::Forget(slot) => {
                if self.slots.get(slot).is_some_and(|s| s.state == State::Stopped) {
                    self.slots.remove(slot);
                }
            }
            Step::Reply { tx, reply, .. } => {
                let _ = tx.send(Ok(reply));
            }
        }
    }

    pub(crate) fn is_stopping(&self) -> bool {
        matches!(self.phase, Phase::Stopping(_))
    }

    pub(crate) fn new_epoch(&mut self) -> u64 {
        self.next_epoch += 1;
        self.next_epoch
    }

    pub(crate) fn emit(&self, event: Event) {
        event.trace();
        match &event {
            Event::ChildStarted { path, .. } => crate::metrics::started(path),
            Event::RestartScheduled { path, .. } => crate::metrics::restarted(path),
            _ => {}
        }
        // No subscriber is not an error; a slow one lags, it never blocks us.
        let _ = self.events.send(event);
    }

    fn signal_started(&mut self) {
        match &mut self.started {
            Started::Root(tx) => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
            }
            Started::Child(signal) => {
                if let Some(signal) = signal.take() {
                    let _ = signal.tx.send(signal.ready);
                }
            }
        }
    }

    fn on_message(&mut self, message: Option<Message>) {
        match message {
            Some(Message::Command(command)) => self.on_command(command),
            Some(Message::Kill) if !self.killed => self.on_kill(),
            Some(Message::Stop) if !self.is_stopping() => self.on_stop_requested(),
            Some(Message::Stop | Message::Kill) => {}
            None => {
                self.mailbox_open = false;
                if !self.is_stopping() {
                    self.on_stop_requested();
                }
            }
        }
    }

    fn on_stop_requested(&mut self) {
        let ending = match self.phase {
            Phase::Starting => Ending::StartFailed(StartError::ShutDown { supervisor: self.path.clone() }),
            _ => Ending::Requested,
        };
        self.begin_shutdown(ending);
    }

    fn on_ready(&mut self, ready: Ready) {
        let Some(slot) = self.slots.get_mut(ready.slot) else {
            return;
        };
        if slot.epoch != ready.epoch || slot.state != State::Starting {
            return;
        }
        if self.plan.waiting == (Waiting::Ready { slot: ready.slot, epoch: ready.epoch }) {
            self.plan.waiting = Waiting::Nothing;
        }
        self.mark_running(ready.slot);
    }

    fn arm_sleep(&mut self) {
        let next = self.timers.next();
        if next != self.sleep_at {
            if let Some(at) = next {
                self.sleep.as_mut().reset(at);
            }
            self.sleep_at = next;
        }
    }

    fn on_timers(&mut self) {
        let now = Instant::now();
        while let Some(timer) = self.timers.pop_due(now) {
            self.on_timer(timer, now);
        }
        // Force a re-arm: the same instant may carry more timers later.
        self.sleep_at = None;
    }

    fn try_finish(&mut self) -> Option<LoopEnd> {
        if !self.is_stopping() || self.alive > 0 || !(self.killed || self.plan.is_idle()) {
            return None;
        }
        let Phase::Stopping(ending) = std::mem::replace(&mut self.phase, Phase::Running) else {
            return None;
        };
        Some(self.finish(ending))
    }
}
