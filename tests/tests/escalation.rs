//! Nested supervisors: a supervisor that gives up fails as a child of its
//! parent, exactly one level up, and the parent's own strategy applies.

mod common;

use std::time::Duration;

use common::{Action, Lab, drain, settle};
use supervisor_core::{ChildSpec, Intensity, Strategy, SupervisorSpec};

#[tokio::test(start_paused = true)]
async fn a_leaf_exceeding_its_supervisors_intensity_escalates_exactly_one_level() {
    let lab = Lab::new();
    let low = SupervisorSpec::builder("low")
        .intensity(Intensity::new(1, Duration::from_secs(5)))
        .child(lab.worker("leaf"))
        .build()
        .unwrap();
    let mid = SupervisorSpec::builder("mid")
        .strategy(Strategy::RestForOne)
        .intensity(Intensity::new(3, Duration::from_secs(5)))
        .child(lab.worker("before"))
        .child(ChildSpec::supervisor(low))
        .child(lab.worker("after"))
        .build()
        .unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::OneForAll)
            .child(lab.worker("root_worker"))
            .child(ChildSpec::supervisor(mid)),
    )
    .await;
    let mut events = running.subscribe();
    lab.take();

    lab.tell("leaf", Action::Fail("one")).await;
    settle().await;
    assert_eq!(lab.take(), ["0 fail leaf#0", "0 start leaf#1"], "within low's intensity");
    drain(&mut events);

    lab.tell("leaf", Action::Fail("two")).await;
    settle().await;
    // low gives up; mid (rest_for_one) stops `after`, restarts low and after;
    // `before` and everything in app are untouched.
    assert_eq!(lab.take(), ["0 fail leaf#1", "0 stop after#0", "0 start leaf#0", "0 start after#1"]);
    let seen = drain(&mut events);
    assert_eq!(
        seen,
        [
            "exited app/mid/low/leaf#1 failed: two",
            "gave up app/mid/low max 1",
            "supervisor failed app/mid/low",
            "exited app/mid/low#0 gave up: supervisor `app/mid/low` gave up: more than 1 restarts in 5s (last: `app/mid/low/leaf` failed: two)",
            "restart app/mid/low#1 in 0ms",
            "restart app/mid/after#1 in 0ms",
            "stopped app/mid/after#0 stopped after 0ms",
            "started app/mid/low/leaf#0",
            "started app/mid/low#1",
            "started app/mid/after#1",
        ]
    );
    assert!(!running.handle().is_finished());
    assert_eq!(lab.max_live("leaf"), 1);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_top_level_supervisor_that_gives_up_reports_it_from_wait() {
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("inner")
        .intensity(Intensity::new(0, Duration::from_secs(5)))
        .child(lab.worker("leaf"))
        .build()
        .unwrap();
    let mut running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::new(0, Duration::from_secs(5)))
            .child(lab.worker("a"))
            .child(ChildSpec::supervisor(inner)),
    )
    .await;
    lab.tell("leaf", Action::Fail("boom")).await;
    let error = running.wait().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "supervisor `app` gave up: more than 0 restarts in 5s (last: `app/inner` gave up: supervisor `app/inner` gave up: more than 0 restarts in 5s (last: `app/inner/leaf` failed: boom))"
    );
    assert_eq!(lab.live("a") + lab.live("leaf"), 0);
}
