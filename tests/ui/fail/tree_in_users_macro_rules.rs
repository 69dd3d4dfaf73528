use supervisor_core::{child, supervisor, Ctx};

#[child]
async fn worker(ctx: Ctx) {
    ctx.cancelled().await;
}

macro_rules! app {
    ($strategy:ident) => {
        supervisor! {
            name: "app",
            strategy: $strategy,
            children: [w: worker()],
        }
    };
}

fn main() {
    let _tree = app!(rest_for_al);
}
