use supervisor_core::{Ctx, child, supervisor};

#[child]
async fn idle(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {
    let _ = supervisor! {
        name: "app",
        children: [
            cron: idle() { shutdown: 5s, singleton(key: "jobs/cron", ttl: 6s) },
            jobs: supervisor { singleton(key: "jobs/all"), children: [worker: idle()] },
        ],
    };
}
