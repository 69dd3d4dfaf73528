use supervisor_core::{child, Ctx};

#[child()]
async fn worker(name: String, ctx: Ctx) {
    let _ = name;
    ctx.cancelled().await;
}

fn main() {}
