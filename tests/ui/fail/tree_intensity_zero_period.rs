use supervisor_core::{child, supervisor, Ctx};

#[child]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        name: "app",
        intensity: 3 per 0s,
        children: [w: worker()],
    };
}
