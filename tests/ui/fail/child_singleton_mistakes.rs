use supervisor_core::{Ctx, child};

#[child(singleton(ttl = 10s, renw = 2s))]
async fn unnamed(ctx: Ctx) {
    ctx.cancelled().await;
}

#[child(singleton(key = "", margin = 1))]
async fn empty(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
