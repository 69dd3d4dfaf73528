use supervisor_core::{Ctx, child, supervisor};

struct Socket; // neither Clone nor Sync

// Restarted after a failure, so its arguments would be cloned.
#[child(restart = transient)]
async fn connection(ctx: Ctx, socket: Socket) {
    let _socket = socket;
    ctx.cancelled().await;
}

fn main() {
    let _ = supervisor! { name: "app", children: [conns: dynamic { child: connection }] };
}
