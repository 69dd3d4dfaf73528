//! One child as its supervisor holds it: its spec, what its past
//! incarnations left (generation, last exit, backoff), and its state, one
//! enum whose variants carry the current incarnation's data. Starting a new
//! incarnation builds a new state, so nothing is reset by hand.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::inbox::Message;
use crate::child_spec::ChildSpec;
use crate::control::ChildState;
use crate::ctx::Ctx;
use crate::exit::{ExitReason, ExitReport};
use crate::policy::backoff::BackoffState;

/// Where a child is in its life.
#[derive(Debug)]
pub(crate) enum State {
    /// Not running, and not started again unless a call asks.
    Stopped,
    /// Its last start answered *ignore*: kept, not running.
    Ignored,
    /// To be started by its supervisor at `due` (a backoff delay, or now).
    Queued {
        due: Instant,
        by: Queue,
    },
    /// Spawned; its supervisor waits for it to call `Ctx::ready`.
    Starting {
        live: Live,
        by: StartedBy,
    },
    Running {
        live: Live,
    },
    /// To be stopped, or being stopped. `since` is when it was asked: `None`
    /// while a group restart has yet to reach it.
    Stopping {
        live: Live,
        since: Option<Instant>,
        aborted: bool,
        why: Why,
    },
}

/// What starts a queued child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Queue {
    /// Its own restart (one-for-one): started when due.
    Alone,
    /// A start that failed, tried again when due (OTP's `try_again_restart`):
    /// the exit is decided again, and counts as a restart.
    Retry,
    /// A member of the start sequence (the supervisor's own start, a group
    /// restart): started in turn, once the one before it has started.
    Sequence,
}

/// Who an incarnation's start answers to; it says what a failed start means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartedBy {
    /// The start sequence: the supervisor's own start, or a group restart.
    Sequence,
    /// A one-for-one restart.
    Restart,
    /// A control call, which waits for the answer.
    Call,
}

/// Why a child is being stopped: what its end means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// A sibling's group restart: it is started again with the group.
    Group,
    /// `terminate_child`: it stays stopped.
    Terminate,
    /// The supervisor is stopping.
    Shutdown,
    /// `kill_child`: aborted, and then its restart type applies.
    Kill,
    /// It did not call `Ctx::ready` in time: its start failed.
    ReadyTimeout(StartedBy),
    /// Its own future ended, on its own; its helpers are ending under its
    /// shutdown setting. Its end is its own exit (`Some`: it had not
    /// started yet, by that).
    Drain(Option<StartedBy>),
}

impl State {
    pub(crate) fn is_alive(&self) -> bool {
        self.live().is_some()
    }

    pub(crate) fn live(&self) -> Option<&Live> {
        match self {
            State::Starting { live, .. } | State::Running { live } | State::Stopping { live, .. } => Some(live),
            State::Stopped | State::Ignored | State::Queued { .. } => None,
        }
    }

    /// What `which_children` reports.
    pub(crate) fn public(&self) -> ChildState {
        match self {
            State::Stopped => ChildState::Stopped,
            State::Ignored => ChildState::Ignored,
            State::Queued { due, .. } => ChildState::Restarting { at: *due },
            // A singleton that lost its lease is stopping for it, not
            // waiting for it, until it has ended.
            State::Starting { live, .. } | State::Running { live } if live.ctx.awaits_lease() => {
                if live.ctx.is_cancelled() { ChildState::Stopping } else { ChildState::WaitingForLease }
            }
            State::Starting { .. } => ChildState::Starting,
            State::Running { .. } => ChildState::Running,
            State::Stopping { .. } => ChildState::Stopping,
        }
    }
}

/// The handles of a running incarnation.
#[derive(Debug)]
pub(crate) struct Live {
    /// Its context, through which the supervisor asks it to stop.
    pub(crate) ctx: Ctx,
    pub(crate) task: JoinHandle<()>,
    /// For a nested supervisor: how to reach its loop.
    pub(crate) nested: Option<Nested>,
    /// Announced as started (event, metrics).
    pub(crate) announced: bool,
    /// When it was spawned.
    pub(crate) started_at: Instant,
}

/// The link to a running nested supervisor's loop.
#[derive(Debug)]
pub(crate) struct Nested {
    /// Its inbox: control calls, and stop and kill from its parent.
    pub(crate) inbox: mpsc::UnboundedSender<Message>,
}

impl Drop for Nested {
    /// A parent that lets go of a running nested supervisor (it panicked, or
    /// its task was dropped) takes the subtree down with it. Once the nested
    /// loop has ended this finds its inbox closed and does nothing.
    fn drop(&mut self) {
        let _ = self.inbox.send(Message::Kill);
    }
}

/// A child's backoff: restarts in a row, and when its incarnation started.
#[derive(Debug, Default)]
pub(crate) struct BackoffRun {
    pub(crate) state: BackoffState,
    pub(crate) started_at: Option<Instant>,
}

#[derive(Debug)]
pub(crate) struct Child {
    pub(crate) spec: ChildSpec,
    pub(crate) path: Arc<str>,
    /// Its place in the start order (see [`Children`](super::children::Children)).
    pub(crate) stamp: u64,
    pub(crate) state: State,
    /// Unique per supervisor for every incarnation and every wait: timers,
    /// readiness and exits carry it, and stale ones are ignored.
    pub(crate) epoch: u64,
    /// How many incarnations have started: the next one's generation.
    pub(crate) starts: u64,
    pub(crate) last_exit: Option<ExitReason>,
    /// When its last incarnation ended.
    pub(crate) exited_at: Option<Instant>,
    /// How long its last stop took, from the request to the end of its task.
    pub(crate) stop_took: Option<Duration>,
    pub(crate) subtree: Option<Box<ExitReport>>,
    /// Only for a child with a backoff (boxed: most have none).
    pub(crate) backoff: Option<Box<BackoffRun>>,
    /// The last incarnation's context, when nothing else holds it: the
    /// next start reuses its allocation.
    pub(crate) spare: Option<Ctx>,
}

impl Child {
    pub(crate) fn new(spec: ChildSpec, path: Arc<str>) -> Self {
        crate::metrics::declared(&path);
        Child {
            spec,
            path,
            stamp: 0,
            state: State::Stopped,
            epoch: 0,
            starts: 0,
            last_exit: None,
            exited_at: None,
            stop_took: None,
            subtree: None,
            backoff: None,
            spare: None,
        }
    }

    pub(crate) fn id(&self) -> Arc<str> {
        self.spec.id.clone()
    }

    /// The generation of the current (or last) incarnation.
    pub(crate) fn generation(&self) -> u64 {
        self.starts.saturating_sub(1)
    }
}
