use supervisor_core::{Ctx, child};

#[child]
async fn borrowing<'a>(ctx: Ctx, name: &'a str) {
    let _ = (ctx, name);
}

fn main() {}
