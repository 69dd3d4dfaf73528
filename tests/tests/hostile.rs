//! Hostile runs: random trees whose children sabotage their own starts
//! (they fail before they are ready, take their time, answer *ignore*, or
//! their factory panics), run helpers (`ctx.spawn`, one of which may fail
//! its incarnation), are killed and fail at random, with every control
//! call interleaved. Whatever happens, the tree keeps its promises:
//!
//! - no child ever has two live incarnations;
//! - every call is answered, and one that waits for no child's start
//!   (queries, kill, delete, terminate: these children stop at once) is
//!   answered before time advances;
//! - when shutdown returns, no task of the tree is alive.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use supervisor_core::{ChildSpec, Ctx, Intensity, Restart, Strategy as Plan, SupervisorHandle, SupervisorSpec};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Longer than any call can rightly take here: a call still unanswered
/// then has hung.
const HANG: Duration = Duration::from_secs(3600);
/// How long a sabotaged child may take to be ready (its ready timeout is
/// longer, so it does not time out).
const SLOWEST: u64 = 2000;
const READY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
struct Shape {
    strategy: Plan,
    max: u32,
    children: Vec<Kid>,
}

#[derive(Clone, Debug)]
struct Kid {
    restart: Restart,
    nested: Option<Shape>,
}

fn restart_type() -> impl Strategy<Value = Restart> {
    prop_oneof![Just(Restart::Permanent), Just(Restart::Transient), Just(Restart::Temporary)]
}

fn shape(depth: u32) -> BoxedStrategy<Shape> {
    let strategy = prop_oneof![Just(Plan::OneForOne), Just(Plan::OneForAll), Just(Plan::RestForOne)];
    let kid = if depth == 0 {
        restart_type().prop_map(|restart| Kid { restart, nested: None }).boxed()
    } else {
        prop_oneof![
            3 => restart_type().prop_map(|restart| Kid { restart, nested: None }),
            1 => (restart_type(), shape(depth - 1)).prop_map(|(restart, s)| Kid { restart, nested: Some(s) }),
        ]
        .boxed()
    };
    (strategy, 1u32..12, prop::collection::vec(kid, 1..4))
        .prop_map(|(strategy, max, children)| Shape { strategy, max, children })
        .boxed()
}

/// What a child does on its next start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    FailStart,
    Slow(u64),
    Ignore,
    PanicFactory,
    /// Its helper fails a while after the start, failing the incarnation.
    HelperFails(u64),
}

#[derive(Clone, Copy, Debug)]
enum Exit {
    Return,
    Fail,
    Panic,
}

/// Targets are indices, taken modulo what exists at that moment.
#[derive(Clone, Debug)]
enum Step {
    Sabotage(usize, Fault),
    Exit(usize, Exit),
    Advance(u64),
    Kill(usize),
    Terminate(usize),
    Restart(usize),
    Delete(usize),
    Add(usize),
    Query(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let fault = prop_oneof![
        Just(Fault::FailStart),
        (1u64..SLOWEST).prop_map(Fault::Slow),
        Just(Fault::Ignore),
        Just(Fault::PanicFactory),
        (1u64..SLOWEST).prop_map(Fault::HelperFails),
    ];
    let exit = prop_oneof![Just(Exit::Return), Just(Exit::Fail), Just(Exit::Panic)];
    prop_oneof![
        3 => (any::<usize>(), fault).prop_map(|(i, f)| Step::Sabotage(i, f)),
        3 => (any::<usize>(), exit).prop_map(|(i, e)| Step::Exit(i, e)),
        2 => prop_oneof![Just(0u64), 1u64..3000].prop_map(Step::Advance),
        2 => any::<usize>().prop_map(Step::Kill),
        1 => any::<usize>().prop_map(Step::Terminate),
        1 => any::<usize>().prop_map(Step::Restart),
        1 => any::<usize>().prop_map(Step::Delete),
        1 => any::<usize>().prop_map(Step::Add),
        1 => any::<usize>().prop_map(Step::Query),
    ]
}

/// What the children share with the test: their faults, their controls,
/// and how many incarnations of each are alive.
#[derive(Clone, Default)]
struct World {
    faults: Arc<Mutex<HashMap<String, Fault>>>,
    controls: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Exit>>>>,
    live: Arc<Mutex<HashMap<String, (usize, usize)>>>,
    /// Every worker path the tree has declared, and supervisor paths.
    workers: Arc<Mutex<Vec<String>>>,
    supervisors: Arc<Mutex<Vec<String>>>,
}

/// Counts an incarnation alive for as long as its future is.
struct Alive {
    world: World,
    path: String,
}

impl Alive {
    fn new(world: &World, path: &str) -> Alive {
        let mut live = world.live.lock().unwrap();
        let entry = live.entry(path.to_string()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(entry.0);
        Alive { world: world.clone(), path: path.to_string() }
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        if let Some(entry) = self.world.live.lock().unwrap().get_mut(&self.path) {
            entry.0 -= 1;
        }
    }
}

impl World {
    fn worker(&self, path: String, id: String) -> ChildSpec {
        self.workers.lock().unwrap().push(path.clone());
        let world = self.clone();
        ChildSpec::worker(id, move |ctx: Ctx| {
            let fault = world.faults.lock().unwrap().remove(ctx.path());
            if fault == Some(Fault::PanicFactory) {
                panic!("hostile: the factory panicked");
            }
            let world = world.clone();
            async move {
                let _alive = Alive::new(&world, ctx.path());
                // Every incarnation has a helper; it ends with it.
                let (helper, own) = (Alive::new(&world, &format!("{}/helper", ctx.path())), ctx.clone());
                let helper_fails = match fault {
                    Some(Fault::HelperFails(ms)) => Some(Duration::from_millis(ms)),
                    _ => None,
                };
                ctx.spawn_named("helper", async move {
                    let _helper = helper;
                    match helper_fails {
                        Some(after) => tokio::select! {
                            () = own.cancelled() => Ok(()),
                            () = tokio::time::sleep(after) => Err("hostile: helper failed"),
                        },
                        None => {
                            own.cancelled().await;
                            Ok(())
                        }
                    }
                });
                match fault {
                    Some(Fault::FailStart) => return Err("hostile: no connection".to_string()),
                    Some(Fault::Ignore) => {
                        ctx.ignore();
                        return Ok(());
                    }
                    Some(Fault::Slow(ms)) => tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(ms)) => {}
                        () = ctx.cancelled() => return Ok(()),
                    },
                    _ => {}
                }
                let (tx, mut rx) = mpsc::unbounded_channel();
                world.controls.lock().unwrap().insert(ctx.path().to_string(), tx);
                ctx.ready();
                tokio::select! {
                    exit = rx.recv() => match exit {
                        Some(Exit::Fail) => Err("hostile: failed".to_string()),
                        Some(Exit::Panic) => panic!("hostile: panicked"),
                        _ => Ok(()),
                    },
                    () = ctx.cancelled() => Ok(()),
                }
            }
        })
        .wait_ready(READY_TIMEOUT)
    }

    fn spec(&self, path: &str, name: &str, shape: &Shape) -> SupervisorSpec {
        self.supervisors.lock().unwrap().push(path.to_string());
        let children = shape.children.iter().enumerate().map(|(i, kid)| {
            let id = format!("c{i}");
            let child_path = format!("{path}/{id}");
            let spec = match &kid.nested {
                None => self.worker(child_path, id),
                Some(nested) => ChildSpec::supervisor(self.spec(&child_path, &id, nested)),
            };
            spec.restart(kid.restart)
        });
        SupervisorSpec::builder(name)
            .strategy(shape.strategy)
            .intensity(Intensity::new(shape.max, Duration::from_secs(1)))
            .children(children)
            .build()
            .unwrap()
    }

    fn most_alive_at_once(&self) -> Option<(String, usize)> {
        self.live.lock().unwrap().iter().map(|(p, &(_, most))| (p.clone(), most)).max_by_key(|(_, most)| *most)
    }

    fn pick(list: &Mutex<Vec<String>>, i: usize) -> String {
        let list = list.lock().unwrap();
        list[i % list.len()].clone()
    }
}

/// The handle of the supervisor at `path` ("h", "h/c1", ...).
fn at(handle: &SupervisorHandle, path: &str) -> SupervisorHandle {
    handle.nested(path.strip_prefix('h').unwrap_or("").trim_start_matches('/'))
}

/// Awaits a call; it must be answered, and `at_once` ones before time moves.
async fn call<T>(what: &str, at_once: bool, call: impl std::future::Future<Output = T>) -> Result<T, TestCaseError> {
    let t0 = Instant::now();
    let answer = tokio::time::timeout(HANG, call).await;
    prop_assert!(answer.is_ok(), "{} was never answered", what);
    if at_once {
        prop_assert_eq!(t0.elapsed(), Duration::ZERO, "{} waited for time to pass", what);
    }
    Ok(answer.unwrap())
}

async fn run(shape: Shape, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let world = World::default();
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let spec = world.spec("h", "h", &shape);
    // The tree's own start may fail only through a fault, and there are
    // none yet.
    let running = call("start", false, spec.start()).await?.unwrap();
    let handle = running.handle();
    for (n, step) in steps.into_iter().enumerate() {
        if handle.is_finished() {
            break;
        }
        match step {
            Step::Sabotage(i, fault) => {
                // The fault is for its next start: make it fail, so that
                // its restart (or its group's) meets it.
                let path = World::pick(&world.workers, i);
                world.faults.lock().unwrap().insert(path.clone(), fault);
                if let Some(control) = world.controls.lock().unwrap().get(&path) {
                    let _ = control.send(Exit::Fail);
                }
            }
            Step::Exit(i, exit) => {
                let path = World::pick(&world.workers, i);
                if let Some(control) = world.controls.lock().unwrap().get(&path) {
                    let _ = control.send(exit);
                }
            }
            Step::Advance(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Step::Add(i) => {
                let sup = World::pick(&world.supervisors, i);
                let id = format!("added{n}");
                let spec = world.worker(format!("{sup}/{id}"), id);
                let _ = call("start_child", false, at(&handle, &sup).start_child(spec)).await?;
            }
            Step::Kill(i) | Step::Terminate(i) | Step::Restart(i) | Step::Delete(i) | Step::Query(i) => {
                let sup = World::pick(&world.supervisors, i);
                let target = at(&handle, &sup);
                let Ok(children) = call("which_children", true, target.which_children()).await? else { continue };
                call("count_children", true, target.count_children()).await?.ok();
                let Some(child) = children.get(i % children.len().max(1)) else { continue };
                let id = child.id.to_string();
                match step {
                    Step::Kill(_) => drop(call("kill_child", true, target.kill_child(&id)).await?),
                    Step::Terminate(_) => drop(call("terminate_child", true, target.terminate_child(&id)).await?),
                    Step::Restart(_) => drop(call("restart_child", false, target.restart_child(&id)).await?),
                    Step::Delete(_) => drop(call("delete_child", true, target.delete_child(&id)).await?),
                    _ => drop(call("child_spec", true, target.child_spec(&id)).await?),
                }
            }
        }
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        if let Some((path, most)) = world.most_alive_at_once() {
            prop_assert!(most <= 1, "{} had {} live incarnations at once, step {}", path, most, n);
        }
    }
    let _ = call("shutdown", false, running.shutdown()).await?;
    prop_assert!(common::alive_tasks_return_to(baseline).await, "a task of the tree outlived its shutdown");
    if let Some((path, most)) = world.most_alive_at_once() {
        prop_assert!(most <= 1, "{} had {} live incarnations at once", path, most);
    }
    let still: Vec<_> = world.live.lock().unwrap().iter().filter(|(_, c)| c.0 > 0).map(|(p, _)| p.clone()).collect();
    prop_assert!(still.is_empty(), "alive after shutdown: {:?}", still);
    Ok(())
}

/// Panics are the point here; keep their messages out of the output.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.payload().downcast_ref::<&str>().copied().unwrap_or_default();
            if !message.starts_with("hostile:") {
                default(info);
            }
        }));
    });
}

proptest! {
    // 64 cases by default; PROPTEST_CASES=5000 for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_hostile_tree_keeps_its_promises(shape in shape(2), steps in prop::collection::vec(step(), 0..40)) {
        quiet_panics();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime.block_on(run(shape, steps))?;
    }
}
