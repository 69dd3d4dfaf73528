//! How a child ended, and the report a supervisor leaves when it stops.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How one incarnation of a child ended.
///
/// ```
/// use supervisor_core::ExitReason;
///
/// let reason = ExitReason::Panicked("index out of bounds".into());
/// assert!(reason.is_abnormal());
/// assert_eq!(reason.to_string(), "panicked: index out of bounds");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExitReason {
    /// It returned `Ok(())` (or `()`) on its own.
    Returned,
    /// It returned an error; the error's `Display` is kept.
    Failed(Arc<str>),
    /// It panicked; the panic message is kept.
    Panicked(Arc<str>),
    /// It was asked to stop and ended within its shutdown deadline.
    Stopped,
    /// It was aborted: `brutal` shutdown, or still running at its deadline.
    Aborted,
    /// It was killed from outside with
    /// [`kill_child`](crate::SupervisorHandle::kill_child) (OTP's
    /// `exit(Pid, kill)`); its restart type applies as to any failure.
    Killed,
    /// A nested supervisor gave up (more restarts than its intensity
    /// allows) after stopping its children. As OTP's `shutdown` exit reason
    /// it is not abnormal: a permanent spec restarts it, a transient one
    /// does not. The text is the supervisor's error.
    GaveUp(Arc<str>),
    /// It was aborted but its task had still not ended when the supervisor
    /// gave up waiting: it blocks its thread. Nothing in safe Rust can stop
    /// such a task; the report names it so you can fix it.
    NotEnded,
    /// A [singleton](crate::lease)'s lease was lost or in doubt, so it was
    /// stopped before another process could take the lease over. Not a
    /// crash: it does not count against restart intensity, and a permanent
    /// or transient child campaigns again, alone, after its backoff.
    LeaseLost,
}

impl ExitReason {
    /// Whether the exit was abnormal: an error, a panic, an abort or a
    /// kill. A transient child is restarted only after an abnormal exit.
    #[must_use]
    pub fn is_abnormal(&self) -> bool {
        matches!(
            self,
            ExitReason::Failed(_)
                | ExitReason::Panicked(_)
                | ExitReason::Aborted
                | ExitReason::Killed
                | ExitReason::NotEnded
        )
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Returned => f.write_str("returned"),
            ExitReason::Failed(error) => write!(f, "failed: {error}"),
            ExitReason::Panicked(message) => write!(f, "panicked: {message}"),
            ExitReason::Stopped => f.write_str("stopped"),
            ExitReason::Aborted => f.write_str("aborted"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::GaveUp(error) => write!(f, "gave up: {error}"),
            ExitReason::NotEnded => f.write_str("did not end after abort"),
            ExitReason::LeaseLost => f.write_str("lost its lease"),
        }
    }
}

/// What a supervisor reports once it has stopped: one entry per child, in
/// start order.
///
/// ```
/// use supervisor_core::{ChildSpec, Ctx, ExitReason, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = SupervisorSpec::builder("app")
///     .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
///     .build()?;
/// let report = spec.start().await?.shutdown().await?;
/// assert_eq!(report.children[0].exit, Some(ExitReason::Stopped));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExitReport {
    /// The supervisor's path in the tree.
    pub path: Arc<str>,
    /// Its children, in start order.
    pub children: Vec<ChildReport>,
}

impl ExitReport {
    /// The entry for the child with this id, if any.
    #[must_use]
    pub fn child(&self, id: &str) -> Option<&ChildReport> {
        self.children.iter().find(|c| c.id() == id)
    }

    /// Paths of every child (and helper) in this subtree whose task had not
    /// ended when its supervisor gave up waiting for it.
    #[must_use]
    pub fn not_ended(&self) -> Vec<Arc<str>> {
        let mut out = Vec::new();
        for child in &self.children {
            if child.exit == Some(ExitReason::NotEnded) {
                out.push(child.path.clone());
            }
            if let Some(sub) = &child.subtree {
                out.extend(sub.not_ended());
            }
        }
        out
    }
}

/// How one child ended when its supervisor stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildReport {
    /// The child's path, `root/.../id`.
    pub path: Arc<str>,
    /// How its last incarnation ended; `None` if it was not running when the
    /// supervisor stopped (and had not run since the last report).
    pub exit: Option<ExitReason>,
    /// How long its stop took, from the stop request to the end of its task;
    /// `None` if it was not running.
    pub stop_took: Option<Duration>,
    /// For a nested supervisor, its own report; for a worker given up on
    /// as not ended, its helpers ([`Ctx::spawn`](crate::Ctx::spawn)) that
    /// had not ended either.
    pub subtree: Option<Box<ExitReport>>,
}

impl ChildReport {
    /// The child's id: the last segment of its path.
    #[must_use]
    pub fn id(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}
