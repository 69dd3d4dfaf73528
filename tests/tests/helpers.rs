//! A child's own tasks (`ctx.spawn`): they end with their incarnation,
//! whatever ends it, within the child's shutdown setting, and a failing
//! helper fails its incarnation. Live tasks are counted with the runtime's
//! own metrics.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{alive_tasks_return_to, settle};
use supervisor_core::{ChildSpec, ChildState, Ctx, ExitReason, Intensity, Restart, Shutdown, SupervisorSpec};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Keeps a panicking helper's body of type `()` (a body of type `!` is not
/// yet a `ChildReturn`).
fn ctx_is_done() -> bool {
    false
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Counts itself alive while its future is.
#[derive(Clone, Default)]
struct Count(Arc<AtomicUsize>);

struct Counted(Count);

impl Count {
    fn enter(&self) -> Counted {
        self.0.fetch_add(1, Ordering::SeqCst);
        Counted(self.clone())
    }
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A child that spawns two helpers which wait for their incarnation to
/// end; the first incarnation then fails on its own.
fn with_two_helpers(helpers: &Count) -> ChildSpec {
    let helpers = helpers.clone();
    ChildSpec::worker("w", move |ctx: Ctx| {
        let helpers = helpers.clone();
        async move {
            for name in ["reader", "writer"] {
                let (counted, ctx2) = (helpers.enter(), ctx.clone());
                ctx.spawn_named(name, async move {
                    let _counted = counted;
                    ctx2.cancelled().await;
                });
            }
            if ctx.generation() == 0 {
                tokio::time::sleep(MS(10)).await;
                return Err("first run fails");
            }
            ctx.cancelled().await;
            Ok(())
        }
    })
}

#[tokio::test(start_paused = true)]
async fn helpers_end_with_their_incarnation_on_restart_stop_and_shutdown() {
    let baseline = alive_tasks();
    let helpers = Count::default();
    let running = common::start(
        SupervisorSpec::builder("app").intensity(Intensity::new(10, MS(1000))).child(with_two_helpers(&helpers)),
    )
    .await;
    settle().await;
    // The loop, the child, two helpers.
    assert_eq!((helpers.get(), alive_tasks()), (2, baseline + 4));
    // The first incarnation fails on its own: its helpers end with it.
    tokio::time::sleep(MS(20)).await;
    settle().await;
    let children = running.handle().which_children().await.unwrap();
    assert_eq!((children[0].generation, children[0].state), (1, ChildState::Running));
    assert_eq!(children[0].last_exit, Some(ExitReason::Failed("first run fails".into())));
    assert_eq!((helpers.get(), alive_tasks()), (2, baseline + 4), "only the new incarnation's helpers");
    // A stop takes its helpers down.
    running.handle().terminate_child("w").await.unwrap();
    assert_eq!(helpers.get(), 0);
    assert!(alive_tasks_return_to(baseline + 1).await, "only the loop is left");
    running.handle().restart_child("w").await.unwrap();
    settle().await;
    assert_eq!(helpers.get(), 2);
    // So does an abort from outside; the child then comes back with new ones.
    running.handle().kill_child("w").await.unwrap();
    settle().await;
    assert_eq!(running.handle().which_children().await.unwrap()[0].last_exit, Some(ExitReason::Killed));
    assert_eq!((helpers.get(), alive_tasks()), (2, baseline + 4));
    // And so does the tree's shutdown.
    running.shutdown().await.unwrap();
    assert_eq!(helpers.get(), 0);
    assert!(alive_tasks_return_to(baseline).await);
}

#[tokio::test(start_paused = true)]
async fn a_helper_that_panics_fails_its_incarnation_and_takes_its_siblings_down() {
    let baseline = alive_tasks();
    let helpers = Count::default();
    let counted = helpers.clone();
    let child = ChildSpec::worker("w", move |ctx: Ctx| {
        let helpers = counted.clone();
        async move {
            let (sibling, ctx2) = (helpers.enter(), ctx.clone());
            ctx.spawn_named("sibling", async move {
                let _sibling = sibling;
                ctx2.cancelled().await;
            });
            if ctx.generation() == 0 {
                ctx.spawn_named("parser", async {
                    tokio::time::sleep(MS(5)).await;
                    if ctx_is_done() {
                        return;
                    }
                    panic!("bad frame")
                });
            }
            ctx.cancelled().await;
        }
    });
    let running = common::start(SupervisorSpec::builder("app").child(child)).await;
    tokio::time::sleep(MS(10)).await;
    settle().await;
    let children = running.handle().which_children().await.unwrap();
    assert_eq!(children[0].generation, 1, "restarted after its helper's panic");
    assert_eq!(children[0].last_exit, Some(ExitReason::Panicked("helper `parser` panicked: bad frame".into())));
    assert_eq!(helpers.get(), 1, "the first sibling ended with its incarnation");
    running.shutdown().await.unwrap();
    assert!(alive_tasks_return_to(baseline).await);
}

#[tokio::test(start_paused = true)]
async fn a_helper_that_returns_an_error_fails_its_incarnation_by_name() {
    let child = ChildSpec::worker("w", |ctx: Ctx| async move {
        ctx.spawn(async { Err::<(), _>("disk full") });
        ctx.cancelled().await;
    })
    .restart(Restart::Temporary);
    let mut events = SupervisorSpec::builder("app").child(child.clone()).build().unwrap().subscribe();
    let spec = SupervisorSpec::builder("app").child(child).build().unwrap();
    let mut events2 = spec.subscribe();
    let running = spec.start().await.unwrap();
    settle().await;
    let lines = common::drain(&mut events2);
    assert!(lines.contains(&"exited app/w#0 failed: helper `helper-1` failed: disk full".to_string()), "{lines:?}");
    assert!(common::drain(&mut events).is_empty(), "a spec's subscription sees only its own start");
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_token_of_an_incarnation_is_cancelled_when_it_ends_whatever_the_cause() {
    let tokens = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = tokens.clone();
    let child = ChildSpec::worker("w", move |ctx: Ctx| {
        kept.lock().unwrap().push(ctx.token());
        async move {
            if ctx.generation() < 5 {
                return Err("crash");
            }
            ctx.cancelled().await;
            Ok(())
        }
    });
    let running =
        common::start(SupervisorSpec::builder("app").intensity(Intensity::new(10, MS(1000))).child(child)).await;
    settle().await;
    let cancelled: Vec<bool> = tokens.lock().unwrap().iter().map(|t| t.is_cancelled()).collect();
    assert_eq!(cancelled, [true, true, true, true, true, false], "five ended incarnations, one running");
    running.shutdown().await.unwrap();
    assert!(tokens.lock().unwrap().iter().all(|t| t.is_cancelled()));
}

#[tokio::test(start_paused = true)]
async fn a_helper_that_ignores_cancellation_is_aborted_at_the_childs_deadline() {
    let baseline = alive_tasks();
    let helpers = Count::default();
    let counted = helpers.clone();
    let child = ChildSpec::worker("w", move |ctx: Ctx| {
        let counted = counted.enter();
        async move {
            ctx.spawn_named("deaf", async move {
                let _counted = counted;
                std::future::pending::<()>().await;
            });
            ctx.cancelled().await;
        }
    })
    .shutdown(Shutdown::Timeout(MS(1000)));
    let running = common::start(SupervisorSpec::builder("app").child(child)).await;
    let mut events = running.subscribe();
    running.handle().terminate_child("w").await.unwrap();
    assert_eq!(common::drain(&mut events), ["stopped app/w#0 aborted after 1000ms"]);
    assert_eq!(helpers.get(), 0);
    // A child that ends on its own is held to the same deadline.
    running.handle().restart_child("w").await.unwrap();
    running.shutdown().await.unwrap();
    assert!(alive_tasks_return_to(baseline).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_helper_is_reported_as_not_ended_and_shutdown_keeps_its_bound() {
    let ended = Arc::new(AtomicBool::new(false));
    let flag = ended.clone();
    let child = ChildSpec::worker("w", move |ctx: Ctx| {
        let flag = flag.clone();
        async move {
            // Blocking code that never looks at its Ctx.
            ctx.spawn_blocking("cruncher", move || {
                std::thread::sleep(Duration::from_millis(1500));
                flag.store(true, Ordering::SeqCst);
            });
            ctx.cancelled().await;
        }
    })
    .shutdown(Shutdown::Timeout(MS(50)));
    let spec = SupervisorSpec::builder("app").abort_grace(MS(100)).child(child).build().unwrap();
    let running = spec.start().await.unwrap();
    let report = running.shutdown().await.unwrap();
    assert!(!ended.load(Ordering::SeqCst), "shutdown returned while the blocking helper still ran");
    assert_eq!(report.child("w").unwrap().exit, Some(ExitReason::NotEnded));
    assert_eq!(report.not_ended(), [Arc::<str>::from("app/w"), Arc::from("app/w/cruncher")]);
}

#[tokio::test(start_paused = true)]
async fn a_child_that_ends_on_its_own_waits_for_its_helpers_within_its_shutdown_setting() {
    let baseline = alive_tasks();
    let child = ChildSpec::worker("w", |ctx: Ctx| async move {
        if ctx.generation() == 0 {
            ctx.spawn_named("deaf", std::future::pending::<()>());
            tokio::time::sleep(MS(10)).await;
            return Err("gave up");
        }
        ctx.cancelled().await;
        Ok(())
    })
    .shutdown(Shutdown::Timeout(MS(300)));
    let running = common::start(SupervisorSpec::builder("app").child(child)).await;
    let mut events = running.subscribe();
    tokio::time::sleep(MS(309)).await;
    assert!(common::drain(&mut events).is_empty(), "still waiting for its helper");
    tokio::time::sleep(MS(1)).await;
    settle().await;
    // Its own exit, once its helper was aborted at the deadline.
    assert_eq!(
        common::drain(&mut events),
        ["exited app/w#0 failed: gave up", "restart app/w#1 in 0ms", "started app/w#1"]
    );
    running.shutdown().await.unwrap();
    assert!(alive_tasks_return_to(baseline).await);
}
