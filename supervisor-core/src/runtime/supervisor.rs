//! The supervisor loop: one task that owns every child's state.
//!
//! It waits on two things: its inbox (children's exits and readiness,
//! control calls, stop and kill; see [`inbox`](super::inbox)) and its next
//! timer. Whatever arrives is recorded at once; the restart decisions it
//! leads to run as a [`Plan`] of steps, one step at a time, so the loop never
//! waits on one child while something else needs an answer.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

use super::inbox::Message;
use super::plan::{Plan, Step, Waiting};
use super::slots::{Slot, Slots, State};
use super::timers::Timers;
use super::{LoopEnd, Work};
use crate::ctx::{Ready, ReadySignal};
use crate::dynamic::Template;
use crate::error::StartError;
use crate::event::EventSink;
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
    pub(crate) events: EventSink,
    /// The loop's inbox, and a sender to it for its children.
    pub(crate) inbox: (mpsc::UnboundedSender<Message>, mpsc::UnboundedReceiver<Message>),
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
    /// Where children report their end and readiness.
    pub(crate) inbox_tx: mpsc::UnboundedSender<Message>,
    inbox: mpsc::UnboundedReceiver<Message>,
    /// Calls, stop and kill received this turn, handled after its timers.
    deferred: Vec<Message>,
    /// Child tasks spawned whose end has not been reported yet.
    pub(crate) alive: usize,
    /// How long an aborted task may take to end before it is reported as
    /// not ended and no longer waited for.
    pub(crate) abort_grace: Duration,
    /// Incarnations reported as not ended, whose end may still arrive.
    pub(crate) abandoned: HashSet<(usize, u64)>,
    /// Handles of tasks that reported their end, awaited before the loop
    /// returns, so that no task of the tree outlives it even for the moment
    /// between its report and its return.
    pub(crate) reaping: Vec<JoinHandle<()>>,
    pub(crate) timers: Timers,
    /// The time of the current turn of the loop, read once per turn.
    pub(crate) clock: TurnClock,
    sleep: Pin<Box<Sleep>>,
    sleep_at: Option<Instant>,
    pub(crate) plan: Plan,
    pub(crate) work: VecDeque<Work>,

    pub(crate) killed: bool,
    pub(crate) phase: Phase,
    pub(crate) rng: JitterRng,
    pub(crate) events: EventSink,
    started: Started,
    /// For a dynamic supervisor, the template of its children.
    pub(crate) template: Option<Arc<Template>>,
    pub(crate) next_dynamic_id: u64,
    next_epoch: u64,
    next_step: u64,
}

impl SupervisorLoop {
    /// A loop for `spec`, whose children it takes over (no copy is kept).
    pub(crate) fn new(spec: SupervisorSpec, link: Link) -> Self {
        let now = Instant::now();
        let (inbox_tx, inbox) = link.inbox;
        let stages = spec.shutdown_stages.as_ref().map(|stages| {
            stages.iter().map(|stage| stage.iter().map(|&i| spec.children[i].id.clone()).collect()).collect()
        });
        let mut slots = Slots::with_capacity(spec.children.len());
        for child in spec.children {
            let path = child_path(&link.path, &child.id);
            slots.insert(Slot::new(child, path));
        }
        SupervisorLoop {
            path: link.path,
            strategy: spec.strategy,
            limit: spec.intensity,
            intensity: IntensityWindow::new(spec.intensity),
            auto_shutdown: spec.auto_shutdown,
            stages,
            slots,
            inbox_tx,
            inbox,
            deferred: Vec::new(),
            alive: 0,
            abort_grace: spec.abort_grace,
            abandoned: HashSet::new(),
            reaping: Vec::new(),
            timers: Timers::default(),
            clock: TurnClock::default(),
            sleep: Box::pin(tokio::time::sleep_until(now)),
            sleep_at: None,
            plan: Plan::default(),
            work: VecDeque::new(),

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
        self.plan.steps.reserve_exact(self.slots.count());
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
            // Whatever wakes the loop starts a new turn, with a new time.
            self.clock.reset();
            tokio::select! {
                biased;
                () = &mut self.sleep, if self.sleep_at.is_some() => {}
                Some(message) = self.inbox.recv() => self.take(message),
            }
            self.turn();
        }
    }

    /// One turn after a wake: what else has arrived (a bounded batch), then
    /// due timers, then the calls, stops and kills of this turn. So exits
    /// and readiness come before timers, and timers before calls, whatever
    /// the order they reached the inbox in.
    fn turn(&mut self) {
        for _ in 0..256 {
            match self.inbox.try_recv() {
                Ok(message) => self.take(message),
                Err(_) => break,
            }
        }
        if self.sleep_at.is_some() && self.sleep.is_elapsed() {
            self.on_timers();
        }
        if !self.deferred.is_empty() {
            // What the exits and timers set in motion happens first.
            self.drive();
            for message in std::mem::take(&mut self.deferred) {
                self.on_message(message);
            }
        }
    }

    fn take(&mut self, message: Message) {
        match message {
            Message::Exit(exit) => self.on_exit(exit),
            Message::Ready(ready) => self.on_ready(ready),
            control => self.deferred.push(control),
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
            Step::StopOne(slot) => {
                self.next_step += 1;
                let step = self.next_step;
                let left = usize::from(self.begin_stop(slot, step));
                self.plan.waiting = Waiting::Stops { step, left };
            }
            Step::Stop(slots) => {
                self.next_step += 1;
                let step = self.next_step;
                let left = slots.iter().filter(|&&slot| self.begin_stop(slot, step)).count();
                self.plan.waiting = Waiting::Stops { step, left };
            }
            Step::Start(slot) => self.begin_start(slot),
            Step::Delay(delay) => {
                let (at, slots) = *delay;
                for slot in slots {
                    self.begin_delay(slot, at);
                }
            }
            Step::Forget(slot) => {
                if self.slots.get(slot).is_some_and(|s| s.state == State::Stopped) {
                    self.slots.remove(slot);
                }
            }
            Step::Reply(reply) => {
                let _ = reply.tx.send(Ok(reply.reply));
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

    fn signal_started(&mut self) {
        match &mut self.started {
            Started::Root(tx) => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
            }
            Started::Child(signal) => {
                if let Some(signal) = signal.take() {
                    let _ = signal.tx.send(Message::Ready(signal.ready));
                }
            }
        }
    }

    fn on_message(&mut self, message: Message) {
        match message {
            Message::Command(command) => self.on_command(command),
            Message::Kill if !self.killed => self.on_kill(),
            Message::Stop if !self.is_stopping() => self.on_stop_requested(),
            Message::Exit(exit) => self.on_exit(exit),
            Message::Ready(ready) => self.on_ready(ready),
            Message::Stop | Message::Kill => {}
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

    /// Arms the sleep for the earliest timer, re-registering it only when
    /// that is earlier than what is armed: a sleep armed too early wakes
    /// once, finds nothing due and re-arms, which is cheaper than moving it
    /// at every stop of a long shutdown.
    fn arm_sleep(&mut self) {
        if let Some(at) = self.timers.next() {
            if self.sleep_at.is_none_or(|armed| at < armed) {
                self.sleep.as_mut().reset(at);
                self.sleep_at = Some(at);
            }
        }
    }

    fn on_timers(&mut self) {
        let now = self.clock.now();
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

/// The time of a loop turn: a turn takes microseconds, and the stops and
/// exits it handles (one child's exit, the next child's stop) share one
/// reading of the clock.
#[derive(Debug, Default)]
pub(crate) struct TurnClock(Option<Instant>);

impl TurnClock {
    pub(crate) fn now(&mut self) -> Instant {
        *self.0.get_or_insert_with(Instant::now)
    }

    fn reset(&mut self) {
        self.0 = None;
    }
}

/// `parent/id`: assembled on the stack when short, so it costs one
/// allocation (the `Arc`), not two.
pub(crate) fn child_path(parent: &str, id: &str) -> Arc<str> {
    let mut buffer = [0u8; 128];
    let len = parent.len() + 1 + id.len();
    if len <= buffer.len() {
        buffer[..parent.len()].copy_from_slice(parent.as_bytes());
        buffer[parent.len()] = b'/';
        buffer[parent.len() + 1..len].copy_from_slice(id.as_bytes());
        if let Ok(path) = std::str::from_utf8(&buffer[..len]) {
            return Arc::from(path);
        }
    }
    Arc::from(format!("{parent}/{id}"))
}
