use supervisor_core::{ChildSpec, Ctx, child};

#[child(restart = transient, shutdown = 10s)]
async fn declared(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    // Its options would be lost: the error says to use `from_child`.
    let _ = ChildSpec::worker("d", |_ctx| declared());
    // This keeps them.
    let _ = ChildSpec::from_child("d", || declared());
}
