//! See the module `examples::singleton` for what this runs. With etcd on
//! loopback, in two terminals:
//!
//! ```text
//! cargo run -p examples --features etcd --example singleton -- http://127.0.0.1:2379
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use supervisor_core::lease::EtcdLease;

#[tokio::main]
async fn main() -> ExitCode {
    examples::init_tracing();
    match run().await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let endpoints: Vec<String> = std::env::args().skip(1).collect();
    let endpoints = if endpoints.is_empty() { vec!["http://127.0.0.1:2379".to_owned()] } else { endpoints };
    let etcd = EtcdLease::connect(&endpoints, None).await?;
    let replica = format!("replica-{}", std::process::id());
    let tree = examples::singleton::tree(etcd, &replica, Arc::default())?;
    tracing::info!(%replica, ?endpoints, "started: Ctrl-C stops it, and another replica takes over");
    Ok(tree.start().await?.run_until_signal(Duration::from_secs(10)).await.exit_code())
}
