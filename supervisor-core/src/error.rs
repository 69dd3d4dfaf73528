//! Typed errors: invalid specs, failed starts, supervisors that gave up, and
//! control calls that cannot be carried out.

use std::sync::Arc;
use std::time::Duration;

use crate::exit::{ExitReason, ExitReport};

/// An invalid [`SupervisorSpec`](crate::SupervisorSpec) or
/// [`ChildSpec`](crate::ChildSpec), found by
/// [`SupervisorBuilder::build`](crate::SupervisorBuilder::build) or by
/// `start_child`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// An id or name that cannot be a path segment.
    #[error("`{id}` is not a valid id: use a non-empty name without `/`")]
    InvalidId {
        /// The id.
        id: Arc<str>,
    },
    /// Two children with the same id.
    #[error("supervisor `{supervisor}` has two children named `{id}`: give each child a unique id")]
    DuplicateChild {
        /// The supervisor.
        supervisor: Arc<str>,
        /// The repeated id.
        id: Arc<str>,
    },
    /// An intensity period of zero.
    #[error("supervisor `{supervisor}` has an intensity period of zero: use a period of at least 1ms")]
    ZeroPeriod {
        /// The supervisor.
        supervisor: Arc<str>,
    },
    /// An abort grace of zero.
    #[error("supervisor `{supervisor}` has an abort grace of zero: give aborted tasks at least 1ms to end")]
    ZeroAbortGrace {
        /// The supervisor.
        supervisor: Arc<str>,
    },
    /// A backoff with min > max, a zero min, or jitter outside 0..=1.
    #[error("child `{child}`: {problem}")]
    InvalidBackoff {
        /// The child.
        child: Arc<str>,
        /// What is wrong.
        problem: &'static str,
    },
    /// A singleton whose lease cannot be kept: a TTL too short for its
    /// renewal interval, margin and shutdown, an infinite shutdown, an
    /// empty key, or a supervisor made a singleton.
    #[error("child `{child}`: {problem}")]
    InvalidSingleton {
        /// The child.
        child: Arc<str>,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// A backoff on a temporary child, which is never restarted.
    #[error("child `{child}` is temporary, so it is never restarted: remove its backoff or make it transient")]
    BackoffOnTemporary {
        /// The child.
        child: Arc<str>,
    },
    /// A significant permanent child (OTP forbids it).
    #[error("child `{child}` is permanent and cannot be significant: make it transient or temporary")]
    SignificantPermanent {
        /// The child.
        child: Arc<str>,
    },
    /// A significant child under a supervisor whose auto-shutdown is
    /// `never`, where the flag would mean nothing (OTP's `bad_combination`).
    #[error(
        "child `{child}` is significant, but its supervisor's auto_shutdown is never: set auto_shutdown to any_significant or all_significant, or drop the flag"
    )]
    SignificantWithoutAutoShutdown {
        /// The child.
        child: Arc<str>,
    },
    /// A child template that moves its arguments into its children
    /// ([`ChildTemplate::temporary`](crate::ChildTemplate::temporary)) made
    /// to restart them, which would need a copy.
    #[error(
        "child template `{child}` moves its arguments into each child, so its children are temporary: remove `restart`, or take `Clone` arguments with `ChildTemplate::new`"
    )]
    MovedArguments {
        /// The template's id.
        child: Arc<str>,
    },
    /// A partitioned dynamic supervisor of zero partitions.
    #[error("dynamic supervisor `{supervisor}` has 0 partitions: give it at least 1")]
    NoPartitions {
        /// The supervisor's name.
        supervisor: Arc<str>,
    },
    /// A readiness timeout of zero.
    #[error("child `{child}` has a ready timeout of zero: give it time to start, or do not wait for it")]
    ZeroReadyTimeout {
        /// The child.
        child: Arc<str>,
    },
    /// The shutdown order names a child that does not exist.
    #[error("the shutdown order names `{id}`, which is not a child: name only declared children")]
    ShutdownOrderUnknown {
        /// The unknown id.
        id: Arc<str>,
    },
    /// The shutdown order leaves a child out.
    #[error("the shutdown order leaves out `{id}`: name every child once")]
    ShutdownOrderMissing {
        /// The missing child.
        id: Arc<str>,
    },
    /// The shutdown order names a child twice.
    #[error("the shutdown order names `{id}` twice: name every child once")]
    ShutdownOrderRepeated {
        /// The repeated child.
        id: Arc<str>,
    },
}

/// Why [`SupervisorSpec::start`](crate::SupervisorSpec::start) failed. The
/// children already started have been stopped in reverse order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A child ended before it had started.
    #[error("child `{child}` failed to start: {reason}")]
    ChildFailed {
        /// The child's path.
        child: Arc<str>,
        /// How it ended.
        reason: ExitReason,
    },
    /// A child did not call `Ctx::ready` within its ready timeout.
    #[error("child `{child}` did not become ready within {timeout:?}")]
    ReadyTimeout {
        /// The child's path.
        child: Arc<str>,
        /// The timeout it had.
        timeout: Duration,
    },
    /// The supervisor was told to shut down before it had started.
    #[error("supervisor `{supervisor}` was shut down while starting")]
    ShutDown {
        /// The supervisor's path.
        supervisor: Arc<str>,
    },
}

/// Why a running supervisor ended with an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// More than `max` restarts within `period`: it stopped every child and
    /// gave up. Its parent sees this as the failure of a child.
    #[error("supervisor `{supervisor}` gave up: more than {max} restarts in {period:?} (last: `{child}` {reason})")]
    IntensityExceeded {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// The restart limit.
        max: u32,
        /// The window.
        period: Duration,
        /// The child whose exit was one restart too many.
        child: Arc<str>,
        /// How that child ended.
        reason: ExitReason,
        /// How every child ended.
        report: Box<ExitReport>,
    },
    /// Its loop ended without reporting; only when the runtime shuts down
    /// under a running tree.
    #[error("supervisor `{supervisor}` was dropped by the runtime before it stopped")]
    Lost {
        /// The supervisor's path.
        supervisor: Arc<str>,
    },
}

impl SupervisorError {
    /// The exit report, where the supervisor left one.
    #[must_use]
    pub fn report(&self) -> Option<&ExitReport> {
        match self {
            SupervisorError::IntensityExceeded { report, .. } => Some(report),
            SupervisorError::Lost { .. } => None,
        }
    }
}
