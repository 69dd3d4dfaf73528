//! Backoff between restarts: exponential, jittered from a seedable source,
//! reset after a stable run, and never holding up anything else.

mod common;

use std::time::Duration;

use common::{Action, Lab, drain, settle};
use supervisor_core::{Backoff, Intensity, Strategy, SupervisorSpec};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Fails `w` as soon as it starts, `n` times, and returns the times (ms) at
/// which it started.
async fn start_times(backoff: Backoff, seed: u64, n: usize) -> Vec<u128> {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::unlimited())
            .jitter_seed(seed)
            .child(lab.worker("w").backoff(backoff)),
    )
    .await;
    let mut starts = vec![0];
    let mut events = running.subscribe();
    for _ in 0..n {
        lab.tell("w", Action::Fail("boom")).await;
        loop {
            match events.recv().await.unwrap() {
                supervisor_core::Event::ChildStarted { .. } => break,
                _ => continue,
            }
        }
        starts.push(lab.ms());
    }
    running.shutdown().await.unwrap();
    starts
}

#[tokio::test(start_paused = true)]
async fn delays_double_from_min_to_max_to_the_millisecond() {
    let times = start_times(Backoff::new(MS(100), MS(1000)), 1, 6).await;
    // Each failure happens at the start; delays 100, 200, 400, 800, 1000, 1000.
    assert_eq!(times, [0, 100, 300, 700, 1500, 2500, 3500]);
}

#[tokio::test(start_paused = true)]
async fn jitter_is_exact_for_a_seed_and_stays_within_its_bound() {
    let backoff = Backoff::new(MS(100), MS(1000)).jitter(0.5);
    let first = start_times(backoff, 42, 8).await;
    let again = start_times(backoff, 42, 8).await;
    let other = start_times(backoff, 43, 8).await;
    assert_eq!(first, again, "the same seed gives the same delays");
    assert_ne!(first, other, "another seed gives other delays");
    let bases = [100u128, 200, 400, 800, 1000, 1000, 1000, 1000];
    for (window, base) in first.windows(2).zip(bases) {
        let delay = window[1] - window[0];
        assert!(delay >= base && delay <= base * 3 / 2, "delay {delay} for base {base}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_delay_resets_after_a_stable_run() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::unlimited())
            .child(lab.worker("w").backoff(Backoff::new(MS(100), MS(10_000)).reset_after(MS(2000)))),
    )
    .await;
    let mut events = running.subscribe();
    lab.tell("w", Action::Fail("boom")).await;
    tokio::time::sleep(MS(150)).await;
    lab.tell("w", Action::Fail("boom")).await;
    tokio::time::sleep(MS(250)).await;
    // It has now been running 50 ms; the next delay is 400 ms.
    lab.tell("w", Action::Fail("boom")).await;
    tokio::time::sleep(MS(2500)).await;
    // Ran 2 s after its restart: stable, so back to 100 ms.
    lab.tell("w", Action::Fail("boom")).await;
    settle().await;
    let delays: Vec<String> = drain(&mut events).into_iter().filter(|e| e.starts_with("restart")).collect();
    assert_eq!(
        delays,
        [
            "restart app/w#1 in 100ms",
            "restart app/w#2 in 200ms",
            "restart app/w#3 in 400ms",
            "restart app/w#4 in 100ms"
        ]
    );
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_backoff_delay_holds_up_no_other_child() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::unlimited())
            .child(lab.worker("slow").backoff(Backoff::new(Duration::from_secs(10), Duration::from_secs(10))))
            .child(lab.worker("fast")),
    )
    .await;
    lab.take();
    lab.tell("slow", Action::Fail("boom")).await;
    tokio::time::sleep(MS(1000)).await;
    lab.tell("fast", Action::Fail("boom")).await;
    tokio::time::sleep(MS(10_000)).await;
    assert_eq!(lab.take(), ["0 fail slow#0", "1000 fail fast#0", "1000 start fast#1", "10000 start slow#1"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_group_restart_waits_out_the_failed_childs_delay_once() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .strategy(Strategy::OneForAll)
            .child(lab.worker("a"))
            .child(lab.worker("b").backoff(Backoff::new(MS(500), MS(500)))),
    )
    .await;
    lab.take();
    lab.tell("b", Action::Fail("boom")).await;
    tokio::time::sleep(MS(1000)).await;
    assert_eq!(lab.take(), ["0 fail b#0", "0 stop a#0", "500 start a#1", "500 start b#1"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_backoff_delay_cancels_the_restart() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("w").backoff(Backoff::new(Duration::from_secs(60), Duration::from_secs(60)))),
    )
    .await;
    lab.tell("w", Action::Fail("boom")).await;
    tokio::time::sleep(MS(10)).await;
    let report = running.shutdown().await.unwrap();
    assert_eq!(lab.ms(), 10, "shutdown did not wait for the delay");
    assert_eq!(report.child("w").unwrap().stop_took, None, "it was not running");
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(lab.take(), ["0 start w#0", "0 fail w#0"]);
}
