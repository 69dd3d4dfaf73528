//! Shutdown: reverse start order (or explicit stages), each child under its
//! own setting, bounded, and nothing left running when it returns.

mod common;

use std::time::Duration;

use common::{Lab, OnCancel, alive_tasks_return_to};
use supervisor_core::{ChildSpec, Ctx, ExitReason, Shutdown, SupervisorSpec};

const MS: fn(u64) -> Duration = Duration::from_millis;

#[tokio::test(start_paused = true)]
async fn children_stop_one_at_a_time_in_reverse_start_order() {
    let lab = Lab::new();
    let linger = |id| lab.worker_with(id, OnCancel::Linger(MS(100)), None);
    let running = common::start(SupervisorSpec::builder("app").children([linger("a"), linger("b"), linger("c")])).await;
    lab.take();
    let report = running.shutdown().await.unwrap();
    assert_eq!(lab.take(), ["100 stop c#0", "200 stop b#0", "300 stop a#0"]);
    for child in &report.children {
        assert_eq!(child.exit, Some(ExitReason::Stopped));
        assert_eq!(child.stop_took, Some(MS(100)));
    }
}

#[tokio::test(start_paused = true)]
async fn a_timeout_aborts_a_child_that_ignores_cancellation_at_its_deadline() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("a"))
            .child(lab.worker_with("stubborn", OnCancel::Ignore, None).shutdown(Shutdown::Timeout(MS(750)))),
    )
    .await;
    lab.take();
    let report = running.shutdown().await.unwrap();
    assert_eq!(lab.take(), ["750 dropped stubborn#0", "750 stop a#0"]);
    let stubborn = report.child("stubborn").unwrap();
    assert_eq!(stubborn.exit, Some(ExitReason::Aborted));
    assert_eq!(stubborn.stop_took, Some(MS(750)));
}

#[tokio::test(start_paused = true)]
async fn brutal_aborts_without_asking() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app").child(lab.worker_with("b", OnCancel::Ignore, None).shutdown(Shutdown::Brutal)),
    )
    .await;
    lab.take();
    let report = running.shutdown().await.unwrap();
    // It never saw a cancellation: it was dropped, not stopped.
    assert_eq!(lab.take(), ["0 dropped b#0"]);
    assert_eq!(report.child("b").unwrap().exit, Some(ExitReason::Aborted));
}

#[tokio::test(start_paused = true)]
async fn infinity_waits_as_long_as_it_takes() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(
        lab.worker_with("slow", OnCancel::Linger(Duration::from_secs(3600)), None).shutdown(Shutdown::Infinity),
    ))
    .await;
    lab.take();
    running.shutdown().await.unwrap();
    assert_eq!(lab.take(), ["3600000 stop slow#0"]);
}

#[tokio::test(start_paused = true)]
async fn explicit_stages_stop_concurrently_within_and_in_order_across() {
    let lab = Lab::new();
    let linger = |id, ms| lab.worker_with(id, OnCancel::Linger(MS(ms)), None);
    let running = common::start(
        SupervisorSpec::builder("app")
            .children([linger("db", 10), linger("cache", 10), linger("api", 100), linger("admin", 50)])
            .shutdown_stage(["api", "admin"])
            .shutdown_stage(["cache"])
            .shutdown_stage(["db"]),
    )
    .await;
    lab.take();
    running.shutdown().await.unwrap();
    assert_eq!(lab.take(), ["50 stop admin#0", "100 stop api#0", "110 stop cache#0", "120 stop db#0"]);
}

#[tokio::test(start_paused = true)]
async fn a_nested_supervisor_stops_its_own_subtree_before_its_earlier_siblings() {
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("inner").children([lab.worker("x"), lab.worker("y")]).build().unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("db"))
            .child(ChildSpec::supervisor(inner))
            .child(lab.worker("api")),
    )
    .await;
    assert_eq!(lab.take(), ["0 start db#0", "0 start x#0", "0 start y#0", "0 start api#0"]);
    let report = running.shutdown().await.unwrap();
    assert_eq!(lab.take(), ["0 stop api#0", "0 stop y#0", "0 stop x#0", "0 stop db#0"]);
    let inner = report.child("inner").unwrap().subtree.as_ref().unwrap();
    assert_eq!(inner.child("x").unwrap().exit, Some(ExitReason::Stopped));
}

#[tokio::test(start_paused = true)]
async fn a_nested_supervisors_deadline_aborts_its_whole_subtree_and_waits_for_it() {
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("inner")
        .child(lab.worker_with("x", OnCancel::Ignore, None).shutdown(Shutdown::Infinity))
        .child(lab.worker_with("y", OnCancel::Ignore, None).shutdown(Shutdown::Infinity))
        .build()
        .unwrap();
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let running = common::start(
        SupervisorSpec::builder("app").child(ChildSpec::supervisor(inner).shutdown(Shutdown::Timeout(MS(400)))),
    )
    .await;
    lab.take();
    let report = running.shutdown().await.unwrap();
    assert_eq!(lab.ms(), 400);
    let mut log = lab.take();
    log.sort();
    assert_eq!(log, ["400 dropped x#0", "400 dropped y#0"]);
    let inner = report.child("inner").unwrap();
    assert_eq!(inner.exit, Some(ExitReason::Aborted));
    assert_eq!(inner.subtree.as_ref().unwrap().child("y").unwrap().exit, Some(ExitReason::Aborted));
    assert!(alive_tasks_return_to(baseline).await);
}

#[tokio::test(start_paused = true)]
async fn shutdown_while_a_restart_is_stopping_siblings_finishes_that_stop_then_the_rest() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(supervisor_core::Strategy::OneForAll)
            .child(lab.worker("a"))
            .child(lab.worker("b"))
            .child(lab.worker_with("c", OnCancel::Linger(MS(500)), None)),
    )
    .await;
    lab.take();
    lab.tell("a", common::Action::Fail("boom")).await;
    tokio::time::sleep(MS(100)).await;
    running.shutdown().await.unwrap();
    assert_eq!(lab.take(), ["0 fail a#0", "500 stop c#0", "500 stop b#0"]);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_running_tree_shuts_it_down_in_the_background() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").children([lab.worker("a"), lab.worker("b")])).await;
    let handle = running.handle();
    lab.take();
    drop(running);
    let report = handle.wait().await.unwrap();
    assert_eq!(lab.take(), ["0 stop b#0", "0 stop a#0"]);
    assert_eq!(report.children.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_child_that_returns_an_error_while_stopping_is_reported_as_failed() {
    let spec = SupervisorSpec::builder("app")
        .child(ChildSpec::worker("w", |ctx: Ctx| async move {
            ctx.cancelled().await;
            Err::<(), _>("flush failed")
        }))
        .build()
        .unwrap();
    let report = spec.start().await.unwrap().shutdown().await.unwrap();
    assert_eq!(report.child("w").unwrap().exit, Some(ExitReason::Failed("flush failed".into())));
}
