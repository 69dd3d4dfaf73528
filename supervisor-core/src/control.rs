//! What control calls return: child listings, counts, and typed errors.

use std::sync::Arc;

use tokio::time::Instant;

use crate::child_spec::ChildKind;
use crate::error::SpecError;
use crate::exit::ExitReason;

/// Where a child is in its life, as [`which_children`] reports it.
///
/// [`which_children`]: crate::SupervisorHandle::which_children
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildState {
    /// Spawned; its supervisor is waiting for it to call `Ctx::ready`.
    Starting,
    /// Running.
    Running,
    /// A [singleton](crate::lease) waiting for its lease: its task is
    /// alive, campaigning, and its own code has not run yet (or has
    /// stopped after its lease was lost).
    WaitingForLease,
    /// Asked to stop; its task has not ended yet.
    Stopping,
    /// To be started again by its supervisor: after a backoff delay until
    /// `at`, or, once `at` has passed, as soon as the children before it in
    /// a group restart have started, or its failed start is tried again.
    Restarting {
        /// When it is due.
        at: Instant,
    },
    /// Not running: it ended and is not restarted, or was terminated.
    Stopped,
    /// Its start answered *ignore* ([`Ctx::ignore`](crate::Ctx::ignore)):
    /// kept, not running.
    Ignored,
}

/// One child, as [`which_children`] reports it.
///
/// [`which_children`]: crate::SupervisorHandle::which_children
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildInfo {
    /// Its id among its siblings.
    pub id: Arc<str>,
    /// Its path in the tree.
    pub path: Arc<str>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Where it is in its life.
    pub state: ChildState,
    /// Its current (or last) incarnation: 0 for the first start.
    pub generation: u64,
    /// How many times it was started again.
    pub restarts: u64,
    /// How its last incarnation ended, if one has.
    pub last_exit: Option<ExitReason>,
}

/// Counts of a supervisor's children, as OTP's `count_children`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildCounts {
    /// Every child spec the supervisor holds; 1 for a dynamic supervisor,
    /// whose one spec is its template (as OTP's `simple_one_for_one`).
    pub specs: usize,
    /// Children whose task is alive (starting, running or stopping); a
    /// child waiting for its restart is not.
    pub active: usize,
    /// Children that are supervisors.
    pub supervisors: usize,
    /// Children that are workers.
    pub workers: usize,
}

/// Why a control call could not be carried out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// No child with that id.
    #[error("no child `{id}`")]
    NotFound {
        /// The id asked for.
        id: Arc<str>,
    },
    /// The child is running; stop it first (`terminate_child`).
    #[error("child `{id}` is running: terminate it first")]
    Running {
        /// The child.
        id: Arc<str>,
    },
    /// The child is waiting out a backoff delay and will start by itself.
    #[error("child `{id}` is restarting: it starts again by itself, or terminate it first")]
    Restarting {
        /// The child.
        id: Arc<str>,
    },
    /// `kill_child` on a child that is not running.
    #[error("child `{id}` is not running: there is nothing to kill")]
    NotRunning {
        /// The child.
        id: Arc<str>,
    },
    /// `start_child` with an id whose child is running.
    #[error("child `{id}` is already started")]
    AlreadyStarted {
        /// The child.
        id: Arc<str>,
    },
    /// `start_child` with an id whose (stopped) spec is still held: use
    /// `restart_child`, or `delete_child` first.
    #[error("child `{id}` is already present: restart it, or delete it first")]
    AlreadyPresent {
        /// The child.
        id: Arc<str>,
    },
    /// The child spec given to `start_child` is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The child did not start.
    #[error("child `{id}` failed to start: {reason}")]
    StartFailed {
        /// The child.
        id: Arc<str>,
        /// How it ended.
        reason: ExitReason,
    },
    /// A dynamic supervisor already has `max` children.
    #[error("dynamic supervisor `{supervisor}` is full: {max} children")]
    Full {
        /// The supervisor.
        supervisor: Arc<str>,
        /// Its `max_children`.
        max: usize,
    },
    /// `restart_child` or `delete_child` on a dynamic supervisor (as OTP's
    /// `simple_one_for_one`, its children come and go with `start_child` and
    /// `terminate_child`), or a dynamic start on a static supervisor.
    #[error("supervisor `{supervisor}` does not support this call: {why}")]
    Unsupported {
        /// The supervisor.
        supervisor: Arc<str>,
        /// Why.
        why: &'static str,
    },
    /// The arguments given to a dynamic `start_child` are not of the type
    /// its child template takes.
    #[error("supervisor `{supervisor}` starts children with other arguments than `{given}`")]
    WrongArguments {
        /// The supervisor.
        supervisor: Arc<str>,
        /// The type given.
        given: &'static str,
    },
    /// A path segment that names no running nested supervisor.
    #[error("`{path}` is not a running supervisor")]
    NotASupervisor {
        /// The path.
        path: Arc<str>,
    },
    /// The supervisor is shutting down or has stopped.
    #[error("supervisor `{supervisor}` is shutting down")]
    ShuttingDown {
        /// The supervisor.
        supervisor: Arc<str>,
    },
}
