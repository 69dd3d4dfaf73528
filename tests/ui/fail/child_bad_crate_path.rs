use supervisor_core::{child, Ctx};

#[child(crate = 5)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
