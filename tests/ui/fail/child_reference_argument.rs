use supervisor_core::{child, Ctx};

#[child()]
async fn worker(ctx: Ctx, name: &str) {
    let _ = name;
    ctx.cancelled().await;
}

fn main() {}
