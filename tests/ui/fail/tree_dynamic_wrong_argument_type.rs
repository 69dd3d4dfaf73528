use supervisor_core::{Ctx, SupervisorHandle, child};

#[child(restart = temporary)]
async fn connection(ctx: Ctx, peer: String) {
    let _ = peer;
    ctx.cancelled().await;
}

async fn accept(handle: SupervisorHandle) {
    // The argument's type is `connection`'s: a number is a compile error.
    let _ = handle.nested("conns").dynamic_for(connection).start_child(42).await;
}

fn main() {
    let _ = accept;
}
