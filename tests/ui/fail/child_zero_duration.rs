use supervisor_core::{child, Ctx};

#[child(wait_ready = 0s)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
