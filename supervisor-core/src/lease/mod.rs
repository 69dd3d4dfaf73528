//! Singleton children: a child that runs on one replica at a time, while
//! its process holds a lease on a key in a shared store.
//!
//! A [`Singleton`] child is started only once its process holds the lease
//! for its key (its factory is not called before, so nothing of it runs,
//! its helpers included); until then it is
//! [*waiting for its lease*](crate::ChildState::WaitingForLease), and its
//! supervisor answers calls as ever. While it runs, the lease is renewed
//! every `renew_every`. On any doubt (a renewal refused or late, a lost
//! session) the child is asked to stop, early enough that it has ended
//! before the store may hand the lease to another process: counted from
//! the moment the last successful renewal was *sent*, less a safety
//! `margin`, less the child's own shutdown setting. If it has not ended by
//! then it is dropped without being polled again, and its helpers are
//! aborted. It then exits with [`ExitReason::LeaseLost`](crate::ExitReason::LeaseLost),
//! which is not a crash: it does not count against restart intensity, and
//! the child campaigns again after its backoff.
//!
//! The store is a [`Lease`] backend: [`LocalLease`], in process, which is
//! the default (a singleton works in one process with no store to run), or
//! `EtcdLease` (feature `etcd`), for replicas on many machines.
//!
//! # What is promised
//!
//! - **At most one holder per fencing token.** [`Ctx::fence`](crate::Ctx::fence)
//!   gives the holder's token, strictly greater than any earlier holder's
//!   of the same key. Guard side effects in other systems with it, so a
//!   holder that lost its lease without knowing (a process paused for
//!   longer than the TTL) is refused there.
//! - **The child stops before its lease can pass on**, as long as it
//!   honours its shutdown setting (it returns once asked to stop) and the
//!   clocks of this machine run at the rate of the store's.
//!
//! What is not:
//!
//! - exactly-once execution: a holder may be stopped halfway through its
//!   work, and the next holder starts it again;
//! - a child that blocks its thread: it is not polled, so it cannot be
//!   stopped in time;
//! - the child's helpers ([`Ctx::spawn`](crate::Ctx::spawn)) after a
//!   pause: they are tasks of their own, aborted at the deadline when the
//!   holder next runs, so one may take a step first. Fence their writes;
//! - a host that is suspended (a laptop's sleep, some virtual machines'
//!   pauses): the monotonic clock the deadlines are read from may not count
//!   that time, so on resume the holder believes its lease is younger than
//!   it is. Fence the writes;
//! - a lease key deleted by hand in the store: the next campaigner may take
//!   it at once, while the old holder learns of it at its next renewal.
//!
//! A holder that is aborted (a brutal shutdown, a kill, a stop past its
//! deadline) gives its lease back if the store takes it at once, as the
//! in-process one does; an etcd lease then lapses after its TTL instead,
//! and the next holder waits for that.
//!
//! ```
//! use std::time::Duration;
//! use supervisor_core::lease::Singleton;
//! use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scheduler = ChildSpec::worker("scheduler", |ctx: Ctx| async move {
//!     // Runs only while this process holds the lease on `jobs/scheduler`.
//!     let token = ctx.fence().map(|fence| fence.token());
//!     assert!(token.is_some());
//!     ctx.cancelled().await;
//! })
//! .singleton(Singleton::new("jobs/scheduler").ttl(Duration::from_secs(15)).renew_every(Duration::from_secs(3)));
//! let tree = SupervisorSpec::builder("app").child(scheduler).build()?;
//! let running = tree.start().await?;
//! running.shutdown().await?;
//! # Ok(()) }
//! ```

mod deadline;
#[cfg(feature = "etcd")]
mod etcd;
pub(crate) mod hold;
mod local;
mod singleton;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

pub(crate) use deadline::problem;
#[cfg(feature = "etcd")]
pub use etcd::{EtcdError, EtcdLease};
pub use local::LocalLease;
pub use singleton::Singleton;

/// What a [`Lease`] backend's calls return: a boxed future that owns what
/// it needs, so a holder can keep it across polls.
pub type LeaseFuture<T> = Pin<Box<dyn Future<Output = Result<T, LeaseError>> + Send + 'static>>;

/// A store of leases: the coordination engine behind singleton children.
///
/// A backend grants a key to one holder at a time, under a lease that
/// lapses `ttl` after it was last renewed unless renewed again. The holder
/// counts time itself, from when it *sent* each call, so a backend only
/// says whether a call succeeded. A call the store does not answer in time
/// fails with [`LeaseError::Unreachable`] rather than wait for ever: that
/// is how a campaign notices a store out of reach.
pub trait Lease: Send + Sync + fmt::Debug + 'static {
    /// Completes once this process holds `key`, under a new lease of `ttl`
    /// (waiting while another holder has it). [`Grant::valid_from`] is when
    /// the request that created the lease was sent.
    fn campaign(&self, key: Arc<str>, ttl: Duration) -> LeaseFuture<Grant>;

    /// Renews the lease. Succeeds only if the lease is still this grant's;
    /// [`LeaseError::Lost`] if it has lapsed or was taken away.
    fn renew(&self, grant: &Grant) -> LeaseFuture<()>;

    /// Gives the key up, so the next holder need not wait for the lease to
    /// lapse. Best effort: a lease that cannot be released lapses anyway.
    fn release(&self, grant: &Grant) -> LeaseFuture<()>;
}

/// A shared store is a store.
impl<L: Lease + ?Sized> Lease for Arc<L> {
    fn campaign(&self, key: Arc<str>, ttl: Duration) -> LeaseFuture<Grant> {
        (**self).campaign(key, ttl)
    }

    fn renew(&self, grant: &Grant) -> LeaseFuture<()> {
        (**self).renew(grant)
    }

    fn release(&self, grant: &Grant) -> LeaseFuture<()> {
        (**self).release(grant)
    }
}

/// A lease held on a key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// The key held.
    pub key: Arc<str>,
    /// The fencing token: strictly greater than any earlier grant's of the
    /// same key (etcd: the key's creation revision).
    pub token: u64,
    /// The backend's name for the lease (etcd: its lease id).
    pub lease_id: i64,
    /// Its time to live, as the store granted it.
    pub ttl: Duration,
    /// When the request that created it was sent: it lapses no earlier
    /// than `valid_from + ttl`.
    pub valid_from: Instant,
}

impl Grant {
    /// A grant, as a backend makes one.
    #[must_use]
    pub fn new(key: Arc<str>, token: u64, lease_id: i64, ttl: Duration, valid_from: Instant) -> Self {
        Grant { key, token, lease_id, ttl, valid_from }
    }

    /// The fence a holder of this grant guards its side effects with.
    #[must_use]
    pub fn fence(&self) -> Fence {
        Fence { key: self.key.clone(), token: self.token }
    }
}

/// Why a lease call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LeaseError {
    /// The lease has lapsed or was taken away: another holder may have it.
    #[error("the lease was lost")]
    Lost,
    /// The store did not answer; the text says why (it never holds
    /// credentials).
    #[error("the lease store is unreachable: {0}")]
    Unreachable(Arc<str>),
}

/// The holder's fencing token for its key: pass it along with side effects
/// so the system they reach can refuse a holder that has been replaced.
///
/// With etcd, guard a write with a transaction that compares the key's
/// creation revision with the token (`Fence::etcd_compare`, feature
/// `etcd`): it is refused once another holder has created the key again.
///
/// ```
/// use supervisor_core::Ctx;
///
/// async fn charge(ctx: &Ctx, db: &mut Vec<(u64, String)>, invoice: &str) {
///     // A database keeps the highest token it has seen and refuses lower ones.
///     let Some(fence) = ctx.fence() else { return };
///     if db.last().is_none_or(|(token, _)| *token <= fence.token()) {
///         db.push((fence.token(), invoice.to_owned()));
///     }
/// }
/// # let _ = charge;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fence {
    key: Arc<str>,
    token: u64,
}

impl Fence {
    /// The token: strictly greater than any earlier holder's.
    #[must_use]
    pub fn token(&self) -> u64 {
        self.token
    }

    /// The key the lease is on.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }
}
