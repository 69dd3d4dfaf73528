//! The `metrics` feature: restarts, exits by reason and running children,
//! registered at zero as soon as a child is declared.

mod common;

use common::{Action, Lab, settle};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use supervisor_core::{Intensity, SupervisorSpec};

fn value(snapshotter: &Snapshotter, name: &str, labels: &[(&str, &str)]) -> Option<DebugValue> {
    snapshotter.snapshot().into_vec().into_iter().find_map(|(key, _, _, value)| {
        let key = key.key();
        let matches =
            key.name() == name && labels.iter().all(|(k, v)| key.labels().any(|l| l.key() == *k && l.value() == *v));
        matches.then_some(value)
    })
}

#[tokio::test(start_paused = true)]
async fn series_exist_at_zero_then_count_restarts_exits_and_running_children() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("m")
            .intensity(Intensity::new(5, std::time::Duration::from_secs(1)))
            .child(lab.worker("a"))
            .child(lab.worker("b")),
    )
    .await;
    let restarts = || value(&snapshotter, "supervisor_restarts_total", &[("path", "m/b")]);
    let failed = || value(&snapshotter, "supervisor_child_exits_total", &[("path", "m/b"), ("reason", "failed")]);
    let panicked = || value(&snapshotter, "supervisor_child_exits_total", &[("path", "m/a"), ("reason", "panicked")]);
    let running_children = || value(&snapshotter, "supervisor_running_children", &[("supervisor", "m")]);

    assert_eq!(restarts(), Some(DebugValue::Counter(0)), "registered at zero");
    assert_eq!(panicked(), Some(DebugValue::Counter(0)), "registered at zero");
    assert_eq!(running_children(), Some(DebugValue::Gauge(2.0.into())));

    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    lab.tell("b", Action::Fail("boom")).await;
    settle().await;
    assert_eq!(restarts(), Some(DebugValue::Counter(2)));
    assert_eq!(failed(), Some(DebugValue::Counter(2)));
    assert_eq!(running_children(), Some(DebugValue::Gauge(2.0.into())));

    running.shutdown().await.unwrap();
    assert_eq!(running_children(), Some(DebugValue::Gauge(0.0.into())));
    assert_eq!(
        value(&snapshotter, "supervisor_child_exits_total", &[("path", "m/a"), ("reason", "stopped")]),
        Some(DebugValue::Counter(1))
    );
}
