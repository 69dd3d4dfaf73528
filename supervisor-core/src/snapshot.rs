//! The whole tree as data, for operators: every supervisor and child, with
//! its state, restarts and last exit. Each supervisor answers for its own
//! children in one turn of its loop, so what it says of them is consistent;
//! the handle then asks the nested supervisors below it.

use std::sync::Arc;
use std::time::Duration;

use crate::child_spec::ChildKind;
use crate::control::ChildState;
use crate::exit::ExitReason;
use crate::policy::intensity::Intensity;
use crate::policy::restart::Restart;
use crate::policy::strategy::Strategy;

/// One supervisor, from [`SupervisorHandle::tree`](crate::SupervisorHandle::tree).
///
/// ```
/// use supervisor_core::{ChildSpec, ChildState, Ctx, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let idle = |ctx: Ctx| async move { ctx.cancelled().await };
/// let inner = SupervisorSpec::builder("inner").child(ChildSpec::worker("leaf", idle)).build()?;
/// let spec = SupervisorSpec::builder("app")
///     .child(ChildSpec::worker("db", idle))
///     .child(ChildSpec::supervisor(inner))
///     .build()?;
/// let running = spec.start().await?;
/// let tree = running.handle().tree().await?;
/// assert_eq!(tree.children[0].state, ChildState::Running);
/// let inner = tree.children[1].supervisor.as_ref().expect("a nested supervisor");
/// assert_eq!(&*inner.children[0].path, "app/inner/leaf");
/// running.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TreeSnapshot {
    /// Its path in the tree.
    pub path: Arc<str>,
    /// Its restart strategy.
    pub strategy: Strategy,
    /// Whether its children are started at run time, from a template.
    pub dynamic: bool,
    /// Its restart limit.
    pub intensity: Intensity,
    /// The restarts inside its intensity window now: one more than
    /// `intensity.max()` and it gives up.
    pub restarts: usize,
    /// Its children, in start order.
    pub children: Vec<ChildSnapshot>,
}

/// One child of a [`TreeSnapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildSnapshot {
    /// Its id among its siblings.
    pub id: Arc<str>,
    /// Its path in the tree.
    pub path: Arc<str>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: Restart,
    /// Whether the tree's readiness waits for it.
    pub gates_readiness: bool,
    /// Where it is in its life: starting (not yet ready), running,
    /// stopping, restarting until a time, stopped or ignored.
    pub state: ChildState,
    /// For a child restarting: how long until it is due.
    pub restart_in: Option<Duration>,
    /// Its current (or last) incarnation: 0 for the first start.
    pub generation: u64,
    /// How its last incarnation ended, if one has.
    pub last_exit: Option<ExitReason>,
    /// Its incarnation's helper tasks ([`Ctx::spawn`](crate::Ctx::spawn))
    /// still alive.
    pub helpers: usize,
    /// For a running nested supervisor: its own snapshot.
    pub supervisor: Option<Box<TreeSnapshot>>,
}

impl TreeSnapshot {
    /// Every child of the tree with the supervisor it is under: each
    /// supervisor's children together, from the top down.
    pub fn walk(&self) -> impl Iterator<Item = (&TreeSnapshot, &ChildSnapshot)> + '_ {
        let mut stack = vec![self];
        let mut out = Vec::new();
        while let Some(sup) = stack.pop() {
            for child in &sup.children {
                out.push((sup, child));
            }
            stack.extend(sup.children.iter().rev().filter_map(|c| c.supervisor.as_deref()));
        }
        out.into_iter()
    }
}
