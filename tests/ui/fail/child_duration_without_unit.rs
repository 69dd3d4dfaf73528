use supervisor_core::{child, Ctx};

#[child(shutdown = 10)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
