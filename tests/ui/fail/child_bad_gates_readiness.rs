use supervisor_core::{Ctx, child, supervisor};

#[child(gates_readiness = maybe)]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _ = supervisor! { name: "app", children: [a: worker() { gates_readiness: 1 }] };
}
