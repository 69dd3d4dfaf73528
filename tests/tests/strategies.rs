//! Restart strategies, exactly as OTP: which children stop, in which order,
//! and which start again, in which order.

mod common;

use common::{Action, Lab, settle};
use supervisor_core::{Intensity, Strategy, SupervisorSpec};

async fn four_children(lab: &Lab, strategy: Strategy) -> supervisor_core::RunningSupervisor {
    common::start(
        SupervisorSpec::builder("app")
            .strategy(strategy)
            .intensity(Intensity::new(10, std::time::Duration::from_secs(1)))
            .children(["a", "b", "c", "d"].map(|id| lab.worker(id))),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn children_start_in_declaration_order() {
    let lab = Lab::new();
    let running = four_children(&lab, Strategy::OneForOne).await;
    assert_eq!(lab.take(), ["0 start a#0", "0 start b#0", "0 start c#0", "0 start d#0"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn one_for_one_restarts_only_the_failed_child() {
    let lab = Lab::new();
    let running = four_children(&lab, Strategy::OneForOne).await;
    lab.take();
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    assert_eq!(lab.take(), ["0 fail b#0", "0 start b#1"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn one_for_all_stops_the_others_in_reverse_then_starts_all_in_order() {
    let lab = Lab::new();
    let running = four_children(&lab, Strategy::OneForAll).await;
    lab.take();
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    assert_eq!(
        lab.take(),
        [
            "0 fail b#0",
            "0 stop d#0",
            "0 stop c#0",
            "0 stop a#0",
            "0 start a#1",
            "0 start b#1",
            "0 start c#1",
            "0 start d#1",
        ]
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn rest_for_one_stops_later_children_in_reverse_then_restarts_from_the_failed_one() {
    let lab = Lab::new();
    let running = four_children(&lab, Strategy::RestForOne).await;
    lab.take();
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    assert_eq!(lab.take(), ["0 fail b#0", "0 stop d#0", "0 stop c#0", "0 start b#1", "0 start c#1", "0 start d#1"]);
    // The last child failing takes nobody down with it.
    lab.tell("d", Action::Fail("boom")).await;
    settle().await;
    assert_eq!(lab.take(), ["0 fail d#1", "0 start d#2"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_group_restart_waits_for_each_stop_before_the_next() {
    use common::OnCancel;
    use std::time::Duration;

    let lab = Lab::new();
    let linger = |id| lab.worker_with(id, OnCancel::Linger(Duration::from_millis(300)), None);
    let running = common::start(SupervisorSpec::builder("app").strategy(Strategy::OneForAll).children([
        linger("a"),
        lab.worker("b"),
        linger("c"),
    ]))
    .await;
    lab.take();
    lab.tell("b", Action::Fail("boom")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // c takes 300 ms to stop, then a takes 300 ms; only then do all start.
    assert_eq!(
        lab.take(),
        ["0 fail b#0", "300 stop c#0", "600 stop a#0", "600 start a#1", "600 start b#1", "600 start c#1"]
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_exit_during_a_group_restart_is_handled_after_it() {
    use common::OnCancel;
    use std::time::Duration;

    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::RestForOne)
            .intensity(Intensity::new(10, Duration::from_secs(1)))
            .children([
                lab.worker("a"),
                lab.worker("b"),
                lab.worker_with("c", OnCancel::Linger(Duration::from_millis(100)), None),
            ]),
    )
    .await;
    lab.take();
    lab.tell("b", Action::Fail("first")).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // While c is still stopping for b's restart, a fails too.
    lab.tell("a", Action::Fail("second")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        lab.take(),
        [
            "0 fail b#0",
            "50 fail a#0",
            "100 stop c#0",
            "100 start b#1",
            "100 start c#1",
            // Then a's exit: rest_for_one from a.
            "200 stop c#1",
            "200 stop b#1",
            "200 start a#1",
            "200 start b#2",
            "200 start c#2",
        ]
    );
    assert_eq!(lab.max_live("c"), 1);
    running.shutdown().await.unwrap();
}
