//! A small service tree: a database pool, a flaky worker that restarts
//! with backoff, and a nested supervisor of consumers, with the rest-for-one
//! strategy (the consumers restart with what they depend on).

use std::time::Duration;

use supervisor_core::{Ctx, child, supervisor};

#[child]
async fn db_pool(ctx: Ctx) -> Result<(), std::io::Error> {
    tracing::info!("pool open");
    ctx.cancelled().await;
    tracing::info!("pool closed");
    Ok(())
}

/// Loses its connection twice, then stays up.
#[child(restart = transient, backoff(min = 100ms, max = 2s, jitter = 0.2))]
async fn flaky(ctx: Ctx) -> Result<(), String> {
    tracing::info!("flaky worker up");
    tokio::select! {
        () = ctx.cancelled() => Ok(()),
        () = tokio::time::sleep(Duration::from_millis(700)), if ctx.generation() < 2 => {
            Err(format!("lost connection (attempt {})", ctx.generation()))
        }
    }
}

#[child(shutdown = 2s)]
async fn consumer(ctx: Ctx, topic: &'static str) -> Result<(), std::io::Error> {
    let mut handled = 0u64;
    loop {
        tokio::select! {
            () = ctx.cancelled() => {
                tracing::info!(topic, handled, "consumer drained");
                return Ok(());
            }
            () = tokio::time::sleep(Duration::from_millis(500)) => handled += 1,
        }
    }
}

/// Starts the tree, runs it for `duration` or until Ctrl-C, and stops it
/// in order.
///
/// # Errors
/// If the tree fails to start or gives up.
pub async fn run(duration: Duration) -> Result<supervisor_core::ExitReport, Box<dyn std::error::Error>> {
    let tree = supervisor! {
        name: "app",
        strategy: rest_for_one,
        intensity: 5 per 10s,
        children: [
            db: db_pool(),
            flaky: flaky(),
            consumers: supervisor {
                children: [
                    orders: consumer("orders"),
                    refunds: consumer("refunds"),
                ],
            },
        ],
    }?;

    let running = tree.start().await?;
    tracing::info!(?duration, "tree started; stopping after the duration or on Ctrl-C");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C"),
        () = tokio::time::sleep(duration) => {}
    }
    let report = running.shutdown().await?;
    for child in &report.children {
        tracing::info!(path = %child.path, exit = ?child.exit, took = ?child.stop_took, "child report");
    }
    Ok(report)
}
