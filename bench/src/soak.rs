//! Memory under a long run: 10,000,000 restarts, then 1,000,000 control
//! calls, with the resident set sampled along the way. Flat is the claim.
//!
//! ```text
//! cargo run --release -p bench -- --soak-memory
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use supervisor_core::{ChildSpec, Ctx, Intensity, SupervisorSpec};

use crate::rss::resident_bytes;

const RESTARTS: u64 = 10_000_000;
const CALLS: u64 = 1_000_000;

pub(crate) async fn run() {
    let starts = Arc::new(AtomicU64::new(0));
    let counter = starts.clone();
    let flaky = ChildSpec::worker("flaky", move |ctx: Ctx| {
        let counter = counter.clone();
        async move {
            if counter.fetch_add(1, Ordering::Relaxed) < RESTARTS {
                return Err("fail");
            }
            ctx.cancelled().await;
            Ok(())
        }
    });
    let steady = (0..100).map(|i| ChildSpec::worker(format!("w{i}"), |ctx: Ctx| async move { ctx.cancelled().await }));
    let Ok(spec) =
        SupervisorSpec::builder("soak").intensity(Intensity::unlimited()).child(flaky).children(steady).build()
    else {
        return;
    };
    let Ok(running) = spec.start().await else { return };
    let t0 = Instant::now();
    let mut next = 0;
    while starts.load(Ordering::Relaxed) < RESTARTS {
        let done = starts.load(Ordering::Relaxed);
        if done >= next {
            println!(
                "restarts={done:>9} rss_kib={:>7} secs={:.1}",
                resident_bytes() / 1024,
                t0.elapsed().as_secs_f64()
            );
            next += RESTARTS / 10;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("restarts={RESTARTS:>9} rss_kib={:>7} secs={:.1}", resident_bytes() / 1024, t0.elapsed().as_secs_f64());

    let handle = running.handle();
    let t1 = Instant::now();
    for call in 0..CALLS {
        let id = format!("w{}", call % 100);
        let _ = match call % 4 {
            0 => handle.which_children().await.map(drop),
            1 => handle.count_children().await.map(drop),
            2 => handle.terminate_child(&id).await,
            _ => handle.restart_child(&format!("w{}", (call - 1) % 100)).await,
        };
        if call % (CALLS / 10) == 0 {
            println!("calls={call:>9} rss_kib={:>7} secs={:.1}", resident_bytes() / 1024, t1.elapsed().as_secs_f64());
        }
    }
    println!("calls={CALLS:>9} rss_kib={:>7} secs={:.1}", resident_bytes() / 1024, t1.elapsed().as_secs_f64());
    let _ = running.shutdown().await;
}
