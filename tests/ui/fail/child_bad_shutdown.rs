use supervisor_core::{child, Ctx};

#[child(shutdown = forever)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
