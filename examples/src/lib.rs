//! Runnable examples for `supervisor-core`. Each lives in a module here, so
//! that the test suite can run it briefly, and has a `main` in `examples/`:
//!
//! ```text
//! cargo run -p examples --example quickstart
//! cargo run -p examples --example echo -- --duration 5
//! cargo run -p examples --example jobs
//! cargo run -p examples --example staged_shutdown
//! cargo run -p examples --example observed -- --duration 600   # http://127.0.0.1:8080/
//! cargo run -p examples --features etcd --example singleton   # twice, with etcd running
//! ```

pub mod echo;
pub mod jobs;
pub mod observed;
pub mod quickstart;
pub mod singleton;
pub mod staged_shutdown;

use std::time::Duration;

/// `--duration <secs>` from the command line, or `default`.
#[must_use]
pub fn duration_arg(default: Duration) -> Duration {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--duration")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(default, Duration::from_secs_f64)
}

/// Logs to stderr at info level, or as `RUST_LOG`-style env says.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt().with_target(false).try_init();
}
