//! Health with Kubernetes' meaning: live, ready, degraded, through the
//! states a tree goes through.

mod common;

use std::time::Duration;

use common::{Action, Lab, OnCancel, settle};
use supervisor_core::{Backoff, ChildSpec, Intensity, Restart, SupervisorSpec};

const BOUND: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn health_through_starting_ready_degraded_restarting_and_stopped() {
    let lab = Lab::new();
    let optional = SupervisorSpec::builder("optional")
        .intensity(Intensity::new(0, Duration::from_secs(5)))
        .child(lab.worker("cache"))
        .build()
        .unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::new(20, Duration::from_secs(1)))
            .child(lab.worker("db").backoff(Backoff::new(Duration::from_secs(2), Duration::from_secs(2))))
            // Transient: does not gate readiness; its restarts degrade.
            .child(lab.worker("mailer").restart(Restart::Transient))
            // A subtree that does not gate readiness.
            .child(ChildSpec::supervisor(optional).restart(Restart::Transient)),
    )
    .await;
    let handle = running.handle();
    let health = handle.health(BOUND).await;
    assert!(health.live && health.ready, "{health:?}");
    assert!(health.degraded.is_empty(), "{health:?}");
    // Only the permanent child gates; the transient subtree is not looked into.
    assert_eq!(health.checks.iter().map(|c| &*c.path).collect::<Vec<_>>(), ["app/db"]);

    // A gating child that is still starting: not ready, and says why.
    let slow =
        lab.worker_with("slow", OnCancel::Stop, Some(Duration::from_secs(30))).wait_ready(Duration::from_secs(60));
    let starting = tokio::spawn({
        let handle = handle.clone();
        async move { handle.start_child(slow).await }
    });
    settle().await;
    let health = handle.health(BOUND).await;
    assert!(health.live && !health.ready);
    let slow_check = health.checks.iter().find(|c| &*c.path == "app/slow").unwrap();
    assert_eq!(slow_check.why.as_deref(), Some("starting, not yet ready"));
    handle.terminate_child("slow").await.unwrap();
    let _ = starting.await;
    handle.delete_child("slow").await.unwrap();

    // A non-gating child failing again and again: degraded, still ready.
    for _ in 0..3 {
        lab.tell("mailer", Action::Fail("smtp down")).await;
        settle().await;
    }
    let health = handle.health(BOUND).await;
    assert!(health.ready, "{health:?}");
    assert!(health.degraded.is_empty(), "running again: {health:?}");

    // A non-gating subtree that gives up: degraded, still ready.
    lab.tell("cache", Action::Fail("boom")).await;
    settle().await;
    let health = handle.health(BOUND).await;
    assert!(health.ready, "{health:?}");
    assert_eq!(health.degraded, ["`app/optional` gave up and is not restarted"]);

    // A gating child restarting: not ready until it is back.
    lab.tell("db", Action::Fail("lost connection")).await;
    settle().await;
    let health = handle.health(BOUND).await;
    assert!(health.live && !health.ready);
    let db = health.checks.iter().find(|c| &*c.path == "app/db").unwrap();
    assert_eq!(db.why.as_deref(), Some("restarting in 2s"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    settle().await;
    assert!(handle.health(BOUND).await.ready);

    // Stopped: neither live nor ready.
    running.shutdown().await.unwrap();
    let health = handle.health(BOUND).await;
    assert!(!health.live && !health.ready, "{health:?}");
}

#[tokio::test(start_paused = true)]
async fn a_child_that_keeps_failing_degrades_a_tree_that_stays_ready() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::new(20, Duration::from_secs(1)))
            .child(lab.worker("db"))
            .child(
                lab.worker("reporter")
                    .restart(Restart::Transient)
                    .backoff(Backoff::new(Duration::from_millis(100), Duration::from_millis(100))),
            ),
    )
    .await;
    for _ in 0..3 {
        lab.tell("reporter", Action::Fail("no route")).await;
        settle().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        settle().await;
    }
    lab.tell("reporter", Action::Fail("no route")).await;
    settle().await;
    let health = running.handle().health(BOUND).await;
    assert!(health.live && health.ready, "{health:?}");
    assert_eq!(health.degraded, ["`app/reporter` keeps failing: restarted 3 times, restarting again"]);
    running.shutdown().await.unwrap();
}
