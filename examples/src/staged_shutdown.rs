//! Shutdown in stages: stop taking requests, then drain the workers, then
//! flush storage. One worker is a straggler that ignores the request to
//! stop; it is aborted at its deadline, and the report says so.

use std::time::Duration;

use supervisor_core::{Ctx, ExitReport, child, supervisor};

#[child(shutdown = 200ms)]
async fn intake(ctx: Ctx) {
    ctx.cancelled().await;
    tracing::info!("intake closed: no new requests");
}

/// Drains its queue for a while after it is asked to stop.
#[child(shutdown = 2s)]
async fn drainer(ctx: Ctx, drain: Duration) {
    ctx.cancelled().await;
    tracing::info!(?drain, "draining");
    tokio::time::sleep(drain).await;
    tracing::info!("drained");
}

/// Never stops by itself: it is aborted at its 300 ms deadline.
#[child(shutdown = 300ms)]
async fn straggler(ctx: Ctx) {
    ctx.cancelled().await;
    tracing::warn!("straggler ignores the request to stop");
    std::future::pending::<()>().await;
}

#[child(shutdown = 5s)]
async fn storage(ctx: Ctx) {
    ctx.cancelled().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    tracing::info!("storage flushed");
}

/// Starts the tree, lets it run for `duration`, and stops it in stages.
///
/// # Errors
/// If the tree fails to start.
pub async fn run(duration: Duration) -> Result<ExitReport, Box<dyn std::error::Error>> {
    let tree = supervisor! {
        name: "shop",
        children: [
            storage: storage(),
            fast: drainer(Duration::from_millis(100)),
            slow: drainer(Duration::from_millis(250)),
            straggler: straggler(),
            intake: intake(),
        ],
        // Stages: intake first; then the workers, together; storage last.
        shutdown_order: [intake, [fast, slow, straggler], storage],
    }?;
    let running = tree.start().await?;
    tokio::time::sleep(duration).await;
    let report = running.shutdown().await?;
    for child in &report.children {
        tracing::info!(path = %child.path, exit = ?child.exit, took = ?child.stop_took, "stopped");
    }
    Ok(report)
}
