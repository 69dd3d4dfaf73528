//! Erlang/OTP supervision trees for tokio tasks.
//!
//! A supervisor starts its children in order, restarts them by its
//! strategy when they exit, gives up when they restart too often, and stops
//! them in order, each within its deadline, so that when shutdown returns no
//! task of the tree is alive.
//!
//! ```
//! use std::time::Duration;
//! use supervisor_core::{Backoff, ChildSpec, Ctx, Restart, Strategy, SupervisorSpec};
//!
//! async fn worker(ctx: Ctx) -> Result<(), std::io::Error> {
//!     ctx.cancelled().await;
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tree = SupervisorSpec::builder("app")
//!     .strategy(Strategy::RestForOne)
//!     .child(ChildSpec::worker("db", worker))
//!     .child(
//!         ChildSpec::worker("api", worker)
//!             .restart(Restart::Transient)
//!             .backoff(Backoff::new(Duration::from_millis(50), Duration::from_secs(5)).jitter(0.2)),
//!     )
//!     .build()?;
//! let running = tree.start().await?;
//! let report = running.shutdown().await?;
//! assert_eq!(report.children.len(), 2);
//! # Ok(()) }
//! ```
//!
//! Where each rule lives: [`policy`] holds the rules as pure functions (one
//! file per rule); the runtime loop (private, `src/runtime/`) carries them out;
//! [`lease`] holds singleton children, which run on one replica at a time.
#![warn(missing_docs)]
#![warn(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

#[doc(hidden)]
pub mod __private;
mod child_return;
mod child_spec;
mod control;
mod ctx;
mod dynamic;
mod error;
mod event;
mod exit;
mod handle;
mod health;
mod helpers;
#[cfg(feature = "http")]
pub mod http;
pub mod lease;
mod metrics;
mod partition;
pub mod policy;
mod running;
mod runtime;
#[cfg(feature = "signal")]
mod signal;
mod snapshot;
mod supervisor_spec;
#[cfg(all(feature = "systemd", unix))]
pub mod systemd;
#[cfg(feature = "test-util")]
pub mod testing;

pub use child_return::ChildReturn;
pub use child_spec::{ChildKind, ChildSpec, DeclaredChild, Shutdown, WorkerFuture};
pub use control::{ChildCounts, ChildInfo, ChildState, ControlError};
pub use ctx::Ctx;
pub use dynamic::{ChildTemplate, DynamicBuilder, DynamicHandle};
pub use error::{SpecError, StartError, SupervisorError};
pub use event::{ControlAction, Event, EventReceiver, RecvError, TryRecvError};
pub use exit::{ChildReport, ExitReason, ExitReport};
pub use handle::SupervisorHandle;
pub use health::{Check, Health};
pub use lease::{Fence, Singleton};
pub use policy::auto_shutdown::AutoShutdown;
pub use policy::backoff::Backoff;
pub use policy::intensity::Intensity;
pub use policy::restart::Restart;
pub use policy::strategy::Strategy;
pub use running::RunningSupervisor;
#[cfg(feature = "signal")]
pub use signal::TreeExit;
pub use snapshot::{ChildSnapshot, TreeSnapshot};
#[doc = include_str!("../docs/child.md")]
#[doc(inline)]
pub use supervisor_macros::child;
#[doc = include_str!("../docs/supervisor.md")]
#[doc(inline)]
pub use supervisor_macros::supervisor;
pub use supervisor_spec::{SupervisorBuilder, SupervisorSpec};
pub use tokio_util::sync::CancellationToken;

/// The README's snippets, compiled and run as doctests. They use the
/// `signal` and `test-util` features, which `cargo test --workspace` turns
/// on through the examples and tests crates.
#[cfg(all(doctest, feature = "signal", feature = "test-util"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
