use supervisor_core::{child, Ctx};

#[child()]
async fn worker(ctx: Ctx) {
    let counter = std::rc::Rc::new(1);
    ctx.cancelled().await;
    drop(counter);
}

fn main() {}
