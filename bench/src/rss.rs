//! Memory per child: each measurement runs in a fresh process (this binary
//! with `--rss`), so nothing freed by an earlier scenario hides a growth.

use std::process::Command;
use std::time::Duration;

use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
use tokio_util::sync::CancellationToken;

/// Resident set size of this process, in bytes (Linux).
pub(crate) fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// Bytes of RSS per child for `who` ("library" or "floor") starting `n`.
pub(crate) fn per_child(who: &str, n: usize) -> f64 {
    let output =
        std::env::current_exe().and_then(|exe| Command::new(exe).args(["--rss", who, &n.to_string()]).output());
    match output {
        Ok(output) => String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(f64::NAN),
        Err(_) => f64::NAN,
    }
}

/// S2's child, declared with `#[child]`.
#[supervisor_core::child]
async fn waiting(ctx: Ctx) {
    ctx.cancelled().await
}

/// Runs in the child process: prints RSS growth per child.
pub(crate) fn measure_here(who: &str, n: usize) {
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() else {
        return;
    };
    let growth = runtime.block_on(async {
        // Warm the runtime and allocator up first.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let before = resident_bytes();
        let after = match who {
            "library" | "library-helper" | "library-declared" => {
                let helper = who == "library-helper";
                let declared = who == "library-declared";
                let spec = SupervisorSpec::builder("rss")
                    .children((0..n).map(|i| {
                        if declared {
                            return ChildSpec::from_child(format!("c{i}"), waiting);
                        }
                        ChildSpec::worker(format!("c{i}"), move |ctx: Ctx| async move {
                            if helper {
                                let own = ctx.clone();
                                ctx.spawn(async move { own.cancelled().await });
                            }
                            ctx.cancelled().await
                        })
                    }))
                    .build()
                    .ok();
                let Some(spec) = spec else { return f64::NAN };
                let built = resident_bytes();
                let Ok(running) = spec.start().await else { return f64::NAN };
                // Every child has run its first poll (and spawned its helper).
                tokio::time::sleep(Duration::from_millis(50)).await;
                let after = resident_bytes();
                if std::env::var_os("BENCH_RSS_DETAIL").is_some() {
                    eprintln!("spec {} start {}", (built - before) / n, after.saturating_sub(built) / n);
                }
                let _ = running.shutdown().await;
                after
            }
            _ => {
                let helper = who == "floor-helper";
                let mut tasks = Vec::with_capacity(n);
                for _ in 0..n {
                    let token = CancellationToken::new();
                    let child = token.clone();
                    tasks.push((
                        token,
                        tokio::spawn(async move {
                            if helper {
                                let own = tokio::spawn(child.clone().cancelled_owned());
                                child.cancelled().await;
                                let _ = own.await;
                            } else {
                                child.cancelled().await;
                            }
                        }),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                let after = resident_bytes();
                for (token, handle) in tasks {
                    token.cancel();
                    let _ = handle.await;
                }
                after
            }
        };
        after.saturating_sub(before) as f64 / n as f64
    });
    println!("{growth}");
}
