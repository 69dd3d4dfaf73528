//! Real-clock tests: what paused time could hide.

mod common;

use std::time::Duration;

use common::{Action, Lab, alive_tasks_return_to};
use supervisor_core::{Event, Intensity, Strategy, SupervisorSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_all_over_a_thousand_children_never_has_two_incarnations_of_one() {
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let lab = Lab::new();
    let ids: Vec<&'static str> = (0..1000).map(|i| &*Box::leak(format!("c{i}").into_boxed_str())).collect();
    let running = SupervisorSpec::builder("app")
        .strategy(Strategy::OneForAll)
        .intensity(Intensity::unlimited())
        // A group restart here is ~4,000 events; hold them all.
        .event_capacity(1 << 14)
        .children(ids.iter().map(|id| lab.worker(id)))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let mut events = running.subscribe();
    for round in 1..=20u64 {
        lab.tell("c500", Action::Fail("boom")).await;
        // Wait until the last child is back: the group restart is complete.
        loop {
            let event = tokio::time::timeout(Duration::from_secs(30), events.recv()).await.unwrap().unwrap();
            if let Event::ChildStarted { path, generation } = event {
                if &*path == "app/c999" && generation == round {
                    break;
                }
            }
        }
    }
    for id in &ids {
        assert_eq!(lab.max_live(id), 1, "{id} had two live incarnations");
    }
    running.shutdown().await.unwrap();
    for id in &ids {
        assert_eq!(lab.live(id), 0);
    }
    assert!(alive_tasks_return_to(baseline).await, "tasks left alive after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_blocking_its_thread_is_reported_not_ended_and_shutdown_stays_bounded() {
    use std::time::Instant;
    use supervisor_core::{ChildSpec, Ctx, ExitReason, Shutdown};

    let blocker = ChildSpec::worker("blocker", |_ctx: Ctx| async move {
        // Blocks its worker thread and never looks at its Ctx: no abort can
        // reach it until the sleep ends.
        std::thread::sleep(Duration::from_millis(1500));
    })
    .shutdown(Shutdown::Timeout(Duration::from_millis(100)));
    let polite = ChildSpec::worker("polite", |ctx: Ctx| async move { ctx.cancelled().await });
    let running = common::start(
        SupervisorSpec::builder("app").abort_grace(Duration::from_millis(200)).child(polite).child(blocker),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t0 = Instant::now();
    let report = running.shutdown().await.unwrap();
    let took = t0.elapsed();
    // 100 ms timeout + 200 ms grace, not the 1.5 s the child blocks for.
    assert!(took < Duration::from_millis(1000), "shutdown took {took:?}");
    assert_eq!(report.child("blocker").unwrap().exit, Some(ExitReason::NotEnded));
    assert_eq!(report.not_ended(), vec![std::sync::Arc::<str>::from("app/blocker")]);
    assert_eq!(report.child("polite").unwrap().exit, Some(ExitReason::Stopped));
}
