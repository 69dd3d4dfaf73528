//! Restart intensity, exactly as OTP: the restart that makes more than `max`
//! within `period` ends the supervisor, after it stops every child in
//! reverse order; the one before does not.

mod common;

use std::time::Duration;

use common::{Action, Lab, drain, settle};
use supervisor_core::{Intensity, Strategy, SupervisorError, SupervisorSpec};

async fn tree(lab: &Lab, strategy: Strategy, max: u32, period_secs: u64) -> supervisor_core::RunningSupervisor {
    common::start(
        SupervisorSpec::builder("app")
            .strategy(strategy)
            .intensity(Intensity::new(max, Duration::from_secs(period_secs)))
            .children(["a", "b", "c"].map(|id| lab.worker(id))),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn the_restart_that_exceeds_max_gives_up_and_the_one_before_does_not() {
    let lab = Lab::new();
    let mut running = tree(&lab, Strategy::OneForOne, 3, 10).await;
    lab.take();
    for _ in 0..3 {
        lab.tell("b", Action::Fail("boom")).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(
        lab.take(),
        ["0 fail b#0", "0 start b#1", "1000 fail b#1", "1000 start b#2", "2000 fail b#2", "2000 start b#3"]
    );
    // The fourth restart within 10 s is one too many: every child is
    // stopped in reverse order and the supervisor ends with an error.
    lab.tell("b", Action::Fail("last straw")).await;
    settle().await;
    assert_eq!(lab.take(), ["3000 fail b#3", "3000 stop c#0", "3000 stop a#0"]);
    match running.wait().await {
        Err(SupervisorError::IntensityExceeded { supervisor, max, child, reason, report, .. }) => {
            assert_eq!((&*supervisor, max, &*child), ("app", 3, "app/b"));
            assert_eq!(reason.to_string(), "failed: last straw");
            assert_eq!(report.children.len(), 3);
        }
        other => panic!("expected the supervisor to give up, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn restarts_older_than_the_period_no_longer_count() {
    let lab = Lab::new();
    let running = tree(&lab, Strategy::OneForOne, 1, 5).await;
    for _ in 0..10 {
        lab.tell("a", Action::Fail("boom")).await;
        // A restart every 5.001 s: never two within any 5 s window.
        tokio::time::sleep(Duration::from_millis(5001)).await;
    }
    assert!(running.shutdown().await.is_ok());
    // And exactly at the period's edge the earlier restart still counts.
    let lab = Lab::new();
    let mut running = tree(&lab, Strategy::OneForOne, 1, 5).await;
    lab.tell("a", Action::Fail("boom")).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    lab.tell("a", Action::Fail("boom")).await;
    assert!(matches!(running.wait().await, Err(SupervisorError::IntensityExceeded { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_group_restart_counts_once() {
    let lab = Lab::new();
    let running = tree(&lab, Strategy::OneForAll, 1, 5).await;
    let mut events = running.subscribe();
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    // Three children restarted, one restart counted: still running.
    assert!(!running.handle().is_finished());
    let seen = drain(&mut events);
    assert!(seen.contains(&"started app/c#1".to_string()), "{seen:?}");
    assert!(!seen.iter().any(|e| e.starts_with("gave up")), "{seen:?}");
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn zero_intensity_gives_up_on_the_first_restart() {
    let lab = Lab::new();
    let mut running = tree(&lab, Strategy::OneForOne, 0, 5).await;
    let mut events = running.subscribe();
    lab.tell("c", Action::Return).await;
    assert!(matches!(running.wait().await, Err(SupervisorError::IntensityExceeded { .. })));
    let seen = drain(&mut events);
    assert_eq!(
        seen,
        [
            "exited app/c#0 returned",
            "gave up app max 0",
            "stopped app/b#0 stopped after 0ms",
            "stopped app/a#0 stopped after 0ms",
            "supervisor failed app",
        ]
    );
}
