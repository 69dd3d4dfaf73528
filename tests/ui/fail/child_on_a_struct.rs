use supervisor_core::child;

#[child]
struct Worker;

fn main() {}
