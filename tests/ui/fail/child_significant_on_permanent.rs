use supervisor_core::{child, Ctx};

#[child(significant)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
