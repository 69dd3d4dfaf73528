//! Starting, stopping and aborting one child, and reading how it ended.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use tracing::Instrument;

use super::Work;
use super::inbox::Message;
use super::plan::Waiting;
use super::plan::{ReplyStep, Step};
use super::slots::{Live, Nested, State, StopClock};
use super::supervisor::{Ending, Link, Phase, Started, SupervisorLoop};
use super::task::{ChildTask, Report, SupervisorOutcome, TaskExit, TaskResult};
use super::timers::{Timer, TimerKind};
use crate::child_spec::{Body, Shutdown};
use crate::control::ControlError;
use crate::ctx::{Ctx, Ready, ReadySignal};
use crate::error::StartError;
use crate::event::Event;
use crate::exit::{ExitReason, ExitReport};
use crate::policy::restart::Restart;
use crate::supervisor_spec::SupervisorSpec;

/// A nested supervisor's loop, boxed: its type contains the loop's own.
type NestedLoop = std::pin::Pin<Box<dyn std::future::Future<Output = super::LoopEnd> + Send>>;

impl SupervisorLoop {
    /// Spawns a new incarnation of a child that is not running.
    pub(crate) fn begin_start(&mut self, index: usize) {
        let epoch = self.new_epoch();
        // The clock is read only where a policy needs it.
        let needs_clock = self
            .slots
            .get(index)
            .is_some_and(|s| s.spec.backoff.is_some() || matches!(s.spec.wait_ready, Some(Some(_))));
        let now = needs_clock.then(|| self.clock.now());

        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.state.is_alive() {
            return;
        }
        if slot.ever_started {
            slot.generation += 1;
        }
        slot.ever_started = true;
        slot.epoch = epoch;
        slot.doomed = false;
        slot.ready_timed_out = false;
        slot.stop = StopClock::Idle;
        let waits = slot.spec.wait_ready;
        if let (Some(now), Some(_)) = (now, &slot.spec.backoff) {
            slot.backoff.get_or_insert_with(Box::default).started_at = Some(now);
        }

        let ready = waits.map(|_| ReadySignal { tx: self.inbox_tx.clone(), ready: Ready { slot: index, epoch } });
        let span = tracing::level_enabled!(tracing::Level::INFO)
            .then(|| tracing::info_span!("child", path = %slot.path, generation = slot.generation))
            .filter(|span| !span.is_disabled());
        let report = Report { inbox: self.inbox_tx.clone(), slot: index, epoch };
        let (task, ctx, nested) = match &slot.spec.body {
            Body::Worker(launch) => {
                let ctx = Ctx::renew(slot.spare.take(), &slot.path, slot.generation, ready);
                (launch(ctx.clone(), report, span), ctx, None)
            }
            Body::Supervisor(spec) => {
                let (inbox, rx) = mpsc::unbounded_channel();
                let link = Link {
                    path: slot.path.clone(),
                    started: Started::Child(ready),
                    events: self.events.clone(),
                    inbox: (inbox.clone(), rx),
                };
                let nested = Box::pin(SupervisorLoop::new(SupervisorSpec::clone(spec), link).run());
                let task = ChildTask::<_, SupervisorOutcome>::new(nested as NestedLoop, report);
                let task = match span {
                    Some(span) => tokio::spawn(task.instrument(span)),
                    None => tokio::spawn(task),
                };
                (task, Ctx::new(slot.path.clone(), slot.generation, None), Some(Nested { inbox }))
            }
        };
        self.alive += 1;
        slot.live = Some(Live { ctx, task, nested });
        match waits {
            Some(timeout) => {
                slot.state = State::Starting;
                self.plan.waiting = Waiting::Ready { slot: index, epoch };
                if let (Some(timeout), Some(now)) = (timeout, now) {
                    self.set_timer(now + timeout, index, epoch, TimerKind::ReadyDeadline);
                }
            }
            None => self.mark_running(index),
        }
    }

    /// The incarnation counts as started: running, and announced.
    pub(crate) fn mark_running(&mut self, index: usize) {
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        slot.state = State::Running;
        slot.announced = true;
        let slot = &*slot;
        self.events.emit(|| Event::ChildStarted { path: slot.path.clone(), generation: slot.generation });
    }

    /// Asks a child to stop under its shutdown setting. Returns whether its
    /// task is still to end (and is now awaited by stop step `step`).
    pub(crate) fn begin_stop(&mut self, index: usize, step: u64) -> bool {
        let now = self.clock.now();
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        slot.doomed = false;
        match slot.state {
            State::Starting | State::Running => {}
            State::Stopping { .. } => {
                slot.awaited_by = step;
                return true;
            }
            State::Restarting { .. } | State::Stopped => {
                slot.state = State::Stopped;
                return false;
            }
        }
        slot.awaited_by = step;
        slot.stop = StopClock::Since(now);
        let (epoch, shutdown) = (slot.epoch, slot.spec.shutdown);
        if let Some(live) = &slot.live {
            if shutdown != Shutdown::Brutal {
                match &live.nested {
                    Some(nested) => drop(nested.inbox.send(Message::Stop)),
                    None => live.ctx.cancel(),
                }
            }
        }
        slot.state = State::Stopping { aborted: false };
        match shutdown {
            Shutdown::Brutal => self.abort(index),
            Shutdown::Timeout(timeout) => self.set_timer(now + timeout, index, epoch, TimerKind::StopDeadline),
            Shutdown::Infinity => {}
        }
        true
    }

    /// Aborts a child's task now; for a nested supervisor, its whole subtree.
    pub(crate) fn abort(&mut self, index: usize) {
        let now = self.clock.now();
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        let Some(live) = &slot.live else { return };
        match &live.nested {
            Some(nested) => drop(nested.inbox.send(Message::Kill)),
            None => live.task.abort(),
        }
        if !matches!(slot.stop, StopClock::Since(_)) {
            slot.stop = StopClock::Since(now);
        }
        slot.state = State::Stopping { aborted: true };
        let epoch = slot.epoch;
        // An aborted task ends at its next poll, within microseconds, unless
        // it blocks its thread: then nothing in safe Rust can stop it.
        self.set_timer(now + self.abort_grace, index, epoch, TimerKind::AbortGrace);
    }

    /// Stops waiting for an aborted task that has not ended: it is reported
    /// as not ended, and its end, if it ever comes, is ignored.
    fn abandon(&mut self, index: usize, epoch: u64) {
        self.alive -= 1;
        self.abandoned.insert((index, epoch));
        self.ended(index, epoch, TaskResult::NotEnded);
    }

    /// Puts a stopped child in the restarting state until `at`.
    pub(crate) fn begin_delay(&mut self, index: usize, at: Instant) {
        let epoch = self.new_epoch();
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.state.is_alive() {
            return;
        }
        slot.epoch = epoch;
        slot.state = State::Restarting { at };
        self.set_timer(at, index, epoch, TimerKind::RestartDue);
    }

    /// Sets a timer, compacting the heap when stale timers have piled up.
    pub(crate) fn set_timer(&mut self, at: Instant, slot: usize, epoch: u64, kind: TimerKind) {
        self.timers.set(at, slot, epoch, kind);
        if self.timers.needs_compaction() {
            let slots = &self.slots;
            self.timers.compact(|timer| timer_is_live(slots, timer));
        }
    }

    pub(crate) fn on_timer(&mut self, timer: Timer, now: Instant) {
        if !timer_is_live(&self.slots, &timer) {
            return;
        }
        match timer.kind {
            TimerKind::StopDeadline => self.abort(timer.slot),
            TimerKind::ReadyDeadline => {
                if let Some(slot) = self.slots.get_mut(timer.slot) {
                    slot.ready_timed_out = true;
                    slot.stop = StopClock::Since(now);
                }
                self.abort(timer.slot);
            }
            TimerKind::RestartDue => self.work.push_back(Work::Start { slot: timer.slot, epoch: timer.epoch }),
            TimerKind::AbortGrace => self.abandon(timer.slot, timer.epoch),
        }
    }

    /// Records the end of an incarnation's task and works out what it means.
    pub(crate) fn on_exit(&mut self, exit: TaskExit) {
        let TaskExit { slot: index, epoch, result } = exit;
        if !self.abandoned.is_empty() && self.abandoned.remove(&(index, epoch)) {
            // It ended after all, after it was reported as not ended.
            return;
        }
        // Every task reports exactly once.
        self.alive -= 1;
        self.ended(index, epoch, result);
    }

    /// Records how an incarnation ended and works out what it means.
    fn ended(&mut self, index: usize, epoch: u64, result: TaskResult) {
        let not_ended = matches!(result, TaskResult::NotEnded);
        let stopping = self.is_stopping();
        let was_starting = self.plan.waiting == (Waiting::Ready { slot: index, epoch });
        let clock = &mut self.clock;
        let Some(slot) = self.slots.get_mut(index) else { return };
        if slot.epoch != epoch || !slot.state.is_alive() {
            return;
        }
        let was = slot.state;
        let asked = matches!(was, State::Stopping { .. });
        let (reason, subtree) = exit_reason(result, was);
        crate::metrics::ended(&slot.path, &reason, std::mem::take(&mut slot.announced));
        slot.state = State::Stopped;
        slot.subtree = subtree;
        slot.last_exit = Some(reason);
        if asked {
            let now = clock.now();
            let began = match slot.stop {
                StopClock::Since(began) => began,
                _ => now,
            };
            slot.stop = StopClock::Took(now.saturating_duration_since(began));
            let awaited_by = std::mem::take(&mut slot.awaited_by);
            if let Waiting::Stops { step, left } = &mut self.plan.waiting {
                if *step == awaited_by {
                    *left -= 1;
                }
            }
        }
        let temporary = slot.spec.restart == Restart::Temporary;
        let doomed = slot.doomed;
        if let Some(live) = slot.live.take() {
            if not_ended {
                // Detached: awaiting it could take forever.
                drop(live.task);
            } else {
                slot.spare = live.ctx.into_spare();
                self.reap(live.task);
            }
        }
        if let Some(slot) = self.slots.get(index) {
            let (path, generation) = (&slot.path, slot.generation);
            let reason = || slot.last_exit.clone().unwrap_or(ExitReason::Returned);
            self.events.emit(|| match slot.stop {
                StopClock::Took(took) if asked => {
                    Event::ChildStopped { path: path.clone(), generation, reason: reason(), took }
                }
                _ => Event::ChildExited { path: path.clone(), generation, reason: reason() },
            });
        }

        if was_starting {
            let reason = self.slots.get(index).and_then(|s| s.last_exit.clone()).unwrap_or(ExitReason::Aborted);
            self.start_failed(index, epoch, reason);
        } else if stopping {
            // Recorded for the report; nothing restarts during shutdown.
        } else if asked || doomed {
            // Stopped on purpose, or a planned stop was about to end it
            // anyway: part of that plan. A temporary child is forgotten.
            if temporary {
                self.slots.remove(index);
            }
        } else if self.plan.is_idle() && self.work.is_empty() {
            // Nothing ahead of it: decide now.
            self.decide_exit(index, epoch);
        } else {
            self.work.push_back(Work::Exit { slot: index, epoch });
        }
    }

    /// Keeps the handle of a task that reported its end, to await it before
    /// the loop returns; handles of tasks that have finished are dropped.
    fn reap(&mut self, task: JoinHandle<()>) {
        self.reaping.push(task);
        if self.reaping.len() >= 64 {
            self.reaping.retain(|task| !task.is_finished());
        }
    }

    /// A child ended (or timed out) before it was ready.
    fn start_failed(&mut self, index: usize, epoch: u64, reason: ExitReason) {
        self.plan.waiting = Waiting::Nothing;
        let Some(slot) = self.slots.get(index) else {
            return;
        };
        let error = match slot.spec.wait_ready {
            Some(Some(timeout)) if slot.ready_timed_out => {
                StartError::ReadyTimeout { child: slot.path.clone(), timeout }
            }
            _ => StartError::ChildFailed { child: slot.path.clone(), reason },
        };
        match self.phase {
            Phase::Starting => {
                self.plan.abandon_rest(&self.shutting_down());
                self.begin_shutdown(Ending::StartFailed(error));
            }
            Phase::Running if matches!(self.plan.steps.front(), Some(Step::Reply(_))) => {
                // A start asked for by a control call: the caller gets the
                // error; the child stays stopped, or is forgotten if the
                // call had added it (as OTP discards a spec that fails).
                if let Some(Step::Reply(reply)) = self.plan.steps.pop_front() {
                    let ReplyStep { tx, discard, .. } = *reply;
                    let failed = ControlError::StartFailed { id: self.child_id(index), reason: error_reason(&error) };
                    let _ = tx.send(Err(failed));
                    if let Some(discard) = discard {
                        self.slots.remove(discard);
                    }
                }
            }
            Phase::Running => {
                // OTP tries the restart again at once, counted as a restart;
                // the steps after it are part of that next restart.
                self.plan.abandon_rest(&self.shutting_down());
                self.work.push_front(Work::Exit { slot: index, epoch });
            }
            Phase::Stopping(_) => {}
        }
    }

    fn child_id(&self, index: usize) -> Arc<str> {
        self.slots.get(index).map_or_else(|| Arc::from("?"), |s| s.spec.id.clone())
    }

    /// The parent's deadline passed: abort every child and wait for all.
    pub(crate) fn on_kill(&mut self) {
        self.killed = true;
        if !self.is_stopping() {
            self.phase = Phase::Stopping(Ending::Requested);
        }
        self.drop_pending();
        self.plan.waiting = Waiting::Nothing;
        let alive: Vec<usize> =
            self.slots.in_order().filter(|&i| self.slots.get(i).is_some_and(|s| s.state.is_alive())).collect();
        for index in alive {
            if self.slots.get(index).is_some_and(|s| s.state != State::Stopping { aborted: true }) {
                self.abort(index);
            }
        }
    }
}

/// The exit reason of a task, given the state its slot was in.
fn exit_reason(result: TaskResult, was: State) -> (ExitReason, Option<Box<ExitReport>>) {
    let asked_to_stop = matches!(was, State::Stopping { .. });
    if let TaskResult::NotEnded = result {
        return (ExitReason::NotEnded, None);
    }
    if was == (State::Stopping { aborted: true }) || matches!(result, TaskResult::Aborted) {
        let subtree = match result {
            TaskResult::Supervisor(result) => result.ok().map(Box::new),
            _ => None,
        };
        return (ExitReason::Aborted, subtree);
    }
    let returned = if asked_to_stop { ExitReason::Stopped } else { ExitReason::Returned };
    match result {
        TaskResult::Worker(Ok(())) => (returned, None),
        TaskResult::Worker(Err(error)) => (ExitReason::Failed(error), None),
        TaskResult::Panicked(message) => (ExitReason::Panicked(message), None),
        TaskResult::Aborted | TaskResult::NotEnded => (ExitReason::Aborted, None),
        TaskResult::Supervisor(result) => match *result {
            Ok(report) => (returned, Some(Box::new(report))),
            Err(error) => {
                let subtree = error.report().cloned().map(Box::new);
                (ExitReason::Failed(Arc::from(error.to_string())), subtree)
            }
        },
    }
}

fn error_reason(error: &StartError) -> ExitReason {
    match error {
        StartError::ChildFailed { reason, .. } => reason.clone(),
        _ => ExitReason::Aborted,
    }
}

/// Whether a timer still concerns its incarnation's current state.
fn timer_is_live(slots: &super::slots::Slots, timer: &Timer) -> bool {
    slots.get(timer.slot).is_some_and(|slot| {
        slot.epoch == timer.epoch
            && match timer.kind {
                TimerKind::StopDeadline => slot.state == State::Stopping { aborted: false },
                TimerKind::ReadyDeadline => slot.state == State::Starting,
                TimerKind::RestartDue => matches!(slot.state, State::Restarting { .. }),
                TimerKind::AbortGrace => slot.state == State::Stopping { aborted: true },
            }
    })
}
