use supervisor_core::{supervisor, Ctx};

async fn plain(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        name: "app",
        children: [p: plain()],
    };
}
