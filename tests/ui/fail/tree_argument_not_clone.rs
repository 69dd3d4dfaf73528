use supervisor_core::{child, supervisor, Ctx};

struct Conn;

#[child]
async fn takes_conn(ctx: Ctx, conn: Conn) {
    let _ = conn;
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        name: "app",
        children: [t: takes_conn(Conn)],
    };
}
