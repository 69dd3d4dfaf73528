//! Start, exactly as OTP: in declaration order, each once the one before it
//! has started; a failure stops those started, in reverse, and names the
//! child.

mod common;

use std::time::Duration;

use common::{Lab, OnCancel};
use supervisor_core::{ChildSpec, Ctx, ExitReason, StartError, SupervisorSpec};

const MS: fn(u64) -> Duration = Duration::from_millis;

#[tokio::test(start_paused = true)]
async fn start_returns_once_every_child_is_ready_each_after_the_one_before() {
    let lab = Lab::new();
    let spec = SupervisorSpec::builder("app")
        .child(lab.worker_with("db", OnCancel::Stop, Some(MS(300))).wait_ready(MS(1000)))
        .child(lab.worker_with("cache", OnCancel::Stop, Some(MS(200))).wait_ready(MS(1000)))
        .child(lab.worker("api"))
        .build()
        .unwrap();
    let running = spec.start().await.unwrap();
    assert_eq!(lab.ms(), 500);
    assert_eq!(lab.take(), ["0 start db#0", "300 start cache#0", "500 start api#0"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_child_failing_to_start_stops_those_started_in_reverse_and_is_named() {
    let lab = Lab::new();
    let broken = ChildSpec::worker("broken", |_ctx: Ctx| async move {
        tokio::time::sleep(MS(50)).await;
        Err::<(), _>("no such file")
    })
    .wait_ready(MS(1000));
    let spec = SupervisorSpec::builder("app")
        .child(lab.worker("a"))
        .child(lab.worker("b"))
        .child(broken)
        .child(lab.worker("never"))
        .build()
        .unwrap();
    let error = spec.start().await.unwrap_err();
    assert_eq!(
        error,
        StartError::ChildFailed { child: "app/broken".into(), reason: ExitReason::Failed("no such file".into()) }
    );
    assert_eq!(error.to_string(), "child `app/broken` failed to start: failed: no such file");
    assert_eq!(lab.take(), ["0 start a#0", "0 start b#0", "50 stop b#0", "50 stop a#0"]);
    assert_eq!(lab.live("a") + lab.live("b") + lab.live("never"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_child_not_ready_in_time_fails_the_start_at_its_timeout() {
    let lab = Lab::new();
    let spec = SupervisorSpec::builder("app")
        .child(lab.worker("a"))
        .child(lab.worker_with("slow", OnCancel::Ignore, Some(Duration::from_secs(3600))).wait_ready(MS(250)))
        .build()
        .unwrap();
    let error = spec.start().await.unwrap_err();
    assert_eq!(error, StartError::ReadyTimeout { child: "app/slow".into(), timeout: MS(250) });
    assert_eq!(lab.ms(), 250);
    assert_eq!(lab.take(), ["0 start a#0", "0 start slow#0", "250 dropped slow#0", "250 stop a#0"]);
}

#[tokio::test(start_paused = true)]
async fn a_child_that_starts_then_fails_at_once_is_a_restart_not_a_start_failure() {
    let lab = Lab::new();
    let flaky = ChildSpec::worker("flaky", |ctx: Ctx| async move {
        if ctx.generation() == 0 {
            Err("first run fails")
        } else {
            ctx.cancelled().await;
            Ok(())
        }
    });
    let spec = SupervisorSpec::builder("app").child(flaky).child(lab.worker("b")).build().unwrap();
    let running = spec.start().await.unwrap();
    let report = running.shutdown().await.unwrap();
    assert_eq!(report.child("flaky").unwrap().exit, Some(ExitReason::Stopped));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_start_future_stops_what_had_started() {
    let lab = Lab::new();
    let spec = SupervisorSpec::builder("app")
        .child(lab.worker("a"))
        .child(lab.worker_with("b", OnCancel::Stop, Some(Duration::from_secs(10))).wait_ready(Duration::from_secs(60)))
        .build()
        .unwrap();
    let outcome = tokio::time::timeout(MS(100), spec.start()).await;
    assert!(outcome.is_err(), "start was still waiting for b");
    tokio::time::sleep(MS(10)).await;
    assert_eq!(lab.live("a") + lab.live("b"), 0);
    assert_eq!(lab.take(), ["0 start a#0", "0 start b#0", "100 stop b#0", "100 stop a#0"]);
}

#[tokio::test(start_paused = true)]
async fn a_restart_that_fails_to_start_is_tried_again_as_a_whole_and_counted() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use supervisor_core::{Intensity, Strategy};

    let lab = Lab::new();
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = attempts.clone();
    // Becomes ready on every start but the second.
    let picky = ChildSpec::worker("picky", move |ctx: Ctx| {
        let attempt = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if attempt == 1 {
                return Err("not today");
            }
            ctx.ready();
            ctx.cancelled().await;
            Ok(())
        }
    })
    .wait_ready(MS(100));
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::OneForAll)
            .intensity(Intensity::new(2, Duration::from_secs(5)))
            .child(lab.worker("a"))
            .child(picky)
            .child(lab.worker("c")),
    )
    .await;
    let mut events = running.subscribe();
    lab.take();
    lab.tell("a", common::Action::Fail("boom")).await;
    tokio::time::sleep(MS(10)).await;
    // First restart: c stops, a starts, picky fails to start, so c is not
    // started; the failure is a second restart of the whole group.
    assert_eq!(lab.take(), ["0 fail a#0", "0 stop c#0", "0 start a#1", "0 stop a#1", "0 start a#2", "0 start c#1"]);
    let gave_up = common::drain(&mut events).iter().any(|e| e.starts_with("gave up"));
    assert!(!gave_up, "two restarts within a limit of two");
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    running.shutdown().await.unwrap();
}
