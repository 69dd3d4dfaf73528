//! The control handle: every operation's success and each of its errors, and
//! a loop that keeps answering while children stop, back off and start.

mod common;

use std::time::Duration;

use common::{Action, Lab, OnCancel, settle};
use supervisor_core::{
    Backoff, ChildKind, ChildSpec, ChildState, ControlError, Ctx, ExitReason, Restart, SpecError, Strategy,
    SupervisorSpec,
};

const MS: fn(u64) -> Duration = Duration::from_millis;

fn err_id(id: &str) -> std::sync::Arc<str> {
    std::sync::Arc::from(id)
}

#[tokio::test(start_paused = true)]
async fn which_children_reports_every_state_generation_restarts_and_last_exit() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("run"))
            .child(lab.worker("done").restart(Restart::Transient))
            .child(lab.worker("flaky").backoff(Backoff::new(MS(500), MS(500)))),
    )
    .await;
    let handle = running.handle();
    lab.tell("done", Action::Return).await;
    lab.tell("flaky", Action::Fail("boom")).await;
    settle().await;
    let t = tokio::time::Instant::now();
    let children = handle.which_children().await.unwrap();
    let summary: Vec<_> = children.iter().map(|c| (&*c.id, c.state, c.generation, c.restarts)).collect();
    assert_eq!(
        summary,
        [
            ("run", ChildState::Running, 0, 0),
            ("done", ChildState::Stopped, 0, 0),
            ("flaky", ChildState::Restarting { at: t + MS(500) }, 0, 0),
        ]
    );
    assert_eq!(children[1].last_exit, Some(ExitReason::Returned));
    assert_eq!(children[2].last_exit, Some(ExitReason::Failed("boom".into())));
    assert_eq!(&*children[2].path, "app/flaky");
    assert_eq!(children[0].kind, ChildKind::Worker);
    tokio::time::sleep(MS(500)).await;
    let flaky = &handle.which_children().await.unwrap()[2];
    assert_eq!((flaky.state, flaky.generation, flaky.restarts), (ChildState::Running, 1, 1));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn count_children_counts_specs_active_supervisors_and_workers() {
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("inner").child(lab.worker("x")).build().unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("a"))
            .child(lab.worker("b").restart(Restart::Transient))
            .child(ChildSpec::supervisor(inner)),
    )
    .await;
    lab.tell("b", Action::Return).await;
    settle().await;
    let counts = running.handle().count_children().await.unwrap();
    assert_eq!((counts.specs, counts.active, counts.supervisors, counts.workers), (3, 2, 1, 2));
    running.shutdown().await.unwrap();
}

/// Workers `a` and `b`; `b` waits a minute before each restart.
fn a_and_slow_restarting_b(lab: &Lab) -> supervisor_core::SupervisorBuilder {
    let slow = Backoff::new(Duration::from_secs(60), Duration::from_secs(60));
    SupervisorSpec::builder("app").child(lab.worker("a")).child(lab.worker("b").backoff(slow))
}

#[tokio::test(start_paused = true)]
async fn restart_child_starts_only_a_stopped_child() {
    let lab = Lab::new();
    let running = common::start(a_and_slow_restarting_b(&lab)).await;
    let handle = running.handle();
    assert_eq!(handle.restart_child("a").await, Err(ControlError::Running { id: err_id("a") }));
    assert_eq!(handle.restart_child("zz").await, Err(ControlError::NotFound { id: err_id("zz") }));
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    assert_eq!(handle.restart_child("b").await, Err(ControlError::Restarting { id: err_id("b") }));

    handle.terminate_child("a").await.unwrap();
    lab.take();
    handle.restart_child("a").await.unwrap();
    assert_eq!(lab.take(), ["0 start a#1"]);
    assert_eq!(handle.which_children().await.unwrap()[0].state, ChildState::Running);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn terminate_child_stops_without_restarting_and_keeps_the_spec() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::OneForAll)
            .child(lab.worker("a"))
            .child(lab.worker_with("slow", OnCancel::Linger(MS(300)), None))
            .child(lab.worker("temp").restart(Restart::Temporary)),
    )
    .await;
    let handle = running.handle();
    lab.take();
    handle.terminate_child("slow").await.unwrap();
    assert_eq!(lab.ms(), 300, "returns once it has stopped");
    settle().await;
    assert_eq!(lab.take(), ["300 stop slow#0"], "permanent, yet not restarted, and no sibling touched");
    let children = handle.which_children().await.unwrap();
    assert_eq!(children[1].state, ChildState::Stopped);
    assert_eq!(children[1].last_exit, Some(ExitReason::Stopped));

    handle.terminate_child("temp").await.unwrap();
    let ids: Vec<_> = handle.which_children().await.unwrap().iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["a", "slow"], "a terminated temporary child is forgotten");
    assert_eq!(handle.terminate_child("temp").await, Err(ControlError::NotFound { id: err_id("temp") }));
    // Terminating a stopped child is fine, as in OTP.
    assert_eq!(handle.terminate_child("slow").await, Ok(()));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn terminate_child_cancels_a_pending_restart() {
    let lab = Lab::new();
    let running =
        common::start(SupervisorSpec::builder("app").child(lab.worker("b").backoff(Backoff::new(MS(100), MS(100)))))
            .await;
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    running.handle().terminate_child("b").await.unwrap();
    tokio::time::sleep(MS(1000)).await;
    assert_eq!(lab.take(), ["0 start b#0", "0 fail b#0"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn delete_child_forgets_only_a_stopped_child() {
    let lab = Lab::new();
    let running = common::start(a_and_slow_restarting_b(&lab)).await;
    let handle = running.handle();
    assert_eq!(handle.delete_child("a").await, Err(ControlError::Running { id: err_id("a") }));
    assert_eq!(handle.delete_child("nope").await, Err(ControlError::NotFound { id: err_id("nope") }));
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    assert_eq!(handle.delete_child("b").await, Err(ControlError::Restarting { id: err_id("b") }));
    handle.terminate_child("a").await.unwrap();
    handle.delete_child("a").await.unwrap();
    assert_eq!(handle.count_children().await.unwrap().specs, 1);
    assert_eq!(handle.restart_child("a").await, Err(ControlError::NotFound { id: err_id("a") }));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn start_child_appends_a_child_and_its_errors_are_typed() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app").child(lab.worker("a")).child(lab.worker("b").restart(Restart::Transient)),
    )
    .await;
    let handle = running.handle();
    lab.take();
    handle.start_child(lab.worker("c")).await.unwrap();
    assert_eq!(lab.take(), ["0 start c#0"]);
    assert_eq!(handle.start_child(lab.worker("a")).await, Err(ControlError::AlreadyStarted { id: err_id("a") }));
    lab.tell("b", Action::Return).await;
    settle().await;
    assert_eq!(handle.start_child(lab.worker("b")).await, Err(ControlError::AlreadyPresent { id: err_id("b") }));
    let bad = lab.worker("d").restart(Restart::Temporary).backoff(Backoff::new(MS(1), MS(2)));
    assert_eq!(
        handle.start_child(bad).await,
        Err(ControlError::Spec(SpecError::BackoffOnTemporary { child: err_id("d") }))
    );
    let broken = ChildSpec::worker("e", |_ctx: Ctx| async { Err::<(), _>("no config") }).wait_ready(MS(100));
    assert_eq!(
        handle.start_child(broken).await,
        Err(ControlError::StartFailed { id: err_id("e"), reason: ExitReason::Failed("no config".into()) })
    );
    let ids: Vec<_> = handle.which_children().await.unwrap().iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["a", "b", "c"], "a child that failed to start is not kept");
    // Added children join the end of the start order, so stop first.
    lab.take();
    running.shutdown().await.unwrap();
    assert_eq!(lab.take(), ["0 stop c#0", "0 stop a#0"]);
}

#[tokio::test(start_paused = true)]
async fn the_loop_answers_while_a_child_stops_backs_off_or_starts() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::OneForAll)
            .child(lab.worker_with("slow_stop", OnCancel::Linger(Duration::from_secs(10)), None))
            .child(lab.worker("trigger").backoff(Backoff::new(Duration::from_secs(30), Duration::from_secs(30)))),
    )
    .await;
    let handle = running.handle();
    lab.tell("trigger", Action::Fail("boom")).await;
    settle().await;
    // slow_stop takes 10 s to stop: the loop still answers at once.
    let t0 = tokio::time::Instant::now();
    let states: Vec<_> = handle.which_children().await.unwrap().iter().map(|c| c.state).collect();
    // The group restart will start the failed child again, after its 30 s.
    let due = t0 + Duration::from_secs(30);
    assert_eq!(states, [ChildState::Stopping, ChildState::Restarting { at: due }]);
    assert_eq!(t0.elapsed(), Duration::ZERO);
    // A change is carried out at once: terminating the failed child cancels
    // its restart, and the group goes on without it.
    assert_eq!(handle.terminate_child("trigger").await, Ok(()));
    assert_eq!(t0.elapsed(), Duration::ZERO);
    tokio::time::sleep(Duration::from_secs(11)).await;
    // slow_stop has stopped, and waits out the rest of the 30 s backoff.
    let states: Vec<_> = handle.which_children().await.unwrap().iter().map(|c| c.state).collect();
    assert_eq!(states, [ChildState::Restarting { at: due }, ChildState::Stopped]);
    tokio::time::sleep(Duration::from_secs(20)).await;
    let states: Vec<_> = handle.which_children().await.unwrap().iter().map(|c| c.state).collect();
    assert_eq!(states, [ChildState::Running, ChildState::Stopped]);
    running.shutdown().await.unwrap();

    // And while a child is starting.
    let lab = Lab::new();
    let spec = SupervisorSpec::builder("app").child(lab.worker("a")).build().unwrap();
    let running = spec.start().await.unwrap();
    let handle = running.handle();
    let slow_start = lab.worker_with("b", OnCancel::Stop, Some(Duration::from_secs(5))).wait_ready(MS(60_000));
    let start = tokio::spawn({
        let handle = handle.clone();
        async move { handle.start_child(slow_start).await }
    });
    tokio::time::sleep(MS(100)).await;
    let states: Vec<_> = handle.which_children().await.unwrap().iter().map(|c| c.state).collect();
    assert_eq!(states, [ChildState::Running, ChildState::Starting]);
    assert_eq!(start.await.unwrap(), Ok(()));
    assert_eq!(lab.ms(), 5000);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_nested_handle_controls_a_supervisor_below() {
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("inner").child(lab.worker("x")).child(lab.worker("y")).build().unwrap();
    let running =
        common::start(SupervisorSpec::builder("app").child(lab.worker("a")).child(ChildSpec::supervisor(inner))).await;
    let inner = running.handle().nested("inner");
    assert_eq!(inner.path(), "app/inner");
    let ids: Vec<_> = inner.which_children().await.unwrap().iter().map(|c| c.path.to_string()).collect();
    assert_eq!(ids, ["app/inner/x", "app/inner/y"]);
    lab.take();
    inner.terminate_child("y").await.unwrap();
    assert_eq!(lab.take(), ["0 stop y#0"]);
    let missing = running.handle().nested("a");
    assert_eq!(missing.which_children().await, Err(ControlError::NotASupervisor { path: err_id("app/a") }));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn calls_after_shutdown_are_typed_errors_and_shutdown_is_idempotent() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("a"))).await;
    let handle = running.handle();
    let first = handle.shutdown().await.unwrap();
    let second = handle.shutdown().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(running.shutdown().await.unwrap(), first);
    assert_eq!(handle.which_children().await, Err(ControlError::ShuttingDown { supervisor: err_id("app") }));
    assert_eq!(handle.restart_child("a").await, Err(ControlError::ShuttingDown { supervisor: err_id("app") }));
    assert_eq!(handle.wait().await.unwrap(), first);
}
