use supervisor_core::{Ctx, child, supervisor};

// Only this option is wrong: the function is still a child, so the tree
// below shows no second error.
#[child(restart = transiant)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _ = supervisor! { name: "app", children: [w: worker()] };
}
