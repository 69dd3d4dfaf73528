//! `EtcdLease`: leases held in etcd, the store behind Kubernetes, for
//! singletons whose replicas run on many machines.
//!
//! A campaign waits (watching the key) until no one holds the key, grants
//! a lease of the TTL, and creates the key under it in a transaction that
//! succeeds only if the key does not exist: the key's creation revision is
//! the fencing token, so it grows with every new holder. Renewals are
//! keep-alives of that lease, each followed by a read that the key is
//! still this holder's; a lease etcd no longer knows, or a key made again
//! by another, means the lease is lost. Releasing revokes the lease, which deletes
//! the key, and the next campaigner's watch sees it go.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Client, Compare, CompareOp, ConnectOptions, EventType, PutOptions, Txn, TxnOp, WatchOptions};
use tokio::time::Instant;

use super::{Fence, Grant, Lease, LeaseError, LeaseFuture};

/// How long one call to etcd may take before the store counts as out of
/// reach, unless [`EtcdLease::call_timeout`] says otherwise.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Leases held in an etcd cluster (feature `etcd`).
///
/// Connect with every endpoint of the cluster, and with etcd-client's own
/// [`ConnectOptions`] for TLS (`with_tls`) and user and password
/// (`with_user`). Credentials are never shown: not in this type's `Debug`,
/// nor in errors, events or the tree snapshot.
///
/// ```no_run
/// use std::sync::Arc;
/// use supervisor_core::SupervisorSpec;
/// use supervisor_core::lease::EtcdLease;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let options = etcd_client::ConnectOptions::new().with_user("scheduler", std::env::var("ETCD_PASSWORD")?);
/// let etcd = EtcdLease::connect(["https://etcd-0:2379", "https://etcd-1:2379"], Some(options)).await?;
/// let tree = SupervisorSpec::builder("app").leases(Arc::new(etcd));
/// # let _ = tree;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EtcdLease {
    client: Client,
    endpoints: Arc<[String]>,
    timeout: Duration,
}

/// The cluster could not be reached or refused the connection; the text
/// never holds credentials.
#[derive(Clone, Debug, thiserror::Error)]
#[error("could not connect to etcd at {endpoints}: {reason}")]
pub struct EtcdError {
    endpoints: String,
    reason: String,
}

impl EtcdLease {
    /// Connects to the cluster at `endpoints` (`http://host:2379`, or
    /// `https://` with TLS options).
    ///
    /// # Errors
    /// [`EtcdError`] if no endpoint is given or valid, or the cluster
    /// refuses the user and password.
    pub async fn connect<E: AsRef<str>, S: AsRef<[E]>>(
        endpoints: S,
        options: Option<ConnectOptions>,
    ) -> Result<EtcdLease, EtcdError> {
        let endpoints: Arc<[String]> = endpoints.as_ref().iter().map(|e| e.as_ref().to_owned()).collect();
        match Client::connect(&*endpoints, options).await {
            Ok(client) => Ok(EtcdLease { client, endpoints, timeout: CALL_TIMEOUT }),
            Err(error) => Err(EtcdError { endpoints: shown(&endpoints), reason: describe(&error) }),
        }
    }

    /// How long one call may take before the store counts as out of reach.
    /// Keep it shorter than the singletons' renewal interval. Default: 2 s.
    #[must_use]
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A call to etcd, bounded by the call timeout.
    async fn call<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, LeaseError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) => Err(unreachable(&error)),
            Err(_) => Err(self.timed_out()),
        }
    }

    async fn run_campaign(self, key: Arc<str>, ttl: Duration) -> Result<Grant, LeaseError> {
        // etcd counts leases in whole seconds: round up, never down.
        let seconds = i64::try_from(ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0)).unwrap_or(i64::MAX).max(1);
        loop {
            let mut client = self.client.clone();
            let held = self.call(client.get(key.as_bytes(), None)).await?;
            if held.kvs().is_empty() {
                let sent = Instant::now();
                let lease = self.call(client.lease_grant(seconds, None)).await?;
                let create = Txn::new()
                    .when([Compare::create_revision(key.as_bytes(), CompareOp::Equal, 0)])
                    .and_then([TxnOp::put(key.as_bytes(), "", Some(PutOptions::new().with_lease(lease.id())))]);
                let created = match self.call(client.txn(create)).await {
                    Ok(created) => created,
                    Err(error) => {
                        // Not to be left granted (it would lapse anyway).
                        let _ = self.call(client.lease_revoke(lease.id())).await;
                        return Err(error);
                    }
                };
                if created.succeeded() {
                    // The put's revision is the key's creation revision:
                    // without it there is no token to fence with.
                    let Some(token) = created.header().and_then(|header| u64::try_from(header.revision()).ok()) else {
                        let _ = self.call(client.lease_revoke(lease.id())).await;
                        return Err(LeaseError::Unreachable(Arc::from("etcd answered without a revision")));
                    };
                    let granted = Duration::from_secs(u64::try_from(lease.ttl()).unwrap_or(0)).min(ttl);
                    return Ok(Grant::new(key, token, lease.id(), granted, sent));
                }
                // Another campaigner was first: give the lease back, wait again.
                let _ = self.call(client.lease_revoke(lease.id())).await;
                continue;
            }
            // Held: wait until the key is deleted (released, or its lease lapsed).
            let after = held.header().map_or(0, |header| header.revision()) + 1;
            let watch = WatchOptions::new().with_start_revision(after);
            let (_watcher, mut events) = self.call(client.watch(key.as_bytes(), Some(watch))).await?;
            loop {
                // A watch that stays silent for a TTL is looked at again: a
                // store cut off without a word is found out by the next read.
                match tokio::time::timeout(ttl, events.message()).await {
                    Ok(Ok(Some(answer))) if answer.events().iter().any(|e| e.event_type() == EventType::Delete) => {
                        break;
                    }
                    // Refused (not allowed, say): tried again after a pause.
                    Ok(Ok(Some(answer))) if answer.canceled() => {
                        let why = format!("etcd cancelled the watch of the key: {}", answer.cancel_reason());
                        return Err(LeaseError::Unreachable(Arc::from(why)));
                    }
                    Ok(Ok(Some(_))) => {}
                    // The watch broke, or was silent: look again from the start.
                    Ok(Ok(None) | Err(_)) | Err(_) => break,
                }
            }
        }
    }

    /// One keep-alive (etcd-client's `lease_keep_alive` sends one and
    /// waits for its answer), then a read that the key is still the one
    /// this grant created: a key deleted by hand and made again by another
    /// holder is a lost lease, however alive ours is.
    async fn run_renewal(self, grant: Grant) -> Result<(), LeaseError> {
        let mut client = self.client.clone();
        match tokio::time::timeout(self.timeout, client.lease_keep_alive(grant.lease_id)).await {
            Ok(Ok(_)) => {}
            Ok(Err(etcd_client::Error::LeaseKeepAliveError(why))) if why.contains("not found") => {
                return Err(LeaseError::Lost);
            }
            Ok(Err(error)) => return Err(unreachable(&error)),
            Err(_) => return Err(self.timed_out()),
        }
        let key = self.call(client.get(grant.key.as_bytes(), None)).await?;
        let token = i64::try_from(grant.token).unwrap_or(i64::MAX);
        match key.kvs().first() {
            Some(kv) if kv.create_revision() == token && kv.lease() == grant.lease_id => Ok(()),
            _ => Err(LeaseError::Lost),
        }
    }

    fn timed_out(&self) -> LeaseError {
        LeaseError::Unreachable(Arc::from(format!("etcd did not answer within {:?}", self.timeout)))
    }
}

/// An etcd error as a lease error.
fn unreachable(error: &etcd_client::Error) -> LeaseError {
    LeaseError::Unreachable(Arc::from(describe(error)))
}

/// An etcd error's text: for an answer from etcd its code and message
/// alone, not the metadata and transport details that come with it.
fn describe(error: &etcd_client::Error) -> String {
    match error {
        etcd_client::Error::GRpcStatus(status) => format!("etcd answered {:?}: {}", status.code(), status.message()),
        other => other.to_string(),
    }
}

/// The endpoints as they may be shown: a user and password written into
/// one (`http://user:secret@host:2379`) is left out.
fn shown(endpoints: &[String]) -> String {
    endpoints.iter().map(|endpoint| without_userinfo(endpoint)).collect::<Vec<_>>().join(", ")
}

fn without_userinfo(endpoint: &str) -> String {
    let start = endpoint.find("://").map_or(0, |scheme| scheme + 3);
    let authority = &endpoint[start..];
    let end = authority.find('/').unwrap_or(authority.len());
    match authority[..end].rfind('@') {
        Some(at) => format!("{}***@{}", &endpoint[..start], &authority[at + 1..]),
        None => endpoint.to_owned(),
    }
}

impl Lease for EtcdLease {
    fn campaign(&self, key: Arc<str>, ttl: Duration) -> LeaseFuture<Grant> {
        Box::pin(self.clone().run_campaign(key, ttl))
    }

    fn renew(&self, grant: &Grant) -> LeaseFuture<()> {
        Box::pin(self.clone().run_renewal(grant.clone()))
    }

    fn release(&self, grant: &Grant) -> LeaseFuture<()> {
        let (this, id) = (self.clone(), grant.lease_id);
        Box::pin(async move {
            let mut client = this.client.clone();
            this.call(client.lease_revoke(id)).await.map(drop)
        })
    }
}

impl fmt::Debug for EtcdLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connect options, which hold the password, are not kept.
        f.debug_struct("EtcdLease").field("endpoints", &shown(&self.endpoints)).field("timeout", &self.timeout).finish()
    }
}

impl Fence {
    /// The comparison that guards an etcd transaction with this fence: it
    /// holds only while the lease key is the one this holder created, so a
    /// write from a holder that has been replaced is refused.
    ///
    /// ```no_run
    /// use etcd_client::{Client, Txn, TxnOp};
    /// use supervisor_core::Ctx;
    ///
    /// async fn record(ctx: &Ctx, etcd: &mut Client, run: &str) -> Result<bool, etcd_client::Error> {
    ///     let Some(fence) = ctx.fence() else { return Ok(false) };
    ///     let write = Txn::new().when([fence.etcd_compare()]).and_then([TxnOp::put("jobs/last-run", run, None)]);
    ///     Ok(etcd.txn(write).await?.succeeded())
    /// }
    /// # let _ = record;
    /// ```
    #[must_use]
    pub fn etcd_compare(&self) -> Compare {
        let revision = i64::try_from(self.token).unwrap_or(i64::MAX);
        Compare::create_revision(self.key.as_bytes(), CompareOp::Equal, revision)
    }
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn a_user_and_password_in_an_endpoint_are_never_shown() {
        assert_eq!(without_userinfo("http://root:s3cret@10.0.0.1:2379"), "http://***@10.0.0.1:2379");
        assert_eq!(without_userinfo("root:s3cret@etcd:2379/x@y"), "***@etcd:2379/x@y");
        assert_eq!(without_userinfo("https://etcd-0:2379/a@b"), "https://etcd-0:2379/a@b");
        assert_eq!(without_userinfo("etcd-0:2379"), "etcd-0:2379");
    }
}
