//! The examples run, briefly, and do what they say: they cannot rot.

use std::sync::atomic::Ordering;
use std::time::Duration;

use supervisor_core::ExitReason;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_restarts_the_flaky_worker_and_stops_cleanly() {
    let report = examples::quickstart::run(Duration::from_millis(1800)).await.unwrap();
    assert!(report.children.iter().all(|c| c.exit == Some(ExitReason::Stopped)), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_service_survives_broken_and_poisoned_connections() {
    let tally = examples::echo::run(Duration::from_millis(1000)).await.unwrap();
    assert!(tally.echoed.load(Ordering::Relaxed) > 10);
    assert!(tally.broken.load(Ordering::Relaxed) > 0);
    assert!(tally.failed.load(Ordering::Relaxed) > 0);
    assert!(tally.connections.load(Ordering::Relaxed) > tally.failed.load(Ordering::Relaxed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_pool_escalates_a_poison_job_after_the_good_ones() {
    let tally = examples::jobs::run(Duration::from_secs(10)).await.unwrap();
    assert_eq!(tally.done.load(Ordering::Relaxed), 1000);
    assert_eq!(tally.sum.load(Ordering::Relaxed), 500_500);
    assert_eq!(tally.pool_gave_up.load(Ordering::Relaxed), 3, "the pool gives up, is restarted twice, gives up");
    assert!(tally.top_gave_up.load(Ordering::Relaxed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_shutdown_aborts_the_straggler_at_its_deadline() {
    let report = examples::staged_shutdown::run(Duration::from_millis(100)).await.unwrap();
    let exit = |id| report.child(id).unwrap().exit.clone();
    let took = |id| report.child(id).unwrap().stop_took.unwrap();
    assert_eq!(exit("straggler"), Some(ExitReason::Aborted));
    assert!(took("straggler") >= Duration::from_millis(300));
    assert_eq!(exit("slow"), Some(ExitReason::Stopped));
    assert!(took("slow") >= Duration::from_millis(250));
    assert_eq!(exit("storage"), Some(ExitReason::Stopped));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_observed_service_serves_its_probes_tree_and_page() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let service = examples::observed::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let get = async |path: &str| {
        let mut stream = tokio::net::TcpStream::connect(service.addr).await.unwrap();
        let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    };
    assert!(get("/readyz").await.starts_with("HTTP/1.1 200"));
    let verbose = get("/readyz?verbose").await;
    assert!(verbose.contains("[+]shop/db ok") && !verbose.contains("shop/reporter"), "{verbose}");
    assert!(get("/tree").await.contains("\"path\":\"shop/jobs/workers/w2\""));
    assert!(get("/").await.contains("new EventSource(\"events\")"));
    let report = service.running.shutdown().await.unwrap();
    assert!(report.not_ended().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_singleton_example_runs_its_scheduler_on_one_replica_and_fails_over() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;
    use supervisor_core::ChildState;
    let store = supervisor_core::lease::LocalLease::new();
    let (first_ticks, second_ticks) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let first = examples::singleton::tree(store.clone(), "first", first_ticks.clone()).unwrap().start().await.unwrap();
    let second =
        examples::singleton::tree(store.clone(), "second", second_ticks.clone()).unwrap().start().await.unwrap();
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    assert_eq!((first_ticks.load(Ordering::Relaxed), second_ticks.load(Ordering::Relaxed)), (10, 0));
    let states: Vec<ChildState> = second.handle().which_children().await.unwrap().iter().map(|c| c.state).collect();
    assert_eq!(states, [ChildState::Running, ChildState::WaitingForLease]);
    // The holder's tree stops (dropped): it gives the lease up, and the other takes over.
    drop(first);
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    assert_eq!(first_ticks.load(Ordering::Relaxed), 10);
    assert_eq!(second_ticks.load(Ordering::Relaxed), 5, "the other replica took over at once");
    second.shutdown().await.unwrap();
}
