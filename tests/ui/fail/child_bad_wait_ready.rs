use supervisor_core::{child, Ctx};

#[child(wait_ready = soon)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
