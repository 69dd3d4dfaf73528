//! See the module `examples::jobs` for what this runs.
//!
//! ```text
//! cargo run -p examples --example jobs -- --duration 3
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    examples::jobs::run(examples::duration_arg(std::time::Duration::from_secs(3))).await?;
    Ok(())
}
