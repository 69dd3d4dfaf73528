//! Typed lifecycle events, published on a broadcast channel and mirrored as
//! `tracing` events.

use std::sync::Arc;
use std::time::Duration;

use crate::exit::ExitReason;

/// Something that happened in a supervision tree.
///
/// Every event names the child or supervisor by its path in the tree
/// (`app/consumers/orders`) and, for children, by the generation of the
/// incarnation concerned (0 for the first start, one more per restart).
///
/// ```
/// use supervisor_core::{ChildSpec, Ctx, Event, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = SupervisorSpec::builder("app")
///     .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
///     .build()?;
/// let running = spec.start().await?;
/// let mut events = running.subscribe();
/// running.shutdown().await?;
/// let first = events.recv().await?;
/// assert!(matches!(first, Event::ChildStopped { ref path, .. } if &**path == "app/idle"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A child incarnation started (and, if it is waited for, became ready).
    ChildStarted {
        /// The child's path.
        path: Arc<str>,
        /// Which incarnation.
        generation: u64,
    },
    /// A child incarnation ended on its own.
    ChildExited {
        /// The child's path.
        path: Arc<str>,
        /// Which incarnation.
        generation: u64,
        /// How it ended.
        reason: ExitReason,
    },
    /// A child will be started again `delay` after this event, and not
    /// before the siblings its strategy stops have stopped (zero: as soon as
    /// they have).
    RestartScheduled {
        /// The child's path.
        path: Arc<str>,
        /// The generation the restart will have.
        generation: u64,
        /// The backoff delay.
        delay: Duration,
    },
    /// A child incarnation ended after its supervisor asked it to stop.
    ChildStopped {
        /// The child's path.
        path: Arc<str>,
        /// Which incarnation.
        generation: u64,
        /// How it ended: stopped in time, aborted, or an error on the way out.
        reason: ExitReason,
        /// From the stop request to the end of its task.
        took: Duration,
    },
    /// A supervisor had more than `max` restarts within `period` and gives up.
    IntensityExceeded {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// Its restart limit.
        max: u32,
        /// Its window.
        period: Duration,
    },
    /// A supervisor has stopped; every task below it has ended.
    SupervisorStopped {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// Why, if it stopped with an error.
        error: Option<Arc<str>>,
    },
}

impl Event {
    /// Mirrors the event as a `tracing` event with structured fields.
    pub(crate) fn trace(&self) {
        match self {
            Event::ChildStarted { path, generation } => {
                tracing::debug!(path = %path, generation, "child started");
            }
            Event::ChildExited { path, generation, reason } if reason.is_abnormal() => {
                tracing::warn!(path = %path, generation, reason = %reason, "child exited");
            }
            Event::ChildExited { path, generation, reason } => {
                tracing::info!(path = %path, generation, reason = %reason, "child exited");
            }
            Event::RestartScheduled { path, generation, delay } => {
                tracing::info!(path = %path, generation, delay_ms = delay.as_millis() as u64, "restart scheduled");
            }
            Event::ChildStopped { path, generation, reason, took } => {
                tracing::debug!(path = %path, generation, reason = %reason, took_ms = took.as_millis() as u64, "child stopped");
            }
            Event::IntensityExceeded { supervisor, max, period } => {
                tracing::error!(supervisor = %supervisor, max, period_ms = period.as_millis() as u64, "restart intensity exceeded");
            }
            Event::SupervisorStopped { supervisor, error: Some(error) } => {
                tracing::error!(supervisor = %supervisor, error = %error, "supervisor stopped");
            }
            Event::SupervisorStopped { supervisor, error: None } => {
                tracing::info!(supervisor = %supervisor, "supervisor stopped");
            }
        }
    }
}
