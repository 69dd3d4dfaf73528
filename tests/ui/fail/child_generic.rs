use supervisor_core::{child, Ctx};

#[child()]
async fn worker<T: Clone + Send + Sync + 'static>(ctx: Ctx, value: T) {
    let _ = value;
    ctx.cancelled().await;
}

fn main() {}
