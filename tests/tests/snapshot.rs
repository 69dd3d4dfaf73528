//! The whole tree as data (`handle.tree()`): every supervisor and child,
//! with its state, restarts and helpers, answered while work is in progress.

mod common;

use std::time::Duration;

use common::{Action, Lab, OnCancel, settle};
use supervisor_core::{Backoff, ChildSpec, ChildState, Ctx, ExitReason, Intensity, Strategy, SupervisorSpec};

const MS: fn(u64) -> Duration = Duration::from_millis;

#[tokio::test(start_paused = true)]
async fn the_snapshot_shows_every_state_restart_count_and_helper() {
    let lab = Lab::new();
    let with_helpers = ChildSpec::worker("busy", |ctx: Ctx| async move {
        for _ in 0..2 {
            let own = ctx.clone();
            ctx.spawn(async move { own.cancelled().await });
        }
        ctx.cancelled().await;
    });
    let inner = SupervisorSpec::builder("inner").child(lab.worker("leaf")).build().unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::OneForOne)
            .intensity(Intensity::new(5, Duration::from_secs(10)))
            .child(lab.worker("flaky").backoff(Backoff::new(Duration::from_secs(2), Duration::from_secs(2))))
            .child(with_helpers)
            .child(ChildSpec::worker("off", |ctx: Ctx| async move { ctx.ignore() }).wait_ready(MS(100)))
            .child(lab.worker("done").restart(supervisor_core::Restart::Transient))
            .child(ChildSpec::supervisor(inner)),
    )
    .await;
    let handle = running.handle();
    let slow =
        lab.worker_with("slow", OnCancel::Stop, Some(Duration::from_secs(30))).wait_ready(Duration::from_secs(60));
    let starting = tokio::spawn({
        let handle = handle.clone();
        async move { handle.start_child(slow).await }
    });
    lab.tell("flaky", Action::Fail("boom")).await;
    lab.tell("done", Action::Return).await;
    settle().await;
    tokio::time::sleep(MS(500)).await;

    let tree = handle.tree().await.unwrap();
    assert_eq!((&*tree.path, tree.strategy, tree.restarts, tree.intensity.max()), ("app", Strategy::OneForOne, 1, 5));
    let states: Vec<(&str, ChildState)> = tree.children.iter().map(|c| (&*c.id, c.state)).collect();
    let flaky = &tree.children[0];
    assert!(matches!(flaky.state, ChildState::Restarting { .. }));
    assert_eq!(flaky.restart_in, Some(MS(1500)), "due 2 s after its exit");
    assert_eq!(flaky.last_exit, Some(ExitReason::Failed("boom".into())));
    assert_eq!(
        &states[1..],
        [
            ("busy", ChildState::Running),
            ("off", ChildState::Ignored),
            ("done", ChildState::Stopped),
            ("inner", ChildState::Running),
            ("slow", ChildState::Starting),
        ]
    );
    assert_eq!(tree.children[1].helpers, 2);
    let inner = tree.children[4].supervisor.as_ref().expect("the nested supervisor's own snapshot");
    assert_eq!((&*inner.children[0].path, inner.children[0].state), ("app/inner/leaf", ChildState::Running));
    let every: Vec<&str> = tree.walk().map(|(_, child)| &*child.path).collect();
    assert_eq!(every.len(), 7, "{every:?}");
    running.shutdown().await.unwrap();
    let _ = starting.await;
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_and_health_are_plain_json() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("flaky").backoff(Backoff::new(Duration::from_secs(2), Duration::from_secs(2))))
            .child(lab.worker("db")),
    )
    .await;
    lab.tell("flaky", Action::Fail("boom")).await;
    settle().await;
    let tree = serde_json::to_value(running.handle().tree().await.unwrap()).unwrap();
    assert_eq!(tree["path"], "app");
    assert_eq!(tree["strategy"], "one_for_one");
    assert_eq!(tree["intensity"], serde_json::json!({ "max": 1, "period_ms": 5000 }));
    assert_eq!(tree["restarts"], 1);
    let flaky = &tree["children"][0];
    assert_eq!(flaky["state"], "restarting");
    assert_eq!(flaky["restart_in_ms"], 2000);
    assert_eq!(flaky["last_exit"], "failed: boom");
    assert_eq!((&flaky["kind"], &flaky["restart"]), (&serde_json::json!("worker"), &serde_json::json!("permanent")));
    assert_eq!(tree["children"][1]["state"], "running");
    let health = serde_json::to_value(running.handle().health(Duration::from_secs(1)).await).unwrap();
    assert_eq!((&health["live"], &health["ready"]), (&serde_json::json!(true), &serde_json::json!(false)));
    assert_eq!(health["checks"][0]["why"], "restarting in 2s");
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_says_how_long_each_child_has_been_up_and_since_its_last_exit() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("steady"))
            .child(lab.worker("flaky").backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)))),
    )
    .await;
    let handle = running.handle();
    tokio::time::sleep(MS(300)).await;
    lab.tell("flaky", Action::Fail("boom")).await;
    settle().await;
    tokio::time::sleep(MS(200)).await;

    let tree = handle.tree().await.unwrap();
    let (steady, flaky) = (&tree.children[0], &tree.children[1]);
    assert_eq!((steady.up, steady.last_exit_ago), (Some(MS(500)), None), "up since the start, never exited");
    assert_eq!((flaky.up, flaky.last_exit_ago), (None, Some(MS(200))), "restarting: not up, exited 200 ms ago");

    tokio::time::sleep(MS(1000)).await;
    let tree = handle.tree().await.unwrap();
    let flaky = &tree.children[1];
    assert_eq!(flaky.state, ChildState::Running);
    assert_eq!((flaky.up, flaky.last_exit_ago), (Some(MS(200)), Some(MS(1200))), "up since its restart");
    running.shutdown().await.unwrap();
}
