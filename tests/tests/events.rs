//! Typed events on a bounded broadcast channel, and tracing spans.

mod common;

use common::{Action, Lab, drain, settle};
use supervisor_core::RecvError;
use supervisor_core::{ChildSpec, Intensity, SupervisorSpec};

#[tokio::test(start_paused = true)]
async fn a_restart_is_exited_then_restart_scheduled_then_started() {
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("workers").child(lab.worker("ingest")).build().unwrap();
    let running = common::start(SupervisorSpec::builder("app").child(ChildSpec::supervisor(inner))).await;
    let mut events = running.subscribe();
    lab.tell("ingest", Action::Fail("broken pipe")).await;
    settle().await;
    assert_eq!(
        drain(&mut events),
        [
            "exited app/workers/ingest#0 failed: broken pipe",
            "restart app/workers/ingest#1 in 0ms",
            "started app/workers/ingest#1",
        ]
    );
    running.shutdown().await.unwrap();
    assert_eq!(
        drain(&mut events),
        [
            "stopped app/workers/ingest#1 stopped after 0ms",
            "supervisor stopped app/workers",
            "stopped app/workers#0 stopped after 0ms",
            "supervisor stopped app",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_subscriber_lags_is_told_how_much_and_never_slows_the_tree() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app").intensity(Intensity::unlimited()).event_capacity(4).child(lab.worker("w")),
    )
    .await;
    let mut slow = running.subscribe();
    // Ten restarts: thirty events, never read meanwhile.
    for _ in 0..10 {
        lab.tell("w", Action::Fail("boom")).await;
        settle().await;
    }
    assert_eq!(running.handle().which_children().await.unwrap()[0].generation, 10);
    assert_eq!(slow.recv().await, Err(RecvError::Lagged(26)));
    // The four newest are still there, in order.
    let rest: Vec<_> = std::iter::from_fn(|| slow.try_recv().ok()).map(|e| e.to_string()).collect();
    assert_eq!(rest, ["started app/w#9", "exited app/w#9 failed: boom", "restart app/w#10 in 0ms", "started app/w#10"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_subscriber_loop_ends_by_itself_once_the_tree_has_stopped_with_handles_alive() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("a")).child(lab.worker("b"))).await;
    let handle = running.handle();
    let mut events = running.subscribe();
    let printer = tokio::spawn(async move {
        let mut seen = Vec::new();
        loop {
            match events.recv().await {
                Ok(event) => seen.push(event.to_string()),
                Err(supervisor_core::RecvError::Lagged(_)) => continue,
                Err(supervisor_core::RecvError::Closed) => return seen,
            }
        }
    });
    running.shutdown().await.unwrap();
    // `handle` is still alive, and the loop above still ends.
    let seen = tokio::time::timeout(std::time::Duration::from_secs(3600), printer).await;
    let seen = seen.expect("the subscriber loop never ended").unwrap();
    assert_eq!(
        seen,
        ["stopped app/b#0 stopped after 0ms", "stopped app/a#0 stopped after 0ms", "supervisor stopped app"]
    );
    // A handle that outlives its tree: calls fail at once, and a new
    // subscription is closed already.
    assert!(handle.which_children().await.is_err());
    assert!(matches!(handle.subscribe().recv().await, Err(supervisor_core::RecvError::Closed)));
}
