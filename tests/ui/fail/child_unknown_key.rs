use supervisor_core::{child, Ctx};

#[child(restrat = transient)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
