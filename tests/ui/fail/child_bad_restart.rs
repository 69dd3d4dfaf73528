use supervisor_core::{child, Ctx};

#[child(restart = transiant)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
