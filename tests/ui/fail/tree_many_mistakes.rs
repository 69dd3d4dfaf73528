use supervisor_core::{child, supervisor, Ctx};

#[child]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        strategy: one_for_al,
        intensity: 3,
        children: [
            a: worker(),
            a: worker() { restart: transiant },
            b: supervisor { children: [] },
        ],
        shutdown_order: [a, zz],
    };
}
