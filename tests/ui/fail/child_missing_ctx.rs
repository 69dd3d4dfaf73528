use supervisor_core::child;

#[child()]
async fn worker() {
    tokio::task::yield_now().await;
}

fn main() {}
