//! Health with Kubernetes' meaning, read off a [`TreeSnapshot`].
//!
//! - *Live*: the top loop answered within a bound. It never depends on the
//!   children's own dependencies: a restart loop is not a dead process.
//! - *Ready*: the tree has started, is not stopping, and every child that
//!   gates readiness (by default the permanent ones;
//!   [`ChildSpec::gates_readiness`](crate::ChildSpec::gates_readiness)) is
//!   running and ready. A subtree that does not gate is not looked into.
//! - *Degraded* (still ready): a child restarting again and again, or a
//!   subtree that does not gate and gave up, each said in a sentence.

use std::sync::Arc;

use crate::control::ChildState;
use crate::exit::ExitReason;
use crate::snapshot::{ChildSnapshot, TreeSnapshot};

/// How many restarts in a row make a restarting child a degradation.
const RESTARTS_OF_CONCERN: u64 = 3;

/// The health of a running tree, from
/// [`SupervisorHandle::health`](crate::SupervisorHandle::health).
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let idle = |ctx: Ctx| async move { ctx.cancelled().await };
/// let running = SupervisorSpec::builder("app").child(ChildSpec::worker("db", idle)).build()?.start().await?;
/// let health = running.handle().health(Duration::from_secs(1)).await;
/// assert!(health.live && health.ready && health.degraded.is_empty());
/// running.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Health {
    /// The top supervisor's loop answered in time.
    pub live: bool,
    /// Started, not stopping, and every gating child running and ready.
    pub ready: bool,
    /// What is wrong while it is still ready, one sentence each.
    pub degraded: Vec<String>,
    /// Every gating child, and whether it passes.
    pub checks: Vec<Check>,
}

/// One child that gates readiness, and how it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Check {
    /// The child's path.
    pub path: Arc<str>,
    /// Running and ready.
    pub ready: bool,
    /// Where it is, when it is not.
    pub why: Option<String>,
}

impl Health {
    /// The tree could not be asked: it has stopped, or is stopping, or its
    /// loop did not answer within the bound.
    pub(crate) fn unreachable(live: bool, why: String) -> Health {
        Health { live, ready: false, degraded: vec![why], checks: Vec::new() }
    }

    /// Health read off a snapshot the top loop gave in time.
    #[must_use]
    pub fn of(tree: &TreeSnapshot) -> Health {
        let mut health = Health { live: true, ready: true, degraded: Vec::new(), checks: Vec::new() };
        health.visit(tree, true);
        health.ready = health.checks.iter().all(|c| c.ready);
        health
    }

    fn visit(&mut self, tree: &TreeSnapshot, gating: bool) {
        if tree.restarts > tree.intensity.max() as usize / 2 && tree.intensity.max() > 1 {
            self.degraded.push(format!(
                "supervisor `{}` has restarted {} of its {} allowed in {:?}",
                tree.path,
                tree.restarts,
                tree.intensity.max(),
                tree.intensity.period()
            ));
        }
        for child in &tree.children {
            let gates = gating && child.gates_readiness;
            if gates {
                self.checks.push(check(child));
            }
            self.note_degraded(child, gates);
            if let Some(subtree) = &child.supervisor {
                self.visit(subtree, gates);
            }
        }
    }

    fn note_degraded(&mut self, child: &ChildSnapshot, gates: bool) {
        if matches!(child.state, ChildState::Restarting { .. }) && child.generation + 1 >= RESTARTS_OF_CONCERN {
            self.degraded.push(format!(
                "`{}` keeps failing: restarted {} times, restarting again",
                child.path, child.generation
            ));
        }
        if !gates && child.state == ChildState::Stopped && matches!(child.last_exit, Some(ExitReason::GaveUp(_))) {
            self.degraded.push(format!("`{}` gave up and is not restarted", child.path));
        }
    }
}

fn check(child: &ChildSnapshot) -> Check {
    let why = match child.state {
        // A standby replica of a singleton is as it should be.
        ChildState::Running | ChildState::WaitingForLease => None,
        ChildState::Starting => Some("starting, not yet ready".to_string()),
        ChildState::Restarting { .. } => Some(match child.restart_in {
            Some(left) if !left.is_zero() => format!("restarting in {left:?}"),
            _ => "restarting".to_string(),
        }),
        ChildState::Stopping => Some("stopping".to_string()),
        ChildState::Ignored => Some("ignored its start".to_string()),
        _ => Some(match &child.last_exit {
            Some(reason) => format!("stopped ({reason})"),
            None => "stopped".to_string(),
        }),
    };
    Check { path: child.path.clone(), ready: why.is_none(), why }
}
