//! `LocalLease`: leases held in this process, the default store, with the
//! faults a test injects into it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::{Grant, Lease, LeaseError, LeaseFuture};

/// Leases held in this process: singletons of one process (or of several
/// trees in it) exclude one another with no store to run. Clones share
/// their leases. Time is tokio's, so a test with paused time runs lease
/// expiry instantly.
///
/// A test injects the faults a real store has: a lease taken away
/// ([`lose`](LocalLease::lose)), late renewals
/// ([`delay_renewals`](LocalLease::delay_renewals)) and grants
/// ([`delay_grants`](LocalLease::delay_grants)), a store that does not
/// answer ([`stall`](LocalLease::stall)) or refuses every call
/// ([`unreachable`](LocalLease::unreachable)).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use supervisor_core::lease::{Lease, LocalLease};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = LocalLease::new();
/// let grant = store.campaign(Arc::from("cron"), Duration::from_secs(5)).await.unwrap();
/// assert_eq!(store.holder("cron"), Some(grant.token));
/// store.lose("cron");
/// assert!(store.renew(&grant).await.is_err());
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct LocalLease(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// A key was released or lost, or the store resumed.
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Counts grants: the next grant's token.
    revision: u64,
    held: HashMap<Arc<str>, Held>,
    stalled: bool,
    unreachable: bool,
    renew_delay: Duration,
    grant_delay: Duration,
    /// `None`: [`CALL_TIMEOUT`].
    call_timeout: Option<Duration>,
}

/// How long a call waits for a stalled store, unless
/// [`LocalLease::call_timeout`] says otherwise.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug)]
struct Held {
    lease_id: i64,
    token: u64,
    ttl: Duration,
    expires: Instant,
}

impl LocalLease {
    /// A store of its own, with no lease held.
    #[must_use]
    pub fn new() -> Self {
        LocalLease::default()
    }

    /// The process's store: singletons use it when neither they nor their
    /// tree name another.
    pub(crate) fn process() -> Arc<dyn Lease> {
        static PROCESS: OnceLock<Arc<dyn Lease>> = OnceLock::new();
        PROCESS.get_or_init(|| Arc::new(LocalLease::new())).clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The token of the lease now held on `key`, if any.
    #[must_use]
    pub fn holder(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        self.state().held.get(key).filter(|held| held.expires > now).map(|held| held.token)
    }

    /// Takes the lease on `key` away, as if it had lapsed: its holder's
    /// next renewal is refused, and another may take it.
    pub fn lose(&self, key: &str) {
        self.state().held.remove(key);
        self.0.changed.notify_waiters();
    }

    /// Every call waits until [`resume`](LocalLease::resume), as a store
    /// whose process is paused, or fails with [`LeaseError::Unreachable`]
    /// once it has waited the call timeout, as a client of a real store
    /// gives up ([`call_timeout`](LocalLease::call_timeout)).
    pub fn stall(&self) {
        self.state().stalled = true;
    }

    /// Answers again after [`stall`](LocalLease::stall).
    pub fn resume(&self) {
        self.state().stalled = false;
        self.0.changed.notify_waiters();
    }

    /// Every call fails at once with [`LeaseError::Unreachable`] while
    /// `cut` is true.
    pub fn unreachable(&self, cut: bool) {
        self.state().unreachable = cut;
        self.0.changed.notify_waiters();
    }

    /// Each renewal reaches the store `delay` after it was sent.
    pub fn delay_renewals(&self, delay: Duration) {
        self.state().renew_delay = delay;
    }

    /// Each grant reaches its campaigner `delay` after the request that
    /// made it was sent: its lease has been running meanwhile.
    pub fn delay_grants(&self, delay: Duration) {
        self.state().grant_delay = delay;
    }

    /// How long a call waits for a [stalled](LocalLease::stall) store
    /// before it fails. Default: 2 s, as `EtcdLease`'s.
    #[must_use]
    pub fn call_timeout(self, timeout: Duration) -> Self {
        self.state().call_timeout = Some(timeout);
        self
    }

    /// Waits while the store is stalled, for at most the call timeout; an
    /// error while it is unreachable.
    async fn answer(&self) -> Result<(), LeaseError> {
        let timeout = self.state().call_timeout.unwrap_or(CALL_TIMEOUT);
        let give_up = Instant::now() + timeout;
        loop {
            let changed = self.0.changed.notified();
            {
                let state = self.state();
                if state.unreachable {
                    return Err(LeaseError::Unreachable(Arc::from("the in-process store was cut off")));
                }
                if !state.stalled {
                    return Ok(());
                }
            }
            if tokio::time::timeout_at(give_up, changed).await.is_err() {
                let why = format!("the in-process store did not answer within {timeout:?}");
                return Err(LeaseError::Unreachable(Arc::from(why)));
            }
        }
    }

    async fn run_campaign(self, key: Arc<str>, ttl: Duration) -> Result<Grant, LeaseError> {
        loop {
            let changed = self.0.changed.notified();
            self.answer().await?;
            let sent = Instant::now();
            // The grant and its delay, or when the holder's lease lapses.
            let granted = {
                let mut state = self.state();
                match state.held.get(&key) {
                    Some(held) if held.expires > sent => Err(held.expires),
                    _ => {
                        state.revision += 1;
                        let token = state.revision;
                        let lease_id = i64::try_from(token).unwrap_or(i64::MAX);
                        state.held.insert(key.clone(), Held { lease_id, token, ttl, expires: sent + ttl });
                        Ok((Grant::new(key.clone(), token, lease_id, ttl, sent), state.grant_delay))
                    }
                }
            };
            match granted {
                Ok((grant, delay)) => {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    return Ok(grant);
                }
                // Held: wait for it to be released, lost or to lapse.
                Err(expires) => {
                    let _ = tokio::time::timeout_at(expires, changed).await;
                }
            }
        }
    }

    async fn run_renewal(self, grant: Grant) -> Result<(), LeaseError> {
        self.answer().await?;
        let delay = self.state().renew_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        self.answer().await?;
        let now = Instant::now();
        let mut state = self.state();
        match state.held.get_mut(&grant.key) {
            Some(held) if held.lease_id == grant.lease_id && held.expires > now => {
                held.expires = now + held.ttl;
                Ok(())
            }
            _ => Err(LeaseError::Lost),
        }
    }
}

impl Lease for LocalLease {
    fn campaign(&self, key: Arc<str>, ttl: Duration) -> LeaseFuture<Grant> {
        Box::pin(self.clone().run_campaign(key, ttl))
    }

    fn renew(&self, grant: &Grant) -> LeaseFuture<()> {
        Box::pin(self.clone().run_renewal(grant.clone()))
    }

    fn release(&self, grant: &Grant) -> LeaseFuture<()> {
        let mut state = self.state();
        if state.held.get(&grant.key).is_some_and(|held| held.lease_id == grant.lease_id) {
            state.held.remove(&grant.key);
            self.0.changed.notify_waiters();
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[tokio::test(start_paused = true)]
    async fn one_holder_at_a_time_with_increasing_tokens() {
        let store = LocalLease::new();
        let first = store.campaign(Arc::from("k"), 5 * S).await.unwrap();
        let second = tokio::spawn(store.campaign(Arc::from("k"), 5 * S));
        tokio::time::sleep(S).await;
        assert!(!second.is_finished(), "the key is held");
        store.release(&first).await.unwrap();
        let second = second.await.unwrap().unwrap();
        assert!(second.token > first.token);
        assert_eq!(store.renew(&first).await, Err(LeaseError::Lost));
        // Not renewed: it lapses after its TTL, and the next holder gets a higher token.
        let started = Instant::now();
        let third = store.campaign(Arc::from("k"), 5 * S).await.unwrap();
        assert_eq!(Instant::now() - started, 5 * S);
        assert!(third.token > second.token);
    }

    #[tokio::test(start_paused = true)]
    async fn faults_stall_cut_off_and_delay() {
        let store = LocalLease::new().call_timeout(60 * S);
        let grant = store.campaign(Arc::from("k"), 5 * S).await.unwrap();
        store.delay_renewals(2 * S);
        let sent = Instant::now();
        store.renew(&grant).await.unwrap();
        assert_eq!(Instant::now() - sent, 2 * S);
        store.stall();
        let renewal = tokio::spawn(store.renew(&grant));
        tokio::time::sleep(10 * S).await;
        assert!(!renewal.is_finished(), "a stalled store does not answer");
        store.resume();
        // Lapsed meanwhile.
        assert_eq!(renewal.await.unwrap(), Err(LeaseError::Lost));
        store.unreachable(true);
        assert!(matches!(store.campaign(Arc::from("k"), S).await, Err(LeaseError::Unreachable(_))));
        // By default a call to a stalled store gives up after 2 s.
        let store = LocalLease::new();
        let grant = store.campaign(Arc::from("k"), 5 * S).await.unwrap();
        store.stall();
        let sent = Instant::now();
        assert!(matches!(store.renew(&grant).await, Err(LeaseError::Unreachable(_))));
        assert_eq!(Instant::now() - sent, 2 * S);
    }
}
