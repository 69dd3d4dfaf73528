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
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TreeSnapshot {
    /// Its path in the tree.
    pub path: Arc<str>,
    /// Its restart strategy.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialized::strategy"))]
    pub strategy: Strategy,
    /// Whether its children are started at run time, from a template.
    pub dynamic: bool,
    /// Its restart limit.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialized::intensity"))]
    pub intensity: Intensity,
    /// The restarts inside its intensity window now: one more than
    /// `intensity.max()` and it gives up.
    pub restarts: usize,
    /// Its children, in start order.
    pub children: Vec<ChildSnapshot>,
}

/// One child of a [`TreeSnapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ChildSnapshot {
    /// Its id among its siblings.
    pub id: Arc<str>,
    /// Its path in the tree.
    pub path: Arc<str>,
    /// Worker or supervisor.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialized::kind"))]
    pub kind: ChildKind,
    /// Its restart type.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialized::restart"))]
    pub restart: Restart,
    /// Whether the tree's readiness waits for it.
    pub gates_readiness: bool,
    /// Where it is in its life: starting (not yet ready), running,
    /// stopping, restarting until a time, stopped or ignored.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialized::state"))]
    pub state: ChildState,
    /// For a child restarting: how long until it is due (serialized as
    /// `restart_in_ms`).
    #[cfg_attr(feature = "serde", serde(rename = "restart_in_ms", serialize_with = "serialized::millis"))]
    pub restart_in: Option<Duration>,
    /// Its current (or last) incarnation: 0 for the first start.
    pub generation: u64,
    /// How its last incarnation ended, if one has (serialized as its text).
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialized::reason"))]
    pub last_exit: Option<ExitReason>,
    /// How long ago its last incarnation ended (serialized as
    /// `last_exit_ms_ago`).
    #[cfg_attr(feature = "serde", serde(rename = "last_exit_ms_ago", serialize_with = "serialized::millis"))]
    pub last_exit_ago: Option<Duration>,
    /// For a child alive now: how long ago this incarnation was started
    /// (serialized as `up_ms`).
    #[cfg_attr(feature = "serde", serde(rename = "up_ms", serialize_with = "serialized::millis"))]
    pub up: Option<Duration>,
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

/// How the snapshot's fields are written: plain names and numbers, for
/// tools that read JSON.
#[cfg(feature = "serde")]
mod serialized {
    use std::time::Duration;

    use serde::Serializer;

    use crate::child_spec::ChildKind;
    use crate::control::ChildState;
    use crate::exit::ExitReason;
    use crate::policy::intensity::Intensity;
    use crate::policy::restart::Restart;
    use crate::policy::strategy::Strategy;

    pub(super) fn strategy<S: Serializer>(strategy: &Strategy, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match strategy {
            Strategy::OneForOne => "one_for_one",
            Strategy::OneForAll => "one_for_all",
            Strategy::RestForOne => "rest_for_one",
        })
    }

    pub(super) fn intensity<S: Serializer>(intensity: &Intensity, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Intensity", 2)?;
        out.serialize_field("max", &intensity.max())?;
        out.serialize_field("period_ms", &(intensity.period().as_millis() as u64))?;
        out.end()
    }

    pub(super) fn kind<S: Serializer>(kind: &ChildKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match kind {
            ChildKind::Worker => "worker",
            ChildKind::Supervisor => "supervisor",
        })
    }

    pub(super) fn restart<S: Serializer>(restart: &Restart, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match restart {
            Restart::Permanent => "permanent",
            Restart::Transient => "transient",
            Restart::Temporary => "temporary",
        })
    }

    pub(super) fn state<S: Serializer>(state: &ChildState, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match state {
            ChildState::Starting => "starting",
            ChildState::Running => "running",
            ChildState::WaitingForLease => "waiting_for_lease",
            ChildState::Stopping => "stopping",
            ChildState::Restarting { .. } => "restarting",
            ChildState::Stopped => "stopped",
            _ => "ignored",
        })
    }

    pub(super) fn millis<S: Serializer>(duration: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => s.serialize_some(&(duration.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn reason<S: Serializer>(reason: &Option<ExitReason>, s: S) -> Result<S::Ok, S::Error> {
        match reason {
            Some(reason) => s.serialize_some(&reason.to_string()),
            None => s.serialize_none(),
        }
    }
}
