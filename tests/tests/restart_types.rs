//! Restart types, exactly as OTP: permanent always, transient only after an
//! abnormal exit, temporary never (and forgotten).

mod common;

use std::time::Duration;

use common::{Action, Lab, drain, settle};
use supervisor_core::{ExitReason, Intensity, Restart, SupervisorSpec};

async fn one(lab: &Lab, restart: Restart) -> supervisor_core::RunningSupervisor {
    common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::new(10, Duration::from_secs(1)))
            .child(lab.worker("w").restart(restart))
            .child(lab.worker("other")),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn permanent_restarts_after_every_kind_of_exit() {
    let lab = Lab::new();
    let running = one(&lab, Restart::Permanent).await;
    lab.take();
    for action in [Action::Return, Action::Fail("e"), Action::Panic("p")] {
        lab.tell("w", action).await;
        settle().await;
    }
    assert_eq!(lab.take(), ["0 return w#0", "0 start w#1", "0 fail w#1", "0 start w#2", "0 panic w#2", "0 start w#3"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn transient_restarts_after_errors_and_panics_but_not_a_normal_return() {
    let lab = Lab::new();
    let running = one(&lab, Restart::Transient).await;
    lab.take();
    lab.tell("w", Action::Fail("e")).await;
    settle().await;
    lab.tell("w", Action::Panic("p")).await;
    settle().await;
    lab.tell("w", Action::Return).await;
    settle().await;
    assert_eq!(lab.take(), ["0 fail w#0", "0 start w#1", "0 panic w#1", "0 start w#2", "0 return w#2"]);
    let report = running.shutdown().await.unwrap();
    // A transient child that returned normally keeps its spec.
    assert_eq!(report.child("w").unwrap().exit, Some(ExitReason::Returned));
}

#[tokio::test(start_paused = true)]
async fn temporary_is_never_restarted_and_is_forgotten() {
    let lab = Lab::new();
    let running = one(&lab, Restart::Temporary).await;
    let mut events = running.subscribe();
    lab.take();
    lab.tell("w", Action::Panic("kaput")).await;
    settle().await;
    assert_eq!(lab.take(), ["0 panic w#0"]);
    assert_eq!(drain(&mut events), ["exited app/w#0 panicked: kaput"]);
    let report = running.shutdown().await.unwrap();
    assert!(report.child("w").is_none(), "temporary child forgotten: {report:?}");
    assert!(report.child("other").is_some());
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_captured_with_its_message() {
    let lab = Lab::new();
    let running = one(&lab, Restart::Permanent).await;
    let mut events = running.subscribe();
    lab.tell("w", Action::Panic("index out of bounds")).await;
    settle().await;
    assert_eq!(
        drain(&mut events),
        ["exited app/w#0 panicked: index out of bounds", "restart app/w#1 in 0ms", "started app/w#1"]
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_error_is_kept_with_its_display() {
    let lab = Lab::new();
    let running = one(&lab, Restart::Transient).await;
    let mut events = running.subscribe();
    lab.tell("w", Action::Fail("connection refused")).await;
    settle().await;
    assert_eq!(drain(&mut events)[0], "exited app/w#0 failed: connection refused");
    running.shutdown().await.unwrap();
}
