use supervisor_core::child;

#[child(restart = transiant, shutdown = 5, colour = red)]
fn worker(&self, name: &str) {
    let _ = name;
}

fn main() {}
