use supervisor_core::{Ctx, child};

#[child(shutdown = 5 secs)]
async fn slow(ctx: Ctx) {
    ctx.cancelled().await;
}

#[child(shutdown = 5 s)]
async fn spaced(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
