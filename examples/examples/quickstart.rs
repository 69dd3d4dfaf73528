//! A small service tree: a database pool, a flaky worker that restarts with
//! backoff, and a nested supervisor of consumers. Runs until Ctrl-C or for
//! `--duration <secs>` (default 3), then shuts down in order.
//!
//! ```text
//! cargo run -p examples --example quickstart
//! cargo run -p examples --example quickstart -- --duration 10
//! ```

use std::time::Duration;

use supervisor_core::{Backoff, ChildSpec, Ctx, Intensity, Restart, Strategy, SupervisorSpec};

async fn db_pool(ctx: Ctx) -> Result<(), std::io::Error> {
    tracing::info!("pool open");
    ctx.cancelled().await;
    tracing::info!("pool closed");
    Ok(())
}

/// Fails every 700 ms until its third incarnation, which stays up.
async fn flaky(ctx: Ctx) -> Result<(), String> {
    tracing::info!("flaky worker up");
    tokio::select! {
        () = ctx.cancelled() => Ok(()),
        () = tokio::time::sleep(Duration::from_millis(700)), if ctx.generation() < 2 => {
            Err(format!("lost connection (attempt {})", ctx.generation()))
        }
    }
}

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

fn duration_from_args() -> Duration {
    let args: Vec<String> = std::env::args().collect();
    let secs = args
        .iter()
        .position(|a| a == "--duration")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(3);
    Duration::from_secs(secs)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).init();

    let consumers = SupervisorSpec::builder("consumers")
        .strategy(Strategy::OneForOne)
        .child(ChildSpec::worker("orders", |ctx| consumer(ctx, "orders")))
        .child(ChildSpec::worker("refunds", |ctx| consumer(ctx, "refunds")))
        .build()?;
    let tree = SupervisorSpec::builder("app")
        .strategy(Strategy::RestForOne)
        .intensity(Intensity::new(5, Duration::from_secs(10)))
        .child(ChildSpec::worker("db", db_pool))
        .child(
            ChildSpec::worker("flaky", flaky)
                .restart(Restart::Transient)
                .backoff(Backoff::new(Duration::from_millis(100), Duration::from_secs(2)).jitter(0.2)),
        )
        .child(ChildSpec::supervisor(consumers))
        .build()?;

    let running = tree.start().await?;
    tracing::info!("tree started; stopping after {:?} or on Ctrl-C", duration_from_args());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C"),
        () = tokio::time::sleep(duration_from_args()) => {}
    }
    let report = running.shutdown().await?;
    for child in &report.children {
        tracing::info!(path = %child.path, exit = ?child.exit, took = ?child.stop_took, "child report");
    }
    Ok(())
}
