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
