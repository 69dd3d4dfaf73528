use supervisor_core::{child, supervisor, Ctx};

#[child]
async fn takes(ctx: Ctx, name: String) {
    let _ = name;
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        name: "app",
        children: [t: takes(42)],
    };
}
