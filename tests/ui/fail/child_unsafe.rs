use supervisor_core::{Ctx, child};

#[child]
async unsafe fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
