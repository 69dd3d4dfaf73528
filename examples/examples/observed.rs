//! See the module `examples::observed` for what this runs.
//!
//! ```text
//! cargo run -p examples --example observed -- --duration 600
//! # then open http://127.0.0.1:8080/, or: curl 127.0.0.1:8080/readyz?verbose
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    examples::init_tracing();
    let addr = "127.0.0.1:8080".parse()?;
    examples::observed::run(addr, examples::duration_arg(std::time::Duration::from_secs(600))).await
}
