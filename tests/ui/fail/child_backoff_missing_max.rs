use supervisor_core::{child, Ctx};

#[child(backoff(min = 50ms))]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
