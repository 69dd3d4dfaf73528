use supervisor_core::{child, Ctx};

#[child(restart = transient, restart = temporary)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
