//! The supervisor loop: one task that owns every child's state.
//!
//! It `select!`s over a stop request, its children's exits, readiness
//! signals and its next timer. Whatever arrives is recorded at once; the
//! restart decisions it leads to run as a [`Plan`] of steps, one step at a
//! time, so the loop never waits on one child while something else needs
//! an answer.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

use super::command::Command;
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
    /// Cancelled to ask for an orderly shutdown.
    pub(crate) stop: CancellationToken,
    /// Cancelled to abort every child at once (a parent's deadline passed).
    pub(crate) kill: CancellationToken,
    pub(crate) started: Started,
    pub(crate) events: broadcast::Sender<Event>,
    /// Control calls for this supervisor (and, forwarded, those below it).
    pub(crate) mailbox: mpsc::UnboundedReceiver<Command>,
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
    pub(crate) tasks: JoinSet<TaskExit>,
    /// Tasks aborted and not yet joined, to match a cancelled join to its slot.
    pub(crate) aborting: HashMap<Id, usize>,
    pub(crate) timers: Timers,
    sleep: Pin<Box<Sleep>>,
    sleep_at: Option<Instant>,
    pub(crate) plan: Plan,
    pub(crate) work: VecDeque<Work>,
    pub(crate) ready_tx: mpsc::UnboundedSender<Ready>,
    ready_rx: mpsc::UnboundedReceiver<Ready>,
    mailbox: mpsc::UnboundedReceiver<Command>,
    stop: CancellationToken,
    kill: CancellationToken,
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
        let mut slots = Slots::default();
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
            tasks: JoinSet::new(),
            aborting: HashMap::new(),
            timers: Timers::default(),
            sleep: Box::pin(tokio::time::sleep_until(now)),
            sleep_at: None,
            plan: Plan::default(),
            work: VecDeque::new(),
            ready_tx,
            ready_rx,
            mailbox: link.mailbox,
            stop: link.stop,
            kill: link.kill,
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
                return end;
            }
            self.arm_sleep();
            tokio::select! {
                biased;
                () = self.kill.cancelled(), if !self.killed => self.on_kill(),
                () = self.stop.cancelled(), if !self.is_stopping() => self.on_stop_requested(),
                Some(joined) = self.tasks.join_next_with_id() => self.on_joined(joined),
                Some(ready) = self.ready_rx.recv() => self.on_ready(ready),
                () = &mut self.sleep, if self.sleep_at.is_some() => self.on_timers(),
                Some(command) = self.mailbox.recv() => self.on_command(command),
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

    fn on_stop_requested(&mut self) {
        let ending = match self.phase {
            Phase::Starting => Ending::StartFailed(StartError::ShutDown { supervisor: self.path.clone() }),
            _ => Ending::Requested,
        };
        self.begin_shutdown(ending);
    }

    fn on_joined(&mut self, joined: Result<(Id, TaskExit), JoinError>) {
        match joined {
            Ok((id, exit)) => {
                if !self.aborting.is_empty() {
                    self.aborting.remove(&id);
                }
                self.on_exit(exit.slot, exit.epoch, exit.result);
            }
            Err(error) => {
                // Panics are caught inside the task, so a join error is an
                // abort we asked for (or a panic while dropping its future).
                if let Some(slot) = self.aborting.remove(&error.id()) {
                    if let Some(epoch) = self.slots.get(slot).map(|s| s.epoch) {
                        self.on_exit(slot, epoch, super::task::TaskResult::Worker(Ok(())));
                    }
                }
            }
        }
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
        if !self.is_stopping() || !self.tasks.is_empty() || !(self.killed || self.plan.is_idle()) {
            return None;
        }
        let Phase::Stopping(ending) = std::mem::replace(&mut self.phase, Phase::Running) else {
            return None;
        };
        Some(self.finish(ending))
    }
}
