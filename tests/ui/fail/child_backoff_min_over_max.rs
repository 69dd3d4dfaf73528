use supervisor_core::{child, Ctx};

#[child(backoff(min = 5s, max = 1s))]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
