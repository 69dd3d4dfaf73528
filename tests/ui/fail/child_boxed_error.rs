use supervisor_core::{Ctx, child};

#[child]
async fn boxed(ctx: Ctx) -> Result<(), Box<dyn std::error::Error>> {
    ctx.cancelled().await;
    Ok(())
}

fn main() {}
