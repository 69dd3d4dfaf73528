use supervisor_core::{child, Ctx};

#[child()]
async fn worker(ctx: Ctx) -> u32 {
    ctx.cancelled().await;
    7
}

fn main() {}
