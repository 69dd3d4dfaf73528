use supervisor_core::{Ctx, child, supervisor};

#[child(restart = temporary)]
async fn connection(ctx: Ctx, peer: String) {
    let _ = peer;
    ctx.cancelled().await;
}

fn main() {
    let _ = supervisor! {
        name: "app",
        children: [
            none: dynamic { child: connection, partitions: 0 },
            odd: dynamic { child: connection, partitions: many },
        ],
    };
}
