//! The loop answers every call in the turn it arrives, whatever is in
//! progress, and survives every child: a failing restart loop, a readiness
//! wait, a panicking factory. Each test restates one OTP behaviour.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{Action, Lab, OnCancel, alive_tasks_return_to, settle};
use supervisor_core::{
    Backoff, ChildSpec, ChildState, ControlError, Ctx, ExitReason, Intensity, Restart, Shutdown, StartError, Strategy,
    SupervisorError, SupervisorSpec,
};
use tokio::time::Instant;

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Awaits a call and checks that it was answered before time moved.
async fn now<T>(call: impl Future<Output = T>) -> T {
    let t0 = Instant::now();
    let answer = call.await;
    assert_eq!(t0.elapsed(), Duration::ZERO, "the call waited for time to pass");
    answer
}

fn state(children: &[supervisor_core::ChildInfo], id: &str) -> ChildState {
    children.iter().find(|c| &*c.id == id).map(|c| c.state).unwrap_or_else(|| panic!("no child {id}"))
}

/// A child that becomes ready on its first start, and whose every later
/// start fails before it is ready. Counts its starts.
fn flaky(starts: Arc<AtomicU64>) -> ChildSpec {
    ChildSpec::worker("flaky", move |ctx: Ctx| {
        let n = starts.fetch_add(1, Ordering::SeqCst);
        async move {
            if n > 0 {
                return Err("no connection".to_string());
            }
            ctx.ready();
            ctx.cancelled().await;
            Err("stopped".to_string())
        }
    })
    .wait_ready(MS(1000))
}

#[tokio::test(start_paused = true)]
async fn a_failing_restart_loop_serves_calls_and_terminate_child_ends_it() {
    let lab = Lab::new();
    let starts = Arc::new(AtomicU64::new(0));
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::unlimited())
            .child(lab.worker("other"))
            .child(flaky(starts.clone())),
    )
    .await;
    let handle = running.handle();
    // Make the first incarnation fail: every restart now fails at once.
    handle.kill_child("flaky").await.unwrap();
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(starts.load(Ordering::SeqCst) > 2, "it keeps retrying");
    let children = now(handle.which_children()).await.unwrap();
    assert!(matches!(state(&children, "flaky"), ChildState::Restarting { .. } | ChildState::Starting));
    assert!(matches!(
        now(handle.restart_child("flaky")).await,
        Err(ControlError::Restarting { .. } | ControlError::Running { .. })
    ));
    assert!(matches!(
        now(handle.delete_child("flaky")).await,
        Err(ControlError::Restarting { .. } | ControlError::Running { .. })
    ));
    now(handle.start_child(lab.worker("added"))).await.unwrap();
    // terminate_child ends the loop.
    now(handle.terminate_child("flaky")).await.unwrap();
    let after = starts.load(Ordering::SeqCst);
    settle().await;
    assert_eq!(starts.load(Ordering::SeqCst), after, "no start after terminate_child");
    let children = handle.which_children().await.unwrap();
    assert_eq!(state(&children, "flaky"), ChildState::Stopped);
    assert_eq!(state(&children, "other"), ChildState::Running);
    now(handle.delete_child("flaky")).await.unwrap();
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_failed_restart_is_retried_with_its_backoff_and_counts_against_the_intensity() {
    let starts = Arc::new(AtomicU64::new(0));
    let spec = flaky(starts.clone()).backoff(Backoff::new(MS(100), MS(100)));
    let running =
        common::start(SupervisorSpec::builder("app").intensity(Intensity::new(3, MS(10_000))).child(spec)).await;
    let handle = running.handle();
    let mut events = running.subscribe();
    handle.kill_child("flaky").await.unwrap();
    // Between tries it is restarting, and the loop answers.
    tokio::time::sleep(MS(50)).await;
    let children = now(handle.which_children()).await.unwrap();
    assert!(matches!(state(&children, "flaky"), ChildState::Restarting { .. }), "{children:?}");
    assert_eq!(now(handle.count_children()).await.unwrap().active, 0, "restarting is not active");
    let mut running = running;
    let error = running.wait().await.unwrap_err();
    assert!(matches!(error, SupervisorError::IntensityExceeded { .. }), "{error}");
    let lines = common::drain(&mut events);
    let restarts: Vec<_> = lines.iter().filter(|l| l.starts_with("restart")).collect();
    assert_eq!(
        restarts,
        ["restart app/flaky#1 in 100ms", "restart app/flaky#2 in 100ms", "restart app/flaky#3 in 100ms"]
    );
    assert_eq!(starts.load(Ordering::SeqCst), 4, "the first start, then three tries");
}

#[tokio::test(start_paused = true)]
async fn a_readiness_wait_holds_the_next_start_but_not_calls_or_shutdown() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("a"))).await;
    let handle = running.handle();
    let slow =
        lab.worker_with("slow", OnCancel::Stop, Some(Duration::from_secs(30))).wait_ready(Duration::from_secs(60));
    let start = tokio::spawn({
        let handle = handle.clone();
        async move { handle.start_child(slow).await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let children = now(handle.which_children()).await.unwrap();
    assert_eq!(children.iter().map(|c| c.state).collect::<Vec<_>>(), [ChildState::Running, ChildState::Starting]);
    now(handle.terminate_child("a")).await.unwrap();
    now(handle.restart_child("a")).await.unwrap();
    lab.take();
    // Shutdown stops the starting child at once: it honours cancellation.
    now(running.shutdown()).await.unwrap();
    assert_eq!(lab.take(), ["1000 stop slow#0", "1000 stop a#1"]);
    assert!(matches!(start.await.unwrap(), Err(ControlError::ShuttingDown { .. } | ControlError::StartFailed { .. })));
}

#[tokio::test(start_paused = true)]
async fn dropping_start_while_a_child_readies_stops_those_already_started() {
    let lab = Lab::new();
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let spec = SupervisorSpec::builder("app")
        .child(lab.worker("a"))
        .child(
            lab.worker_with("slow", OnCancel::Stop, Some(Duration::from_secs(30))).wait_ready(Duration::from_secs(60)),
        )
        .child(lab.worker("c"))
        .build()
        .unwrap();
    let start = tokio::spawn(spec.start());
    tokio::time::sleep(Duration::from_secs(1)).await;
    start.abort();
    assert!(start.await.unwrap_err().is_cancelled());
    settle().await;
    assert_eq!(lab.take(), ["0 start a#0", "0 start slow#0", "1000 stop slow#0", "1000 stop a#0"]);
    assert!(alive_tasks_return_to(baseline).await);
}

/// A factory that panics on the starts `panics_on` says (0 for the first).
fn panicky(id: &'static str, lab: &Lab, panics_on: fn(u64) -> bool) -> ChildSpec {
    let lab = lab.clone();
    let calls = Arc::new(AtomicU64::new(0));
    ChildSpec::worker(id, move |ctx: Ctx| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        assert!(!panics_on(n), "bad config for start {n}");
        let lab = lab.clone();
        async move {
            lab.record(format!("start {id}#{}", ctx.generation()));
            ctx.cancelled().await;
            lab.record(format!("stop {id}#{}", ctx.generation()));
        }
    })
}

#[tokio::test(start_paused = true)]
async fn a_factory_that_panics_at_start_fails_the_start_and_orphans_nothing() {
    let lab = Lab::new();
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let error = SupervisorSpec::builder("app")
        .child(lab.worker("a"))
        .child(panicky("b", &lab, |_| true))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    match error {
        StartError::ChildFailed { child, reason: ExitReason::Panicked(message) } => {
            assert_eq!(&*child, "app/b");
            assert_eq!(&*message, "bad config for start 0");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(lab.take(), ["0 start a#0", "0 stop a#0"]);
    assert!(alive_tasks_return_to(baseline).await);
}

#[tokio::test(start_paused = true)]
async fn a_factory_that_panics_on_restart_is_a_failed_start_and_the_tree_gives_up_in_order() {
    let lab = Lab::new();
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let mut running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::new(2, Duration::from_secs(5)))
            .child(lab.worker("a"))
            .child(panicky("b", &lab, |n| n > 0)),
    )
    .await;
    running.handle().kill_child("b").await.unwrap();
    match running.wait().await.unwrap_err() {
        SupervisorError::IntensityExceeded { child, reason, .. } => {
            assert_eq!(&*child, "app/b");
            assert_eq!(reason, ExitReason::Panicked("bad config for start 2".into()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(lab.take(), ["0 start a#0", "0 start b#0", "0 stop a#0"]);
    assert!(alive_tasks_return_to(baseline).await);
}

#[tokio::test(start_paused = true)]
async fn a_nested_supervisor_that_gives_up_is_restarted_by_a_permanent_parent_only() {
    for (restart, restarted) in [(Restart::Permanent, true), (Restart::Transient, false)] {
        let lab = Lab::new();
        let inner = SupervisorSpec::builder("inner")
            .intensity(Intensity::new(0, MS(1000)))
            .child(lab.worker("leaf"))
            .build()
            .unwrap();
        let running = common::start(
            SupervisorSpec::builder("app")
                .intensity(Intensity::new(5, MS(1000)))
                .child(lab.worker("sibling"))
                .child(ChildSpec::supervisor(inner).restart(restart)),
        )
        .await;
        lab.tell("leaf", Action::Fail("boom")).await;
        settle().await;
        let children = running.handle().which_children().await.unwrap();
        let inner = children.iter().find(|c| &*c.id == "inner").unwrap();
        assert!(matches!(inner.last_exit, Some(ExitReason::GaveUp(_))), "{:?}", inner.last_exit);
        let expected = if restarted { (ChildState::Running, 1) } else { (ChildState::Stopped, 0) };
        assert_eq!((inner.state, inner.generation), expected, "{restart:?}");
        assert_eq!(state(&children, "sibling"), ChildState::Running);
        running.shutdown().await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_supervisor_counts_one_spec_and_a_restarting_child_is_not_active() {
    let template = supervisor_core::ChildTemplate::new(|ctx: Ctx, fail: bool| async move {
        if fail {
            return Err("boom");
        }
        ctx.cancelled().await;
        Ok(())
    })
    .backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)));
    let running = SupervisorSpec::dynamic("d", template).intensity(Intensity::unlimited()).build().unwrap();
    let running = running.start().await.unwrap();
    let d = running.handle().dynamic::<bool>();
    d.start_child(false).await.unwrap();
    d.start_child(true).await.unwrap();
    settle().await;
    let counts = d.count_children().await.unwrap();
    assert_eq!((counts.specs, counts.active, counts.workers), (1, 1, 2));
    let children = d.which_children().await.unwrap();
    assert!(matches!(state(&children, "2"), ChildState::Restarting { .. }));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn terminating_a_dynamic_child_that_already_ended_is_ok() {
    let template = supervisor_core::ChildTemplate::new(|_ctx: Ctx, ()| async {}).restart(Restart::Temporary);
    let running = SupervisorSpec::dynamic("d", template).build().unwrap().start().await.unwrap();
    let d = running.handle().dynamic::<()>();
    let id = d.start_child(()).await.unwrap();
    settle().await;
    assert!(d.which_children().await.unwrap().is_empty());
    assert_eq!(d.terminate_child(&id).await, Ok(()));
    assert!(matches!(d.terminate_child("7").await, Err(ControlError::NotFound { .. })));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_temporary_dynamic_childs_arguments_are_handed_over_not_kept() {
    let template = supervisor_core::ChildTemplate::new(|ctx: Ctx, token: Arc<()>| async move {
        drop(token);
        ctx.cancelled().await;
    })
    .restart(Restart::Temporary);
    let running = SupervisorSpec::dynamic("d", template).build().unwrap().start().await.unwrap();
    let token = Arc::new(());
    running.handle().dynamic::<Arc<()>>().start_child(token.clone()).await.unwrap();
    settle().await;
    assert_eq!(Arc::strong_count(&token), 1, "the supervisor keeps no copy");
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn shutdown_zero_asks_then_aborts_at_once() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker_with("deaf", OnCancel::Ignore, None).shutdown(Shutdown::Timeout(Duration::ZERO))),
    )
    .await;
    let report = now(running.shutdown()).await.unwrap();
    let deaf = report.child("deaf").unwrap();
    assert_eq!((deaf.exit.clone(), deaf.stop_took), (Some(ExitReason::Aborted), Some(Duration::ZERO)));
}

fn ignoring(id: &'static str, waited: bool) -> ChildSpec {
    let spec = ChildSpec::worker(id, |ctx: Ctx| async move { ctx.ignore() });
    if waited { spec.wait_ready(MS(1000)) } else { spec }
}

#[tokio::test(start_paused = true)]
async fn a_start_that_answers_ignore_keeps_the_spec_and_starts_the_next_child() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::OneForAll)
            .child(ignoring("off", true))
            .child(ignoring("off_too", false))
            .child(ignoring("gone", true).restart(Restart::Temporary))
            .child(lab.worker("next")),
    )
    .await;
    settle().await;
    let handle = running.handle();
    let children = handle.which_children().await.unwrap();
    let states: Vec<_> = children.iter().map(|c| (c.id.to_string(), c.state)).collect();
    assert_eq!(
        states,
        [
            ("off".to_string(), ChildState::Ignored),
            ("off_too".to_string(), ChildState::Ignored),
            ("next".to_string(), ChildState::Running)
        ]
    );
    // Ignored is no exit: nothing was restarted, and restart_child tries again.
    assert_eq!(lab.take(), ["0 start next#0"]);
    now(handle.restart_child("off")).await.unwrap();
    assert_eq!(state(&handle.which_children().await.unwrap(), "off"), ChildState::Ignored);
    now(handle.delete_child("off")).await.unwrap();
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_start_that_answers_ignore_is_ok_and_leaves_no_child() {
    let template = supervisor_core::ChildTemplate::new(|ctx: Ctx, ()| async move { ctx.ignore() }).wait_ready(MS(1000));
    let running = SupervisorSpec::dynamic("d", template).build().unwrap().start().await.unwrap();
    let d = running.handle().dynamic::<()>();
    assert!(d.start_child(()).await.is_ok());
    assert!(d.which_children().await.unwrap().is_empty());
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_childs_spec_can_be_read_back() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app").child(lab.worker("a").restart(Restart::Transient).shutdown(Shutdown::Brutal)),
    )
    .await;
    let spec = now(running.handle().child_spec("a")).await.unwrap();
    assert_eq!((spec.id(), spec.restart_type(), spec.shutdown_setting()), ("a", Restart::Transient, Shutdown::Brutal));
    assert!(matches!(running.handle().child_spec("b").await, Err(ControlError::NotFound { .. })));
    // Read back, it starts like the original.
    running.handle().terminate_child("a").await.unwrap();
    running.handle().delete_child("a").await.unwrap();
    running.handle().start_child(spec).await.unwrap();
    assert_eq!(state(&running.handle().which_children().await.unwrap(), "a"), ChildState::Running);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_killed_incarnation_is_then_treated_by_its_restart_type() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::new(10, MS(1000)))
            .child(lab.worker_with("stuck", OnCancel::Ignore, None))
            .child(lab.worker("transient").restart(Restart::Transient))
            .child(lab.worker("temporary").restart(Restart::Temporary)),
    )
    .await;
    let handle = running.handle();
    for id in ["stuck", "transient", "temporary"] {
        now(handle.kill_child(id)).await.unwrap();
    }
    settle().await;
    let children = handle.which_children().await.unwrap();
    let seen: Vec<_> =
        children.iter().map(|c| (c.id.to_string(), c.state, c.generation, c.last_exit.clone())).collect();
    assert_eq!(
        seen,
        [
            ("stuck".to_string(), ChildState::Running, 1, Some(ExitReason::Killed)),
            ("transient".to_string(), ChildState::Running, 1, Some(ExitReason::Killed)),
        ]
    );
    assert_eq!(lab.max_live("stuck"), 1, "never two live incarnations");
    assert!(matches!(handle.kill_child("nobody").await, Err(ControlError::NotFound { .. })));
    handle.terminate_child("transient").await.unwrap();
    assert!(matches!(handle.kill_child("transient").await, Err(ControlError::NotRunning { .. })));
    handle.kill().await.unwrap();
    drop(running);
}

/// Every kind of work in progress, and a call made during each: all are
/// answered before time advances.
#[tokio::test(start_paused = true)]
async fn a_call_during_any_work_in_progress_is_answered_before_time_advances() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::RestForOne)
            .intensity(Intensity::unlimited())
            .child(lab.worker("trigger").backoff(Backoff::new(Duration::from_secs(30), Duration::from_secs(30))))
            .child(lab.worker_with("lingers", OnCancel::Linger(Duration::from_secs(10)), None))
            .child(
                lab.worker_with("readies", OnCancel::Stop, Some(Duration::from_secs(5)))
                    .wait_ready(Duration::from_secs(60)),
            ),
    )
    .await;
    let handle = running.handle();
    let calls = |handle: supervisor_core::SupervisorHandle| async move {
        let children = now(handle.which_children()).await.unwrap();
        now(handle.count_children()).await.unwrap();
        assert_eq!(now(handle.child_spec("lingers")).await.unwrap().id(), "lingers");
        assert!(now(handle.restart_child("trigger")).await.is_err());
        assert!(now(handle.delete_child("nobody")).await.is_err());
        children.iter().map(|c| c.state).collect::<Vec<_>>()
    };
    // A group restart: readies stops at once, lingers takes 10 s.
    lab.tell("trigger", Action::Fail("boom")).await;
    settle().await;
    let due = Instant::now() + Duration::from_secs(30);
    let restarting = ChildState::Restarting { at: due };
    assert_eq!(calls(handle.clone()).await, [restarting, ChildState::Stopping, restarting]);
    // Still waiting on that stop.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(calls(handle.clone()).await, [restarting, ChildState::Stopping, restarting]);
    // The stop is over; the backoff is not.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(calls(handle.clone()).await, [restarting, restarting, restarting]);
    // The group starts again at 30 s; readies takes 5 s to be ready.
    tokio::time::sleep(Duration::from_secs(18)).await;
    assert_eq!(calls(handle.clone()).await, [ChildState::Running, ChildState::Running, ChildState::Starting]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(calls(handle.clone()).await, [ChildState::Running; 3]);
    running.shutdown().await.unwrap();
}
