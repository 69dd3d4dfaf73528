use supervisor_core::{Ctx, child};

#[child]
async fn borrowed(ctx: &Ctx) {
    ctx.cancelled().await;
}

fn main() {}
