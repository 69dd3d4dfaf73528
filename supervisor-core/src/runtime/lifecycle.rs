//! Starting, stopping and aborting one child, and reading how it ended.
//! What an end leads to is [`decide`](super::decide)'s.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use super::child::{Live, Nested, Queue, StartedBy, State, Why};
use super::command::Reply;
use super::supervisor::{Inbox, Link, Started, SupervisorLoop};
use super::task::{ChildTask, Report, SupervisorOutcome, TaskResult, panic_message};
use super::timers::TimerKind;
use crate::child_spec::{Body, Shutdown};
use crate::control::ControlError;
use crate::ctx::{Ctx, Ready, ReadySignal};
use crate::event::Event;
use crate::exit::{ExitReason, ExitReport};
use crate::lease::hold::Holder;
use crate::supervisor_spec::SupervisorSpec;

/// A nested supervisor's loop, boxed: its type contains the loop's own.
type NestedLoop = std::pin::Pin<Box<dyn std::future::Future<Output = super::LoopEnd> + Send>>;

/// What an incarnation was doing when its task ended.
#[derive(Clone, Copy, Debug)]
enum Was {
    Starting(StartedBy),
    Running,
    Stopping { since: Option<Instant>, aborted: bool, why: Why },
}

impl Was {
    /// Its supervisor asked it to stop (rather than it ending on its own,
    /// helpers still to end or not): when.
    fn asked_since(self) -> Option<Instant> {
        match self {
            Was::Stopping { since, why, .. } if !matches!(why, Why::Drain(_)) => since,
            _ => None,
        }
    }
}

impl SupervisorLoop {
    /// Puts a child that is not running in the queue, to be started at `due`.
    pub(crate) fn queue(&mut self, index: usize, due: Instant, by: Queue) {
        if self.children.get(index).is_none_or(|c| c.state.is_alive()) {
            return;
        }
        self.children.new_epoch(index);
        if let Some(child) = self.children.get_mut(index) {
            child.state = State::Queued { due, by };
        }
    }

    /// Spawns a new incarnation of a child that is not running. The
    /// factory is user code: if it panics, nothing is spawned and the start
    /// has failed.
    pub(crate) fn start(&mut self, index: usize, by: StartedBy) {
        if self.children.get(index).is_none_or(|c| c.state.is_alive()) {
            return;
        }
        // Read once per turn of the loop, whatever it starts in that turn.
        let now = self.wake.now();
        let epoch = self.children.new_epoch(index);
        let inbox = self.inbox.tx.clone();
        let Some(child) = self.children.get_mut(index) else { return };
        let generation = child.starts;
        child.starts += 1;
        if child.spec.backoff_setting().is_some() {
            child.backoff.get_or_insert_with(Box::default).started_at = Some(now);
        }
        let waits = child.spec.wait_ready;
        let signal = ReadySignal { tx: inbox, ready: Ready { slot: index, epoch } };
        let span = tracing::level_enabled!(tracing::Level::INFO)
            // A root span: its fields name the child once, and a nested
            // child's lines do not repeat its ancestors' paths.
            .then(|| tracing::info_span!(parent: None, "child", path = %child.path, generation))
            .filter(|span| !span.is_disabled());
        let launched = match &child.spec.body {
            Body::Worker(launch) => {
                let ctx = Ctx::renew(child.spare.take(), &child.path, generation, Some(signal), waits.is_some());
                let report = Report(ctx.clone());
                let holder = child
                    .spec
                    .singleton_setting()
                    .map(|singleton| Holder::new(singleton, self.rules.leases.as_ref(), child.spec.shutdown));
                let spawned = std::panic::catch_unwind(AssertUnwindSafe(|| launch(ctx.clone(), report, span, holder)));
                spawned.map(|task| Live { ctx, task, nested: None, announced: false, started_at: now })
            }
            Body::Supervisor(spec) => {
                let (tx, rx) = mpsc::unbounded_channel();
                let link = Link {
                    path: child.path.clone(),
                    // A nested supervisor is always waited for: it is ready once
                    // its own children have started.
                    started: Started::Child(signal.clone()),
                    events: self.events.clone(),
                    inbox: Inbox { tx: tx.clone(), rx },
                    // A partitioned supervisor's children are its partitions.
                    whole: self.rules.partitions.clone(),
                    leases: self.rules.leases.clone(),
                };
                let ctx = Ctx::new(child.path.clone(), generation, Some(signal), false);
                let nested = Box::pin(SupervisorLoop::new(SupervisorSpec::clone(spec), link).run());
                let task = ChildTask::<_, SupervisorOutcome>::new(nested as NestedLoop, Report(ctx.clone()));
                let task = match span {
                    Some(span) => tokio::spawn(task.instrument(span)),
                    None => tokio::spawn(task),
                };
                Ok(Live { ctx, task, nested: Some(Nested { inbox: tx }), announced: false, started_at: now })
            }
        };
        let live = match launched {
            Ok(live) => live,
            Err(payload) => {
                let reason = ExitReason::Panicked(panic_message(payload));
                child.last_exit = Some(reason.clone());
                child.exited_at = Some(now);
                child.stop_took = None;
                let path = child.path.clone();
                self.events.emit(|| Event::ChildExited { path, generation, reason });
                return self.start_failed(index, by, false);
            }
        };
        let Some(timeout) = waits else {
            // Not waited for: started as soon as it is spawned.
            child.state = State::Running { live: Live { announced: true, ..live } };
            self.children.spawned();
            return self.announce(index);
        };
        child.state = State::Starting { live, by };
        self.children.spawned();
        if let Some(timeout) = timeout {
            self.set_timer(now + timeout, index, TimerKind::ReadyDeadline);
        }
    }

    /// A starting incarnation has started: running, announced, and the call
    /// that waited for it answered.
    pub(crate) fn mark_running(&mut self, index: usize) {
        let Some(child) = self.children.get_mut(index) else { return };
        let mut live = match std::mem::replace(&mut child.state, State::Stopped) {
            State::Starting { live, .. } => live,
            other => {
                child.state = other;
                return;
            }
        };
        live.announced = true;
        child.state = State::Running { live };
        self.announce(index);
    }

    /// An incarnation counts as started: the event, and the call that
    /// waited for it answered.
    fn announce(&mut self, index: usize) {
        let Some(child) = self.children.get(index) else { return };
        self.events.emit(|| Event::ChildStarted { path: child.path.clone(), generation: child.generation() });
        if let Some(reply) = self.agenda.take_start_reply(index) {
            let _ = reply.tx.send(Ok(reply.reply));
        }
    }

    /// Asks a child to stop under its shutdown setting, for `why` (which
    /// replaces the reason of a stop already under way, unless it is a group
    /// restart's). Returns whether its task is still to end.
    pub(crate) fn ask_stop(&mut self, index: usize, why: Why) -> bool {
        let now = self.wake.now();
        let Some(child) = self.children.get_mut(index) else { return false };
        let live = match std::mem::replace(&mut child.state, State::Stopped) {
            State::Starting { live, .. } | State::Running { live } | State::Stopping { live, since: None, .. } => live,
            State::Stopping { live, since: Some(since), aborted, why: was } => {
                let why = if why == Why::Group { was } else { why };
                child.state = State::Stopping { live, since: Some(since), aborted, why };
                return true;
            }
            other => {
                child.state = other;
                return false;
            }
        };
        let shutdown = child.spec.shutdown;
        if shutdown != Shutdown::Brutal {
            match &live.nested {
                Some(nested) => drop(nested.inbox.send(super::inbox::Message::Stop)),
                None => live.ctx.cancel(),
            }
        }
        child.state = State::Stopping { live, since: Some(now), aborted: false, why };
        match shutdown {
            Shutdown::Brutal => self.abort(index, None),
            Shutdown::Timeout(timeout) => self.set_timer(now + timeout, index, TimerKind::StopDeadline),
            Shutdown::Infinity => {}
        }
        true
    }

    /// Marks a running child as to be stopped by a group restart, which
    /// will ask it in turn. Returns whether it joins the group (a child
    /// being terminated does not: it stays stopped).
    pub(crate) fn doom(&mut self, index: usize) -> bool {
        let Some(child) = self.children.get_mut(index) else { return false };
        match std::mem::replace(&mut child.state, State::Stopped) {
            State::Starting { live, .. } | State::Running { live } => {
                child.state = State::Stopping { live, since: None, aborted: false, why: Why::Group };
                true
            }
            State::Stopping { live, since, aborted, why } => {
                let joins = why != Why::Terminate;
                child.state = State::Stopping { live, since, aborted, why: if joins { Why::Group } else { why } };
                joins
            }
            other => {
                child.state = other;
                false
            }
        }
    }

    /// Aborts a child's task now; for a nested supervisor, its whole
    /// subtree. `why` replaces the reason of a stop already under way.
    pub(crate) fn abort(&mut self, index: usize, why: Option<Why>) {
        let now = self.wake.now();
        let Some(child) = self.children.get_mut(index) else { return };
        let (live, since, was) = match std::mem::replace(&mut child.state, State::Stopped) {
            State::Starting { live, .. } | State::Running { live } => (live, None, Why::Shutdown),
            State::Stopping { live, since, aborted: false, why } => (live, since, why),
            other => {
                // Already aborted, or not running.
                child.state = other;
                return;
            }
        };
        match &live.nested {
            Some(nested) => drop(nested.inbox.send(super::inbox::Message::Kill)),
            None => live.task.abort(),
        }
        child.state =
            State::Stopping { live, since: Some(since.unwrap_or(now)), aborted: true, why: why.unwrap_or(was) };
        // An aborted task ends at its next poll, within microseconds, unless
        // it blocks its thread: then nothing in safe Rust can stop it.
        let grace = self.rules.abort_grace;
        self.set_timer(now + grace, index, TimerKind::AbortGrace);
    }

    /// The ready deadline passed: the start has failed; abort it.
    pub(crate) fn ready_timed_out(&mut self, index: usize) {
        let by = match self.children.get(index).map(|c| &c.state) {
            Some(State::Starting { by, .. }) => *by,
            _ => return,
        };
        self.abort(index, Some(Why::ReadyTimeout(by)));
    }

    /// Records how an incarnation ended and works out what it means.
    pub(crate) fn ended(&mut self, index: usize, epoch: u64, result: TaskResult) {
        let Some(child) = self.children.get_mut(index) else { return };
        if child.epoch != epoch {
            return;
        }
        let (live, was) = match std::mem::replace(&mut child.state, State::Stopped) {
            State::Starting { live, by } => (live, Was::Starting(by)),
            State::Running { live } => (live, Was::Running),
            State::Stopping { live, since, aborted, why } => (live, Was::Stopping { since, aborted, why }),
            other => {
                child.state = other;
                return;
            }
        };
        let not_ended = matches!(result, TaskResult::NotEnded);
        let ignored = live.ctx.is_ignored();
        let (reason, subtree) = exit_reason(result, was);
        // Given up on: the helpers that had not ended either, by path.
        let subtree = if not_ended { helpers_not_ended(&child.path, &live.ctx) } else { subtree };
        crate::metrics::ended(&child.path, &reason, live.announced);
        let took = was.asked_since().map(|since| self.wake.now().saturating_duration_since(since));
        child.stop_took = took;
        child.last_exit = Some(reason.clone());
        child.exited_at = Some(self.wake.now());
        child.subtree = subtree;
        if not_ended {
            // Detached: awaiting it could take forever.
            drop(live.task);
        } else {
            child.spare = live.ctx.into_spare();
            self.children.reap(live.task);
        }
        let Some(child) = self.children.get(index) else { return };
        self.events.emit(|| {
            let (path, generation) = (child.path.clone(), child.generation());
            match took {
                _ if ignored => Event::ChildIgnored { path, generation },
                Some(took) => Event::ChildStopped { path, generation, reason: reason.clone(), took },
                None => Event::ChildExited { path, generation, reason: reason.clone() },
            }
        });
        let id = || child.spec.id.clone();
        if let Some(replies) = self.agenda.take_stop_replies(index) {
            for reply in replies {
                let _ = reply.send(Ok(Reply::Done));
            }
        }
        if was.asked_since().is_some() {
            // A call that waited for this incarnation's start gets its end.
            if let Some(reply) = self.agenda.take_start_reply(index) {
                let _ = reply.tx.send(Err(ControlError::StartFailed { id: id(), reason }));
            }
        }
        if self.is_stopping() {
            // Nothing restarts during shutdown.
            if let Was::Stopping { since: Some(_), why: Why::Shutdown, .. } = was {
                self.agenda.stage_left = self.agenda.stage_left.saturating_sub(1);
            }
            return self.advance();
        }
        match was {
            Was::Starting(_) | Was::Running if ignored => self.ignored(index),
            Was::Starting(by) => self.start_failed(index, by, false),
            Was::Running | Was::Stopping { why: Why::Kill, .. } => self.exited(index, false),
            Was::Stopping { why: Why::Group, .. } => self.rejoin(index),
            Was::Stopping { why: Why::Terminate | Why::Shutdown, .. } => self.terminated(index),
            Was::Stopping { why: Why::ReadyTimeout(by), .. } => self.start_failed(index, by, true),
            // It ended on its own; its helpers have ended since.
            Was::Stopping { why: Why::Drain(_), .. } if ignored => self.ignored(index),
            Was::Stopping { why: Why::Drain(Some(by)), .. } => self.start_failed(index, by, false),
            Was::Stopping { why: Why::Drain(None), .. } => self.exited(index, false),
        }
        self.advance();
    }

    /// Forgets a child: out of the table and out of the agenda.
    pub(crate) fn forget(&mut self, index: usize) {
        self.agenda.forget(index);
        let present = self.children.get(index).is_some();
        self.children.remove(index);
        if let Some(budget) = self.rules.budget().filter(|_| present) {
            budget.release(1);
        }
    }

    /// A terminated child stays stopped; a temporary or dynamic one is
    /// forgotten.
    pub(crate) fn terminated(&mut self, index: usize) {
        let temporary = self.children.get(index).is_some_and(|c| c.spec.restart == crate::Restart::Temporary);
        if temporary || self.rules.is_dynamic() {
            self.forget(index);
        }
    }

    /// A child a group restart stopped: it waits to be started again with
    /// the group, or, if temporary, is forgotten.
    fn rejoin(&mut self, index: usize) {
        if self.children.get(index).is_some_and(|c| c.spec.restart == crate::Restart::Temporary) {
            return self.forget(index);
        }
        if let Some(due) = self.agenda.sequence.as_ref().map(|s| s.due) {
            let due = due.unwrap_or_else(|| self.wake.now());
            self.queue(index, due, Queue::Sequence);
        }
    }
}

/// The helpers of an incarnation given up on that are still alive, as a
/// report of their own under the child's.
fn helpers_not_ended(path: &Arc<str>, ctx: &Ctx) -> Option<Box<ExitReport>> {
    let alive = ctx.helpers()?.alive();
    if alive.is_empty() {
        return None;
    }
    let children = alive
        .into_iter()
        .map(|path| crate::exit::ChildReport { path, exit: Some(ExitReason::NotEnded), stop_took: None, subtree: None })
        .collect();
    Some(Box::new(ExitReport { path: path.clone(), children }))
}

/// The exit reason of a task, given what its incarnation was doing.
fn exit_reason(result: TaskResult, was: Was) -> (ExitReason, Option<Box<ExitReport>>) {
    let asked = was.asked_since().is_some();
    let (aborted, why) = match was {
        // Aborted while its helpers ended: its own result stands.
        Was::Stopping { why: Why::Drain(_), .. } => (false, None),
        Was::Stopping { aborted, why, .. } => (aborted, Some(why)),
        _ => (false, None),
    };
    if let TaskResult::NotEnded = result {
        return (ExitReason::NotEnded, None);
    }
    if aborted || matches!(result, TaskResult::Aborted) {
        let subtree = match result {
            TaskResult::Supervisor(result) => result.ok().map(Box::new),
            _ => None,
        };
        let reason = if why == Some(Why::Kill) { ExitReason::Killed } else { ExitReason::Aborted };
        return (reason, subtree);
    }
    let returned = if asked { ExitReason::Stopped } else { ExitReason::Returned };
    match result {
        TaskResult::Worker(Ok(())) => (returned, None),
        TaskResult::Worker(Err(error)) => (ExitReason::Failed(error), None),
        TaskResult::Panicked(message) => (ExitReason::Panicked(message), None),
        TaskResult::Helper(reason) => (reason, None),
        TaskResult::LeaseLost => (ExitReason::LeaseLost, None),
        TaskResult::Aborted | TaskResult::NotEnded => (ExitReason::Aborted, None),
        TaskResult::Supervisor(result) => match *result {
            Ok(report) => (returned, Some(Box::new(report))),
            Err(error) => {
                let subtree = error.report().cloned().map(Box::new);
                (ExitReason::GaveUp(Arc::from(error.to_string())), subtree)
            }
        },
    }
}
