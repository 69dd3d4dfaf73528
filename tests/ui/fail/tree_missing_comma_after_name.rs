use supervisor_core::{Ctx, child, supervisor};

#[child]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _ = supervisor! { name: "app" children: [a: worker()] };
}
