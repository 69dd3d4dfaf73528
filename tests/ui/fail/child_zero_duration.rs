use supervisor_core::{child, Ctx};

#[child(shutdown = 0s)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
