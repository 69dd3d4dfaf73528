//! The scenarios, run by supervisor-core.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use supervisor_core::{ChildSpec, Ctx, Intensity, RunningSupervisor, Strategy, SupervisorSpec};
use tokio::sync::Notify;

fn started(spec: Result<SupervisorSpec, supervisor_core::SpecError>) -> SupervisorSpec {
    spec.unwrap_or_else(|error| panic!("bench spec: {error}"))
}

async fn start(spec: SupervisorSpec) -> RunningSupervisor {
    spec.start().await.unwrap_or_else(|error| panic!("bench start: {error}"))
}

/// S1: one permanent child that fails at once, `n` starts. The child body
/// is the floor's: bump a shared counter, fail until the n-th start.
pub(crate) async fn restarts(n: u64) -> Duration {
    timed_restarts("s1", |state| ChildSpec::worker("w", move |ctx: Ctx| counted(ctx, state.clone(), n, false))).await
}

/// S1h: S1 with one helper per incarnation (`ctx.spawn`), which waits for
/// its incarnation to end: the supervisor cancels it and waits for it.
pub(crate) async fn restarts_with_helper(n: u64) -> Duration {
    timed_restarts("s1h", |state| ChildSpec::worker("w", move |ctx: Ctx| counted(ctx, state.clone(), n, true))).await
}

/// S1c: S1 with the child declared by `#[child]` and built with
/// `ChildSpec::from_child`, so the macro path is measured too.
pub(crate) async fn restarts_declared(n: u64) -> Duration {
    #[supervisor_core::child(restart = permanent)]
    async fn declared(ctx: Ctx, state: Arc<Counted>, n: u64) -> Result<(), &'static str> {
        counted(ctx, state, n, false).await
    }
    timed_restarts("s1c", |state| ChildSpec::from_child("w", move || declared(state.clone(), n))).await
}

/// S1's child: bump the shared counter, fail until the n-th start; with a
/// helper that waits for the incarnation to end, for S1h.
async fn counted(ctx: Ctx, state: Arc<Counted>, n: u64, helper: bool) -> Result<(), &'static str> {
    if helper {
        let own = ctx.clone();
        ctx.spawn(async move { own.cancelled().await });
    }
    if state.starts.fetch_add(1, Ordering::Relaxed) + 1 < n {
        return Err("fail");
    }
    state.done.notify_one();
    ctx.cancelled().await;
    Ok(())
}

/// From the tree's start to the n-th start of the child `child` makes.
async fn timed_restarts(name: &str, child: impl FnOnce(Arc<Counted>) -> ChildSpec) -> Duration {
    let shared = Arc::new(Counted { starts: AtomicU64::new(0), done: Notify::new() });
    let spec =
        started(SupervisorSpec::builder(name).intensity(Intensity::unlimited()).child(child(shared.clone())).build());
    let t0 = Instant::now();
    let running = start(spec).await;
    shared.done.notified().await;
    let elapsed = t0.elapsed();
    let _ = running.shutdown().await;
    elapsed
}

/// What S1's child shares, on both sides.
pub(crate) struct Counted {
    pub(crate) starts: AtomicU64,
    pub(crate) done: Notify,
}

/// S1b: from a child returning its error to its replacement's first poll;
/// the median of `samples`, a fresh supervisor each.
pub(crate) async fn restart_latency(samples: usize) -> Duration {
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let failed_at: Arc<Mutex<Option<Instant>>> = Arc::default();
        let done = Arc::new(Notify::new());
        let latency: Arc<Mutex<Duration>> = Arc::default();
        let (f, d, l) = (failed_at.clone(), done.clone(), latency.clone());
        let child = ChildSpec::worker("w", move |ctx: Ctx| {
            let (failed_at, done, latency) = (f.clone(), d.clone(), l.clone());
            async move {
                if ctx.generation() == 0 {
                    *failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                    return Err("fail");
                }
                if let Some(t0) = *failed_at.lock().unwrap_or_else(|e| e.into_inner()) {
                    *latency.lock().unwrap_or_else(|e| e.into_inner()) = t0.elapsed();
                }
                done.notify_one();
                ctx.cancelled().await;
                Ok(())
            }
        });
        let spec = started(SupervisorSpec::builder("s1b").intensity(Intensity::unlimited()).child(child).build());
        let running = start(spec).await;
        done.notified().await;
        latencies.push(*latency.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = running.shutdown().await;
    }
    median(latencies)
}

/// S2 and S3: start `n` children that wait for cancellation, then stop them
/// in reverse order, each under a 5 s timeout.
pub(crate) async fn start_stop(n: usize) -> (Duration, Duration) {
    let spec = started(
        SupervisorSpec::builder("s2")
            .children(
                (0..n).map(|i| ChildSpec::worker(format!("c{i}"), |ctx: Ctx| async move { ctx.cancelled().await })),
            )
            .build(),
    );
    let t0 = Instant::now();
    let running = start(spec).await;
    let start = t0.elapsed();
    let t1 = Instant::now();
    let _ = running.shutdown().await;
    (start, t1.elapsed())
}

/// S2c: S2's start with the children declared by `#[child]`.
pub(crate) async fn start_declared(n: usize) -> Duration {
    #[supervisor_core::child]
    async fn waiting(ctx: Ctx) {
        ctx.cancelled().await
    }
    let spec = started(
        SupervisorSpec::builder("s2c")
            .children((0..n).map(|i| ChildSpec::from_child(format!("c{i}"), waiting)))
            .build(),
    );
    let t0 = Instant::now();
    let running = start(spec).await;
    let start = t0.elapsed();
    let _ = running.shutdown().await;
    start
}

/// T1: a snapshot of `n` children (`tree()`) and their listing
/// (`which_children`), on one running tree: the median of `reps` each.
pub(crate) async fn snapshot_vs_listing(n: usize, reps: usize) -> (Duration, Duration) {
    let spec = started(
        SupervisorSpec::builder("t1")
            .children(
                (0..n).map(|i| ChildSpec::worker(format!("c{i}"), |ctx: Ctx| async move { ctx.cancelled().await })),
            )
            .build(),
    );
    let running = start(spec).await;
    let handle = running.handle();
    let (mut trees, mut lists) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
    for _ in 0..reps {
        let t0 = Instant::now();
        let tree = handle.tree().await;
        trees.push(t0.elapsed());
        assert_eq!(tree.map(|t| t.children.len()).unwrap_or(0), n, "the snapshot has every child");
        let t0 = Instant::now();
        let _ = handle.which_children().await;
        lists.push(t0.elapsed());
    }
    let _ = running.shutdown().await;
    (median(trees), median(lists))
}

/// S4: one_for_all over `n` children; one fails; until all have stopped and
/// started again (the last child, started last, says so). The median of
/// `reps`.
pub(crate) async fn group_restart(n: usize, reps: usize) -> Duration {
    timed_group_restart(n, reps, |i, group| {
        ChildSpec::worker(format!("c{i}"), move |ctx: Ctx| grouped(ctx, group.clone(), i))
    })
    .await
}

/// S4c: S4 with the children declared by `#[child]`.
pub(crate) async fn group_restart_declared(n: usize, reps: usize) -> Duration {
    #[supervisor_core::child]
    async fn declared(ctx: Ctx, group: Arc<Group>, i: usize) -> Result<(), &'static str> {
        grouped(ctx, group, i).await
    }
    timed_group_restart(n, reps, |i, group| ChildSpec::from_child(format!("c{i}"), move || declared(group.clone(), i)))
        .await
}

/// What S4's children share: the failing child's trigger, and the signal
/// of the last child's restart.
struct Group {
    n: usize,
    trigger: Notify,
    restarted: Notify,
}

/// S4's child: the middle one fails when triggered; the last one says when
/// it has started again.
async fn grouped(ctx: Ctx, group: Arc<Group>, i: usize) -> Result<(), &'static str> {
    if i == group.n - 1 && ctx.generation() > 0 {
        group.restarted.notify_one();
    }
    if i == group.n / 2 {
        tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            () = group.trigger.notified() => return Err("fail"),
        }
    }
    ctx.cancelled().await;
    Ok(())
}

async fn timed_group_restart(n: usize, reps: usize, child: impl Fn(usize, Arc<Group>) -> ChildSpec) -> Duration {
    let group = Arc::new(Group { n, trigger: Notify::new(), restarted: Notify::new() });
    let children = (0..n).map(|i| child(i, group.clone()));
    let spec = started(
        SupervisorSpec::builder("s4")
            .strategy(Strategy::OneForAll)
            .intensity(Intensity::unlimited())
            .children(children)
            .build(),
    );
    let running = start(spec).await;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        group.trigger.notify_one();
        group.restarted.notified().await;
        times.push(t0.elapsed());
    }
    let _ = running.shutdown().await;
    median(times)
}

pub(crate) fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}
