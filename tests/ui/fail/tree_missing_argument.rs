use supervisor_core::{Ctx, child, supervisor};

#[child]
async fn worker(ctx: Ctx, name: String, port: u16) {
    let _ = (ctx, name, port);
}

fn main() {
    let _ = supervisor! { name: "app", children: [a: worker("x".to_string())] };
}
