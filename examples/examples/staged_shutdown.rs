//! See the module `examples::staged_shutdown` for what this runs.
//!
//! ```text
//! cargo run -p examples --example staged_shutdown -- --duration 3
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    examples::staged_shutdown::run(examples::duration_arg(std::time::Duration::from_secs(3))).await?;
    Ok(())
}
