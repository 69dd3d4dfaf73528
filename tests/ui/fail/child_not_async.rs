use supervisor_core::{child, Ctx};

#[child]
fn worker(ctx: Ctx) {
    let _ = ctx;
}

fn main() {}
