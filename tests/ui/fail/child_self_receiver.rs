use supervisor_core::{child, Ctx};

struct Service;

impl Service {
    #[child]
    async fn run(&self, ctx: Ctx) {
        ctx.cancelled().await;
    }
}

fn main() {}
