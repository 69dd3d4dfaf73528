use supervisor_core::{supervisor, Ctx};

async fn plain(ctx: Ctx, n: u32) {
    let _ = n;
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        name: "app",
        children: [d: dynamic { child: plain }],
    };
}
