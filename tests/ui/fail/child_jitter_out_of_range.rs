use supervisor_core::{child, Ctx};

#[child(backoff(min = 50ms, max = 1s, jitter = 1.5))]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
