//! A small service tree: a database pool, a flaky worker that restarts with
//! backoff, and a nested supervisor of consumers. Runs until Ctrl-C or for
//! `--duration <secs>` (default 3), then shuts down in order. The tree is in
//! `examples/src/quickstart.rs`.
//!
//! ```text
//! cargo run -p examples --example quickstart
//! cargo run -p examples --example quickstart -- --duration 10
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    examples::quickstart::run(examples::duration_arg(std::time::Duration::from_secs(3))).await?;
    Ok(())
}
