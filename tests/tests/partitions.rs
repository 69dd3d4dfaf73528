//! Partitioned dynamic supervisors: N loops under one name, children routed
//! by key (or round robin), counts, listings, snapshot, `max_children` and
//! shutdown over the whole, and a partition that gives up escalating like
//! any child.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::settle;
use supervisor_core::{
    ChildSpec, ChildTemplate, ControlError, Ctx, Event, Intensity, Restart, RunningSupervisor, SupervisorSpec,
};

/// Counts the children alive: up at start, down when the child's future is
/// dropped (returned or aborted).
#[derive(Clone, Default)]
struct Alive(Arc<AtomicUsize>);

struct Up(Arc<AtomicUsize>);

impl Drop for Up {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Alive {
    fn now(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// A connection: runs until asked to stop, or fails when its argument
    /// says so.
    fn template(&self, restart: Restart) -> ChildTemplate<&'static str> {
        let alive = self.0.clone();
        ChildTemplate::new(move |ctx: Ctx, what: &'static str| {
            alive.fetch_add(1, Ordering::SeqCst);
            let up = Up(alive.clone());
            async move {
                let _up = up;
                match what {
                    "fail" => Err("boom"),
                    "end" => Ok(()),
                    _ => {
                        ctx.cancelled().await;
                        Ok(())
                    }
                }
            }
        })
        .restart(restart)
    }
}

async fn conns(alive: &Alive, n: usize, max: Option<usize>) -> RunningSupervisor {
    let mut spec = SupervisorSpec::dynamic("conns", alive.template(Restart::Temporary)).partitions(n);
    if let Some(max) = max {
        spec = spec.max_children(max);
    }
    spec.build().unwrap().start().await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn keys_route_to_one_partition_every_time_and_unkeyed_starts_take_turns() {
    let alive = Alive::default();
    let (one, two) = (conns(&alive, 2, None).await, conns(&alive, 2, None).await);
    let (a, b) = (one.handle().dynamic::<&'static str>(), two.handle().dynamic::<&'static str>());
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..20 {
        let key = format!("10.0.0.{i}:5000");
        let id = a.start_child_keyed(&key, "run").await.unwrap();
        // The same key, another tree (another process would do the same):
        // the same partition.
        assert_eq!(b.start_child_keyed(&key, "run").await.unwrap(), id);
        let (partition, child) = id.split_once('/').unwrap();
        assert_eq!(child, key);
        seen.insert(partition.to_string());
        assert_eq!(a.find_keyed(&key).await.unwrap().map(|c| c.id), Some(id.clone()));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["p0", "p1"], "keys spread over both");
    // Unkeyed: round robin.
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(a.start_child("run").await.unwrap().split_once('/').unwrap().0.to_string());
    }
    assert_eq!(ids, ["p0", "p1", "p0", "p1"]);
    assert_eq!(a.count_children().await.unwrap().active, 24);
    assert_eq!(a.which_children().await.unwrap().len(), 24);
    one.shutdown().await.unwrap();
    two.shutdown().await.unwrap();
    assert_eq!(alive.now(), 0);
}

#[tokio::test(start_paused = true)]
async fn keyed_children_are_unique_terminated_by_key_and_freed_when_they_end() {
    let alive = Alive::default();
    let running = conns(&alive, 3, None).await;
    let conns = running.handle().dynamic::<&'static str>();
    let id = conns.start_child_keyed("session-7", "run").await.unwrap();
    let again = conns.start_child_keyed("session-7", "run").await;
    assert!(matches!(&again, Err(ControlError::AlreadyStarted { id: running }) if *running == id), "{again:?}");
    conns.terminate_child_keyed("session-7").await.unwrap();
    assert_eq!(conns.find_keyed("session-7").await.unwrap(), None);
    assert!(matches!(conns.terminate_child_keyed("session-7").await, Err(ControlError::NotFound { .. })));
    // A temporary child that ends frees its key.
    conns.start_child_keyed("short", "end").await.unwrap();
    settle().await;
    assert_eq!(conns.find_keyed("short").await.unwrap(), None);
    conns.start_child_keyed("short", "run").await.unwrap();
    // By id too, its partition first.
    let id = conns.start_child("run").await.unwrap();
    conns.terminate_child(&id).await.unwrap();
    assert!(matches!(conns.terminate_child("p9/1").await, Err(ControlError::NotFound { .. })));
    assert!(matches!(conns.terminate_child("nonsense").await, Err(ControlError::NotFound { .. })));
    running.shutdown().await.unwrap();
    assert_eq!(alive.now(), 0);
}

#[tokio::test(start_paused = true)]
async fn max_children_holds_for_the_whole_whatever_the_partitions() {
    let alive = Alive::default();
    let running = conns(&alive, 4, Some(3)).await;
    let conns = running.handle().dynamic::<&'static str>();
    for key in ["a", "b", "c"] {
        conns.start_child_keyed(key, "run").await.unwrap();
    }
    let full = conns.start_child("run").await;
    assert!(matches!(&full, Err(ControlError::Full { supervisor, max: 3 }) if &**supervisor == "conns"), "{full:?}");
    assert!(matches!(conns.start_child_keyed("d", "run").await, Err(ControlError::Full { .. })));
    // A place freed, by an end or a terminate, is there for any partition.
    conns.terminate_child_keyed("b").await.unwrap();
    conns.start_child("run").await.unwrap();
    assert_eq!(conns.count_children().await.unwrap().active, 3);
    // Starts from many callers at once never go over.
    conns.terminate_child_keyed("a").await.unwrap();
    conns.terminate_child_keyed("c").await.unwrap();
    let starts: Vec<_> = (0..20)
        .map(|_| {
            let conns = conns.clone();
            tokio::spawn(async move { conns.start_child("run").await.is_ok() })
        })
        .collect();
    let mut started = 0;
    for start in starts {
        started += usize::from(start.await.unwrap());
    }
    assert_eq!((started, alive.now()), (2, 3));
    running.shutdown().await.unwrap();
    assert_eq!(alive.now(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_shows_every_partition_and_shutdown_stops_them_all() {
    let alive = Alive::default();
    let spec = SupervisorSpec::dynamic("conns", alive.template(Restart::Temporary)).partitions(3).build().unwrap();
    let running =
        SupervisorSpec::builder("app").child(ChildSpec::supervisor(spec)).build().unwrap().start().await.unwrap();
    let conns = running.handle().nested("conns").dynamic::<&'static str>();
    for _ in 0..9 {
        conns.start_child("run").await.unwrap();
    }
    let tree = running.handle().tree().await.unwrap();
    let whole = tree.children[0].supervisor.as_ref().unwrap();
    let partitions: Vec<(&str, bool, usize)> = whole
        .children
        .iter()
        .map(|p| (&*p.path, p.supervisor.as_ref().unwrap().dynamic, p.supervisor.as_ref().unwrap().children.len()))
        .collect();
    assert_eq!(partitions, [("app/conns/p0", true, 3), ("app/conns/p1", true, 3), ("app/conns/p2", true, 3)]);
    assert_eq!(alive.now(), 9);
    let report = running.shutdown().await.unwrap();
    assert!(report.not_ended().is_empty());
    assert_eq!(alive.now(), 0, "no child alive after shutdown");
}

#[tokio::test(start_paused = true)]
async fn a_partition_that_gives_up_is_restarted_then_escalates_like_any_child() {
    let alive = Alive::default();
    let spec = SupervisorSpec::dynamic("conns", alive.template(Restart::Permanent))
        .partitions(2)
        .intensity(Intensity::new(0, Duration::from_secs(5)))
        .build()
        .unwrap();
    let tree = SupervisorSpec::builder("app")
        .intensity(Intensity::new(0, Duration::from_secs(5)))
        .child(ChildSpec::supervisor(spec))
        .build()
        .unwrap();
    let mut events = tree.subscribe();
    let running = tree.start().await.unwrap();
    let conns = running.handle().nested("conns").dynamic::<&'static str>();
    conns.start_child_keyed("steady", "run").await.unwrap();
    // A child that fails once is too many for its partition: the partition
    // gives up, and the whole starts it again, empty.
    let _ = conns.start_child("fail").await;
    settle().await;
    let gave_up = |events: &mut supervisor_core::EventReceiver| {
        let mut who = Vec::new();
        while let Ok(event) = events.try_recv() {
            if let Event::IntensityExceeded { supervisor, .. } = event {
                who.push(supervisor.to_string());
            }
        }
        who
    };
    let first = gave_up(&mut events);
    assert!(matches!(&first[..], [p] if p.starts_with("app/conns/p")), "{first:?}");
    // The handle finds the new partition: starts go on.
    conns.start_child("run").await.unwrap();
    conns.start_child("run").await.unwrap();
    // A second give-up within the whole's intensity: the whole gives up,
    // and its parent (intensity 0) with it.
    let _ = conns.start_child("fail").await;
    settle().await;
    let who = gave_up(&mut events);
    assert!(
        matches!(&who[..], [p, whole, top] if p.starts_with("app/conns/p") && whole == "app/conns" && top == "app"),
        "{who:?}"
    );
    assert!(running.handle().wait().await.is_err(), "the escalation reached the top");
    assert_eq!(alive.now(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_unkeyed_start_skips_a_partition_that_is_not_running_and_a_keyed_one_is_told() {
    let alive = Alive::default();
    let running = conns(&alive, 3, None).await;
    let conns = running.handle().dynamic::<&'static str>();
    // Every partition known to the handle, then one stopped under it.
    for _ in 0..3 {
        conns.start_child("run").await.unwrap();
    }
    running.handle().terminate_child("p1").await.unwrap();
    let mut turns = Vec::new();
    for _ in 0..4 {
        turns.push(conns.start_child("run").await.unwrap().split_once('/').unwrap().0.to_string());
    }
    assert_eq!(turns, ["p0", "p2", "p2", "p0"], "p1's turns pass to the next");
    // A key of p1 has nowhere else to go: a typed error, nothing started.
    let key = (0..).map(|i| format!("k{i}")).find(|k| partition_of(k) == "p1").unwrap();
    let refused = conns.start_child_keyed(&key, "run").await;
    assert!(matches!(&refused, Err(ControlError::NotASupervisor { path }) if **path == *"conns/p1"), "{refused:?}");
    assert_eq!(alive.now(), 6);
    // Started again, it takes its turns again.
    running.handle().restart_child("p1").await.unwrap();
    assert_eq!(&*conns.start_child_keyed(&key, "run").await.unwrap(), format!("p1/{key}"));
    running.shutdown().await.unwrap();
    assert_eq!(alive.now(), 0);
}

/// The partition (of 3) a key goes to: FNV-1a of its text, as documented.
fn partition_of(key: &str) -> String {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("p{}", hash % 3)
}

#[tokio::test]
async fn zero_partitions_is_a_spec_error() {
    let alive = Alive::default();
    let error = SupervisorSpec::dynamic("conns", alive.template(Restart::Temporary)).partitions(0).build().unwrap_err();
    assert_eq!(error.to_string(), "dynamic supervisor `conns` has 0 partitions: give it at least 1");
}

#[tokio::test(start_paused = true)]
async fn every_handle_shares_the_round_robin_and_each_start_of_a_spec_has_its_own_limit() {
    let alive = Alive::default();
    // A fresh handle per call, as code that holds no handle writes it:
    // still p0, p1, p0.
    let running = conns(&alive, 2, None).await;
    let mut turns = Vec::new();
    for _ in 0..3 {
        let id = running.handle().dynamic::<&'static str>().start_child("run").await.unwrap();
        turns.push(id.split_once('/').unwrap().0.to_string());
    }
    assert_eq!(turns, ["p0", "p1", "p0"]);
    // The whole takes no other children than its partitions.
    let other = ChildSpec::worker("stray", |ctx: Ctx| async move { ctx.cancelled().await });
    assert!(matches!(running.handle().start_child(other).await, Err(ControlError::Unsupported { .. })));
    running.shutdown().await.unwrap();

    // Two trees started from one spec: each has its own limit.
    let spec = SupervisorSpec::dynamic("conns", alive.template(Restart::Temporary))
        .partitions(2)
        .max_children(1)
        .build()
        .unwrap();
    let (one, two) = (spec.clone().start().await.unwrap(), spec.start().await.unwrap());
    one.handle().dynamic::<&'static str>().start_child("run").await.unwrap();
    assert!(matches!(one.handle().dynamic::<&'static str>().start_child("run").await, Err(ControlError::Full { .. })));
    two.handle().dynamic::<&'static str>().start_child("run").await.unwrap();
    one.shutdown().await.unwrap();
    two.shutdown().await.unwrap();
    assert_eq!(alive.now(), 0);
}
