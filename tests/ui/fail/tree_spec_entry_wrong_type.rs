use supervisor_core::supervisor;

fn main() {
    let _ = supervisor! {
        name: "app",
        children: [answer: spec { 42 }, many: group { vec![1, 2] }],
    };
}
