use supervisor_core::{child, supervisor, Ctx};

#[child]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        name: "app",
        auto_shutdown: any_significnt,
        children: [w: worker()],
    };
}
