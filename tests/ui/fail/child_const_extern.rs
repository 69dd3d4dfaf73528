use supervisor_core::{Ctx, child};

#[child]
const async fn steady(ctx: Ctx) {
    let _ = ctx;
}

#[child]
async extern "C" fn foreign(ctx: Ctx) {
    let _ = ctx;
}

fn main() {}
