//! The supervisor loop: one task that owns every child's state.
//!
//! It waits on two things: its inbox (children's exits and readiness,
//! control calls, stop and kill; see [`inbox`](super::inbox)) and its next
//! timer. Whatever arrives is handled in the turn it arrives in: the loop is
//! never inside a start or a restart, only ahead of one (the
//! [`Agenda`]), so a call is answered whatever is in progress.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::LoopEnd;
use super::agenda::Agenda;
use super::child::{Child, Queue};
use super::children::Children;
use super::command::Command;
use super::inbox::Message;
use super::rules::Rules;
use super::timers::{Timer, TimerKind};
use super::wake::Wake;
use crate::ctx::{Ready, ReadySignal};
use crate::error::StartError;
use crate::event::EventSink;
use crate::exit::ExitReason;
use crate::supervisor_spec::SupervisorSpec;

/// How many messages one turn takes from the inbox before it looks at its
/// timers and calls: enough to batch a burst of exits, few enough that a
/// flood cannot starve the timers.
const TURN_BATCH: usize = 256;

/// Where the loop is in its life.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Starting the children declared in its spec, in order.
    Starting,
    Running,
    /// Stopping every child; the loop ends once all have ended. `killed`:
    /// every child was aborted, stages are no longer waited for.
    Stopping {
        ending: Ending,
        killed: bool,
    },
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
    Root(oneshot::Sender<()>),
    Child(ReadySignal),
}

/// The loop's inbox: a sender for its children and calls, and its receiver.
pub(crate) struct Inbox {
    pub(crate) tx: mpsc::UnboundedSender<Message>,
    pub(crate) rx: mpsc::UnboundedReceiver<Message>,
}

/// What a loop is handed by whoever starts it.
pub(crate) struct Link {
    pub(crate) path: Arc<str>,
    pub(crate) started: Started,
    pub(crate) events: EventSink,
    pub(crate) inbox: Inbox,
    /// For a partition, the whole it belongs to.
    pub(crate) whole: Option<Arc<crate::partition::Partitions>>,
    /// The lease store its singletons inherit.
    pub(crate) leases: Option<Arc<dyn crate::lease::Lease>>,
}

/// A control message held for the end of its turn.
enum Control {
    Command(Box<Command>),
    Stop,
    Kill,
}

pub(crate) struct SupervisorLoop {
    pub(crate) path: Arc<str>,
    pub(crate) children: Children,
    pub(crate) agenda: Agenda,
    pub(crate) rules: Rules,
    pub(crate) wake: Wake,
    pub(crate) phase: Phase,
    pub(crate) events: EventSink,
    pub(crate) inbox: Inbox,
    started: Option<Started>,
    /// Calls, stop and kill received this turn, handled after its timers.
    controls: Vec<Control>,
    /// The ids handed to dynamic children so far.
    pub(crate) next_dynamic_id: u64,
}

impl SupervisorLoop {
    /// A loop for `spec`, whose children it takes over (no copy is kept).
    pub(crate) fn new(spec: SupervisorSpec, link: Link) -> Self {
        let rules = Rules::new(&spec, &link);
        let now = tokio::time::Instant::now();
        let mut children = Children::with_capacity(spec.children.len());
        for child in spec.children {
            let path = child_path(&link.path, &child.id);
            // Queued for the first sequence, the supervisor's own start.
            let mut child = Child::new(child, path);
            child.state = super::child::State::Queued { due: now, by: Queue::Sequence };
            children.insert(child);
        }
        SupervisorLoop {
            path: link.path,
            children,
            agenda: Agenda::default(),
            rules,
            wake: Wake::new(),
            phase: Phase::Starting,
            events: link.events,
            inbox: link.inbox,
            started: Some(link.started),
            controls: Vec::new(),
            next_dynamic_id: 0,
        }
    }

    /// Runs the supervisor until it has stopped and every child has ended.
    pub(crate) async fn run(mut self) -> LoopEnd {
        self.begin();
        loop {
            if let Some(end) = self.try_finish() {
                self.children.join_reaped().await;
                // A partition's children leave the whole's count with it.
                if let Some(budget) = self.rules.budget() {
                    budget.release(self.children.count());
                }
                return end;
            }
            // Whatever wakes the loop starts a new turn, with a new time.
            self.wake.new_turn();
            let armed = self.wake.arm();
            tokio::select! {
                biased;
                () = self.wake.due(), if armed => {}
                Some(message) = self.inbox.rx.recv() => self.take(message),
            }
            let calls = self.turn();
            // A turn that answered calls, with nothing more waiting: let the
            // callers it woke run first, so that their next calls come in one
            // batch, not one wake each.
            if calls && self.inbox.rx.is_empty() {
                tokio::task::yield_now().await;
            }
        }
    }

    /// Starts the declared children, in order, as the first sequence.
    fn begin(&mut self) {
        let starts = self.children.in_order().collect();
        self.agenda.sequence = Some(super::agenda::Sequence { starts, ..super::agenda::Sequence::default() });
        self.advance();
    }

    /// One turn after a wake: what else has arrived (a bounded batch), then
    /// due timers, then the calls, stops and kills of this turn. So exits
    /// and readiness come before timers, and timers before calls, whatever
    /// the order they reached the inbox in.
    fn turn(&mut self) -> bool {
        for _ in 0..TURN_BATCH {
            match self.inbox.rx.try_recv() {
                Ok(message) => self.take(message),
                Err(_) => break,
            }
        }
        for timer in self.wake.take_due() {
            self.on_timer(timer);
        }
        let calls = !self.controls.is_empty();
        for control in std::mem::take(&mut self.controls) {
            match control {
                Control::Command(command) => self.on_command(command),
                Control::Stop => self.on_stop_requested(),
                Control::Kill => self.on_kill(),
            }
        }
        calls
    }

    fn take(&mut self, message: Message) {
        match message {
            Message::Exit(exit) => {
                if self.children.reported(exit.slot, exit.epoch) {
                    self.ended(exit.slot, exit.epoch, exit.result);
                }
            }
            Message::Ready(ready) => self.on_ready(ready),
            Message::Draining(draining) => self.on_draining(draining),
            Message::Command(command) => self.controls.push(Control::Command(command)),
            Message::Stop => self.controls.push(Control::Stop),
            Message::Kill => self.controls.push(Control::Kill),
        }
    }

    fn on_ready(&mut self, ready: Ready) {
        if self.children.get(ready.slot).is_some_and(|c| c.epoch == ready.epoch) {
            self.mark_running(ready.slot);
            self.advance();
        }
    }

    /// A child's own future ended but its helpers are still ending: hold
    /// it to its shutdown setting as if it had been asked to stop (it has:
    /// its task cancelled its `Ctx`). A child already stopping keeps its
    /// deadline.
    fn on_draining(&mut self, draining: Ready) {
        use super::child::{State, Why};
        let Some(child) = self.children.get(draining.slot).filter(|c| c.epoch == draining.epoch) else { return };
        let why = match child.state {
            State::Starting { by, .. } => Why::Drain(Some(by)),
            State::Running { .. } => Why::Drain(None),
            _ => return,
        };
        self.ask_stop(draining.slot, why);
    }

    fn on_timer(&mut self, timer: Timer) {
        if !self.timer_is_live(&timer) {
            return;
        }
        match timer.kind {
            TimerKind::StopDeadline => self.abort(timer.slot, None),
            TimerKind::ReadyDeadline => self.ready_timed_out(timer.slot),
            TimerKind::RestartDue => self.start(timer.slot, super::child::StartedBy::Restart),
            TimerKind::RetryDue => self.exited(timer.slot, true),
            TimerKind::SequenceDue => self.advance(),
            TimerKind::AbortGrace => {
                self.children.abandon(timer.slot, timer.epoch);
                self.ended(timer.slot, timer.epoch, super::task::TaskResult::NotEnded);
            }
        }
    }

    /// Sets a timer for the child at `slot`'s current epoch.
    pub(crate) fn set_timer(&mut self, at: tokio::time::Instant, slot: usize, kind: TimerKind) {
        let epoch = self.children.get(slot).map_or(0, |c| c.epoch);
        let (children, sequence) = (&self.children, self.agenda.sequence.is_some());
        self.wake.set(at, slot, epoch, kind, |timer| timer_is_live(children, sequence, timer));
    }

    fn timer_is_live(&self, timer: &Timer) -> bool {
        timer_is_live(&self.children, self.agenda.sequence.is_some(), timer)
    }

    pub(crate) fn is_stopping(&self) -> bool {
        matches!(self.phase, Phase::Stopping { .. })
    }

    /// The start sequence of the supervisor's own start is over.
    pub(crate) fn signal_started(&mut self) {
        self.phase = Phase::Running;
        match self.started.take() {
            Some(Started::Root(tx)) => drop(tx.send(())),
            Some(Started::Child(signal)) => drop(signal.tx.send(Message::Ready(signal.ready))),
            None => {}
        }
    }

    fn on_stop_requested(&mut self) {
        let ending = match self.phase {
            Phase::Starting => Ending::StartFailed(StartError::ShutDown { supervisor: self.path.clone() }),
            _ => Ending::Requested,
        };
        self.begin_shutdown(ending);
    }

    fn try_finish(&mut self) -> Option<LoopEnd> {
        if !self.is_stopping() || self.children.alive() > 0 {
            return None;
        }
        let Phase::Stopping { ending, .. } = std::mem::replace(&mut self.phase, Phase::Running) else {
            return None;
        };
        Some(self.finish(ending))
    }
}

/// Whether a timer still concerns its incarnation's current state.
fn timer_is_live(children: &Children, sequence: bool, timer: &Timer) -> bool {
    use super::child::State;
    if timer.kind == TimerKind::SequenceDue {
        return sequence;
    }
    children.get(timer.slot).is_some_and(|child| {
        child.epoch == timer.epoch
            && matches!(
                (&child.state, timer.kind),
                (State::Stopping { since: Some(_), aborted: false, .. }, TimerKind::StopDeadline)
                    | (State::Starting { .. }, TimerKind::ReadyDeadline)
                    | (State::Queued { by: Queue::Alone, .. }, TimerKind::RestartDue)
                    | (State::Queued { by: Queue::Retry, .. }, TimerKind::RetryDue)
                    | (State::Stopping { aborted: true, .. }, TimerKind::AbortGrace)
            )
    })
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
