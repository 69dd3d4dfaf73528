//! The `test-util` kit, used as a user would: faults injected into workers
//! of builder and macro trees, assertions over the event log, paused time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use supervisor_core::testing::{EventLog, Fault, FaultError, Faults, advance, run_paused, settle};
use supervisor_core::{
    ChildSpec, Ctx, ExitReason, Intensity, Restart, Shutdown, StartError, SupervisorSpec, child, supervisor,
};
use tokio::time::Instant;

/// A worker that counts how often its own body ran.
fn counted(id: &'static str, runs: &Arc<AtomicUsize>) -> ChildSpec {
    let runs = runs.clone();
    ChildSpec::worker(id, move |ctx: Ctx| {
        runs.fetch_add(1, Ordering::Relaxed);
        async move { ctx.cancelled().await }
    })
}

#[tokio::test(start_paused = true)]
async fn faults_replace_the_body_on_their_starts_only() {
    let runs = Arc::new(AtomicUsize::new(0));
    let faults = Faults::new()
        .on(1, Fault::fail("db down"))
        .on(2, Fault::panic("bug").after(Duration::from_secs(1)))
        .on(4, Fault::hang());
    let worker = faults.inject(counted("w", &runs).shutdown(Shutdown::Timeout(Duration::from_secs(2)))).unwrap();
    let spec = SupervisorSpec::builder("app")
        .intensity(Intensity::new(10, Duration::from_secs(60)))
        .child(worker)
        .build()
        .unwrap();
    let mut log = EventLog::new(spec.subscribe());
    let running = spec.start().await.unwrap();
    advance(Duration::from_secs(2)).await;
    // Start 1 failed at once, start 2 panicked after 1 s, start 3 runs the body.
    assert_eq!(log.exits("app/w"), [ExitReason::Failed("db down".into()), ExitReason::Panicked("bug".into())]);
    assert_eq!(log.starts("app/w"), 3);
    assert_eq!(runs.load(Ordering::Relaxed), 1);

    // Start 4 hangs: restart it by hand, then it must be aborted at its deadline.
    running.handle().terminate_child("w").await.unwrap();
    running.handle().restart_child("w").await.unwrap();
    let t0 = Instant::now();
    let report = running.shutdown().await.unwrap();
    assert_eq!(report.child("w").unwrap().exit, Some(ExitReason::Aborted));
    assert_eq!(t0.elapsed(), Duration::from_secs(2));
    assert_eq!(runs.load(Ordering::Relaxed), 1, "the 4th start ran the fault, not the body");
}

#[tokio::test(start_paused = true)]
async fn the_log_shows_a_supervisor_giving_up() {
    let runs = Arc::new(AtomicUsize::new(0));
    let faults = Faults::new().on(1, Fault::fail("a")).on(2, Fault::fail("b"));
    let spec = SupervisorSpec::builder("app")
        .intensity(Intensity::new(1, Duration::from_secs(5)))
        .child(faults.inject(counted("w", &runs)).unwrap())
        .build()
        .unwrap();
    let mut log = EventLog::new(spec.subscribe());
    let running = spec.start().await.unwrap();
    settle().await;
    assert!(running.handle().wait().await.is_err());
    assert!(log.gave_up("app"));
    assert_eq!(
        log.lines(),
        [
            "started app/w#0",
            "exited app/w#0 failed: a",
            "restart app/w#1 in 0ms",
            "started app/w#1",
            "exited app/w#1 failed: b",
            "gave up app max 1",
            "supervisor failed app",
        ]
    );
    assert_eq!(runs.load(Ordering::Relaxed), 0);
}

#[child(restart = transient)]
async fn consumer(ctx: Ctx, topic: &'static str) -> Result<(), String> {
    let _ = topic;
    ctx.cancelled().await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn faults_go_into_a_macro_tree_by_path() {
    let tree = supervisor! {
        name: "app",
        children: [
            db: consumer("db"),
            consumers: supervisor { children: [orders: consumer("orders")] },
        ],
    }
    .unwrap();
    let tree = Faults::new().on(1, Fault::fail("lost the broker")).inject_at(tree, "consumers/orders").unwrap();
    let mut log = EventLog::new(tree.subscribe());
    let running = tree.start().await.unwrap();
    settle().await;
    assert_eq!(log.exits("app/consumers/orders"), [ExitReason::Failed("lost the broker".into())]);
    assert_eq!(log.starts("app/consumers/orders"), 2);
    assert_eq!(log.starts("app/db"), 1);
    running.shutdown().await.unwrap();
}

#[test]
fn injecting_into_a_wrong_place_is_a_typed_error() {
    let tree = || {
        let inner =
            SupervisorSpec::builder("inner").child(ChildSpec::worker("w", |_ctx: Ctx| async {})).build().unwrap();
        SupervisorSpec::builder("app").child(ChildSpec::supervisor(inner)).build().unwrap()
    };
    let inject = |path| Faults::new().on(1, Fault::hang()).inject_at(tree(), path).map(drop);
    assert!(matches!(inject("nope"), Err(FaultError::NotFound { path }) if path == "nope"));
    assert!(matches!(inject("inner/w/deeper"), Err(FaultError::NotFound { path }) if path == "inner/w/deeper"));
    assert!(matches!(inject("inner/x"), Err(FaultError::NotFound { path }) if path == "inner/x"));
    assert!(matches!(inject("inner"), Err(FaultError::NotAWorker { id }) if &*id == "inner"));
    assert!(inject("inner/w").is_ok());
    let nested = ChildSpec::supervisor(SupervisorSpec::builder("s").build().unwrap());
    assert!(matches!(Faults::new().inject(nested), Err(FaultError::NotAWorker { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_faulty_start_never_reports_ready() {
    let runs = Arc::new(AtomicUsize::new(0));
    let worker = counted("w", &runs).wait_ready(Duration::from_secs(1));
    let spec = SupervisorSpec::builder("app")
        .child(Faults::new().on(1, Fault::fail("no").after(Duration::from_millis(10))).inject(worker).unwrap())
        .build()
        .unwrap();
    let started = spec.start().await;
    assert!(matches!(started, Err(StartError::ChildFailed { ref child, .. }) if &**child == "app/w"), "{started:?}");
}

#[test]
fn run_paused_makes_time_exact() {
    let took = run_paused(async {
        let spec = SupervisorSpec::builder("app")
            .child(
                Faults::new()
                    .on(1, Fault::hang())
                    .inject(ChildSpec::worker("w", |ctx: Ctx| async move { ctx.cancelled().await }))
                    .unwrap()
                    .restart(Restart::Temporary)
                    .shutdown(Shutdown::Timeout(Duration::from_secs(30))),
            )
            .build()
            .unwrap();
        let running = spec.start().await.unwrap();
        let t0 = Instant::now();
        running.shutdown().await.unwrap();
        t0.elapsed()
    })
    .unwrap();
    assert_eq!(took, Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "the event log missed")]
async fn a_log_that_fell_behind_says_so() {
    let spec = SupervisorSpec::builder("app")
        .event_capacity(4)
        .children((0..10).map(|i| ChildSpec::worker(format!("w{i}"), |ctx: Ctx| async move { ctx.cancelled().await })))
        .build()
        .unwrap();
    let mut log = EventLog::new(spec.subscribe());
    let running = spec.start().await.unwrap();
    settle().await;
    let _ = log.lines();
    drop(running);
}
