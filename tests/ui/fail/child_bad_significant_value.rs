use supervisor_core::{child, Ctx};

#[child(restart = transient, significant = maybe)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
