//! One tree, run on every replica of a service: its `api` runs everywhere,
//! its `scheduler` on one replica at a time, the one whose process holds
//! the lease on `jobs/scheduler`. The others show it as waiting for its
//! lease; when the holder goes (killed, or its host lost), one of them
//! takes over within the lease's TTL.
//!
//! With etcd on loopback (Debian: `apt install etcd-server`, then `etcd`),
//! run it in two terminals and kill one (Ctrl-C, or `kill -9`):
//!
//! ```text
//! cargo run -p examples --features etcd --example singleton -- http://127.0.0.1:2379
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use supervisor_core::lease::Lease;
use supervisor_core::{Ctx, SpecError, SupervisorSpec, child, supervisor};

/// Runs on every replica.
#[child(shutdown = 1s)]
async fn api(ctx: Ctx, replica: Arc<str>) {
    tracing::info!(%replica, "serving");
    ctx.cancelled().await;
}

/// Runs on one replica at a time: it ticks every second, each tick fenced
/// by the lease's token.
#[child(shutdown = 2s, singleton(key = "jobs/scheduler", ttl = 10s, renew = 2s, margin = 1s))]
async fn scheduler(ctx: Ctx, replica: Arc<str>, ticks: Arc<AtomicU64>) {
    let Some(fence) = ctx.fence() else { return };
    tracing::info!(%replica, token = fence.token(), "scheduling");
    loop {
        tokio::select! {
            () = ctx.cancelled() => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let tick = ticks.fetch_add(1, Ordering::Relaxed) + 1;
        // A real job would pass `fence.token()` to what it writes to.
        tracing::info!(%replica, token = fence.token(), tick, "tick");
    }
    tracing::info!(%replica, "stopped scheduling");
}

/// The tree of one replica, its singleton's lease held in `store`; its
/// scheduler counts its ticks in `ticks`.
///
/// # Errors
/// A [`SpecError`] if the tree is invalid (it is not).
pub fn tree(store: impl Lease, replica: &str, ticks: Arc<AtomicU64>) -> Result<SupervisorSpec, SpecError> {
    let replica: Arc<str> = Arc::from(replica);
    supervisor! {
        name: "app",
        leases: store,
        children: [
            api: api(replica.clone()),
            scheduler: scheduler(replica.clone(), ticks.clone()),
        ],
    }
}
