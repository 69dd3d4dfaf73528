use supervisor_core::{child, Ctx};

#[child(restart = temporary, backoff(min = 50ms, max = 1s))]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
