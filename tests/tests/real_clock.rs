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
