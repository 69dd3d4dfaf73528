use supervisor_core::{Ctx, child};

#[child(shutdown = 10s, singleton(key = "jobs/cron", ttl = 12s, renew = 2s))]
async fn cron(ctx: Ctx) {
    ctx.cancelled().await;
}

#[child(shutdown = infinity, singleton(key = "jobs/report"))]
async fn report(ctx: Ctx) {
    ctx.cancelled().await;
}

fn main() {}
