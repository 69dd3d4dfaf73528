//! Significant children and auto-shutdown, exactly as OTP 24, including the
//! stops that must not trigger it.

mod common;

use common::{Action, Lab, settle};
use supervisor_core::{AutoShutdown, ChildSpec, ExitReason, Restart, Strategy, SupervisorSpec};

async fn tree(lab: &Lab, mode: AutoShutdown, strategy: Strategy) -> supervisor_core::RunningSupervisor {
    common::start(
        SupervisorSpec::builder("app")
            .strategy(strategy)
            .auto_shutdown(mode)
            .intensity(supervisor_core::Intensity::new(10, std::time::Duration::from_secs(1)))
            .child(lab.worker("plain"))
            .child(lab.worker("s1").restart(Restart::Transient).significant(true))
            .child(lab.worker("s2").restart(Restart::Temporary).significant(true)),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn any_significant_shuts_down_when_one_ends_on_its_own() {
    let lab = Lab::new();
    let mut running = tree(&lab, AutoShutdown::AnySignificant, Strategy::OneForOne).await;
    lab.take();
    lab.tell("s1", Action::Return).await;
    let report = running.wait().await.expect("a normal stop, not an error");
    assert_eq!(lab.take(), ["0 return s1#0", "0 stop s2#0", "0 stop plain#0"]);
    assert_eq!(report.child("s1").unwrap().exit, Some(ExitReason::Returned));
}

#[tokio::test(start_paused = true)]
async fn a_significant_transient_child_that_fails_is_restarted_not_a_shutdown() {
    let lab = Lab::new();
    let running = tree(&lab, AutoShutdown::AnySignificant, Strategy::OneForOne).await;
    lab.tell("s1", Action::Fail("boom")).await;
    settle().await;
    assert!(!running.handle().is_finished());
    assert_eq!(lab.live("s1"), 1);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn all_significant_waits_for_the_last_one() {
    let lab = Lab::new();
    let mut running = tree(&lab, AutoShutdown::AllSignificant, Strategy::OneForOne).await;
    lab.tell("s2", Action::Panic("gone")).await;
    settle().await;
    assert!(!running.handle().is_finished(), "s1 is still running");
    lab.tell("s1", Action::Return).await;
    running.wait().await.unwrap();
    assert_eq!(lab.live("plain"), 0);
}

#[tokio::test(start_paused = true)]
async fn terminate_child_never_triggers_it() {
    let lab = Lab::new();
    let running = tree(&lab, AutoShutdown::AnySignificant, Strategy::OneForOne).await;
    running.handle().terminate_child("s1").await.unwrap();
    running.handle().terminate_child("s2").await.unwrap();
    settle().await;
    assert!(!running.handle().is_finished());
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_stop_caused_by_a_siblings_restart_never_triggers_it() {
    let lab = Lab::new();
    let running = tree(&lab, AutoShutdown::AnySignificant, Strategy::OneForAll).await;
    lab.take();
    lab.tell("plain", Action::Fail("boom")).await;
    settle().await;
    // s2 (temporary) is stopped and forgotten by the group restart; s1 comes
    // back; nothing shuts down.
    assert_eq!(lab.take(), ["0 fail plain#0", "0 stop s2#0", "0 stop s1#0", "0 start plain#1", "0 start s1#1"]);
    assert!(!running.handle().is_finished());
    running.shutdown().await.unwrap();
}

#[test]
fn a_significant_child_under_never_is_a_bad_combination() {
    // OTP rejects the flag where it would mean nothing.
    let lab = Lab::new();
    let error = SupervisorSpec::builder("app")
        .auto_shutdown(AutoShutdown::Never)
        .child(lab.worker("s1").restart(Restart::Transient).significant(true))
        .build()
        .unwrap_err();
    assert_eq!(error, supervisor_core::SpecError::SignificantWithoutAutoShutdown { child: "s1".into() });
}

#[tokio::test(start_paused = true)]
async fn a_nested_auto_shutdown_is_a_normal_exit_for_its_parent() {
    let lab = Lab::new();
    let job = SupervisorSpec::builder("job")
        .auto_shutdown(AutoShutdown::AllSignificant)
        .child(lab.worker("step").restart(Restart::Transient).significant(true))
        .build()
        .unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("other"))
            .child(ChildSpec::supervisor(job).restart(Restart::Transient)),
    )
    .await;
    lab.tell("step", Action::Return).await;
    settle().await;
    let job = &running.handle().which_children().await.unwrap()[1];
    assert_eq!(job.last_exit, Some(ExitReason::Returned), "a transient supervisor that ended normally");
    assert_eq!(job.state, supervisor_core::ChildState::Stopped, "and is not restarted");
    running.shutdown().await.unwrap();
}
