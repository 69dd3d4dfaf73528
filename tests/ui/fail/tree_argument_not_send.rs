use supervisor_core::{child, supervisor, Ctx};

#[child]
async fn takes_rc(ctx: Ctx, value: std::rc::Rc<u32>) {
    let _ = value;
    ctx.cancelled().await;
}

fn main() {
    let _tree = supervisor! {
        name: "app",
        children: [t: takes_rc(std::rc::Rc::new(1))],
    };
}
