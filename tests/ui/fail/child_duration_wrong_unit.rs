use supervisor_core::{child, Ctx};

#[child(shutdown = 10sec)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
