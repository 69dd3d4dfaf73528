use supervisor_core::{Ctx, child};

#[child]
#[tracing::instrument(skip(ctx))]
async fn traced(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
