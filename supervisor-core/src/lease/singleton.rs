//! `Singleton`: the lease a child runs under, as its spec declares it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Lease, LocalLease};

/// A child's lease: the key it holds, how long the lease lives, how often
/// it is renewed, the safety margin and how long the store may be out of
/// reach. See [the module](crate::lease) for what is promised.
///
/// The lease must outlive what stopping the child takes:
/// `ttl > renew_every + margin + shutdown` (with a finite shutdown),
/// or [`build`](crate::SupervisorBuilder::build) fails.
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::lease::Singleton;
///
/// let lease = Singleton::new("billing/cron")
///     .ttl(Duration::from_secs(10))
///     .renew_every(Duration::from_secs(2))
///     .margin(Duration::from_millis(500));
/// assert_eq!(lease.key(), "billing/cron");
/// assert_eq!(lease.ttl_setting(), Duration::from_secs(10));
/// ```
#[derive(Clone)]
#[must_use]
pub struct Singleton {
    pub(crate) key: Arc<str>,
    pub(crate) ttl: Duration,
    pub(crate) renew_every: Duration,
    pub(crate) margin: Duration,
    pub(crate) unreachable_after: Duration,
    /// `None`: the tree's ([`leases`](crate::SupervisorBuilder::leases)),
    /// or else the process's [`LocalLease`].
    pub(crate) store: Option<Arc<dyn Lease>>,
}

impl Singleton {
    /// A lease on `key`: by default a TTL of 15 s renewed every 3 s, a
    /// margin of 1 s, and escalation after 30 s without the store.
    pub fn new(key: impl Into<Arc<str>>) -> Self {
        Singleton {
            key: key.into(),
            ttl: Duration::from_secs(15),
            renew_every: Duration::from_secs(3),
            margin: Duration::from_secs(1),
            unreachable_after: Duration::from_secs(30),
            store: None,
        }
    }

    /// How long the lease lives after each renewal is sent.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How often it is renewed.
    pub fn renew_every(mut self, every: Duration) -> Self {
        self.renew_every = every;
        self
    }

    /// How much earlier than the lease's expiry the child must have ended:
    /// room for clock drift and for the child's last steps.
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// How long the store may be out of reach while campaigning before the
    /// child exits with a failure (which counts against restart intensity,
    /// and escalates as any failure does): counted from when the first of
    /// a run of failed calls was sent; a call that waited longer than this
    /// (for the key) ends the run. While the lease is held, late renewals stop the child
    /// by its deadlines instead. Default: 30 s.
    pub fn unreachable_after(mut self, after: Duration) -> Self {
        self.unreachable_after = after;
        self
    }

    /// The store to hold the lease in, instead of the tree's.
    pub fn store(mut self, store: impl Lease) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// The key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Its TTL.
    #[must_use]
    pub fn ttl_setting(&self) -> Duration {
        self.ttl
    }

    /// Its renewal interval.
    #[must_use]
    pub fn renew_every_setting(&self) -> Duration {
        self.renew_every
    }

    /// Its margin.
    #[must_use]
    pub fn margin_setting(&self) -> Duration {
        self.margin
    }

    /// The store this lease is held in, given the tree's.
    pub(crate) fn resolve(&self, tree: Option<&Arc<dyn Lease>>) -> Arc<dyn Lease> {
        self.store.as_ref().or(tree).cloned().unwrap_or_else(LocalLease::process)
    }
}

impl fmt::Debug for Singleton {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Singleton")
            .field("key", &self.key)
            .field("ttl", &self.ttl)
            .field("renew_every", &self.renew_every)
            .field("margin", &self.margin)
            .field("unreachable_after", &self.unreachable_after)
            // The store's own `Debug` never shows credentials.
            .field("store", &self.store)
            .finish()
    }
}
