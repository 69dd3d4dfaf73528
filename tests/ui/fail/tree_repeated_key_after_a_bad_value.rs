use supervisor_core::{Ctx, child, supervisor};

#[child]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    // The first `name` is wrong; the second is still reported as a repeat.
    let _ = supervisor! { name: 42, name: "app", children: [w: worker()] };
}
