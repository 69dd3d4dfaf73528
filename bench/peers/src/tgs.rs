//! Supervision-benchmark scenarios for `tokio-graceful-shutdown` 0.20.0 in the crate's own
//! idiom (`Toplevel`, `SubsystemHandle`, `SubsystemBuilder`, nested subsystems, `ErrorAction`).
//! Paths are inside `~/.cargo/registry/src/*/tokio-graceful-shutdown-0.20.0/`.
//!
//! The crate has no supervisor, restart strategy, restart limit or backoff. Its one documented
//! restart pattern is `examples/12_subsystem_auto_restart.rs` (`subsys1_keepalive`): a parent
//! subsystem loops `subsys.start(SubsystemBuilder::new(..).on_failure(ErrorAction::CatchAndLocalShutdown)
//! .on_panic(ErrorAction::CatchAndLocalShutdown))` + `nested.join().await`, starts the child again
//! when `join` is `Err`, and leaves the loop when `join` is `Ok` or `is_shutdown_requested()`.
//! That restarts at once with no limit. `keepalive` below is that loop minus its `tracing` lines.
//!
//! * S1/S1b: the keepalive loop above; failure = the subsystem returns `Err(miette!(..))`
//!   (`examples/07_nested_error.rs`, `examples/05_subsystem_finished_with_error.rs`);
//!   `ErrorAction` semantics: `src/error_action.rs`.
//! * S2/S3: children started from the `Toplevel` root closure with `s.start(SubsystemBuilder::new(..))`,
//!   each awaiting `subsys.on_shutdown_requested()` (README "Usage Example", `src/lib.rs` crate
//!   doc). Stop from outside the tree as in `examples/23_shutdown_from_external.rs`:
//!   `Toplevel::new_with_shutdown_token(.., token)`, `token.cancel()`, then await
//!   `Toplevel::handle_shutdown_requests(timeout)` (`src/toplevel.rs`). `SubsystemHandle::request_shutdown()`
//!   is `self.inner.toplevel_cancellation_token.cancel()` on that same token
//!   (`src/subsystem/subsystem_handle.rs`). The timeout is one deadline for the whole tree.
//! * S4: the crate has NO one_for_all (no strategies at all). It does have error propagation
//!   (`src/error_action.rs`, `SubsystemHandle::start_with_abs_name` in
//!   `src/subsystem/subsystem_handle.rs`): a child with the default `ErrorAction::Forward` hands its
//!   error to its parent, and a parent started with `CatchAndLocalShutdown` then "initiate[s] a
//!   shutdown of the subsystem and its children", i.e. of every sibling. Here the n children sit
//!   under a "Group" that catches, and the Group is restarted by the same keepalive loop as S1.
//!   The crate stops the siblings; the harness only joins. This is one_for_all by composition of
//!   documented behaviour, not a strategy the crate offers; to count strategies only, return `None`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use miette::miette;
use tokio::{sync::Notify, task::JoinHandle};
use tokio_graceful_shutdown::errors::GracefulShutdownError;
use tokio_graceful_shutdown::{AsyncSubsysFn, ErrorAction, SubsystemBuilder, SubsystemHandle, Toplevel};
use tokio_util::sync::CancellationToken;

use crate::Outcome;

/// Deadline for `handle_shutdown_requests`; hitting it gives `Err(ShutdownTimeout)` -> not ok.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(120);

/// Shared counters: starts, live incarnations (and their max), ended incarnations,
/// plus a "mark" instant + Notify used to tell the harness that a milestone was reached.
#[derive(Default)]
struct Track {
    starts: AtomicUsize,
    alive: AtomicUsize,
    max_alive: AtomicUsize,
    ended: AtomicUsize,
    mark: Mutex<Option<Instant>>,
    marked: Notify,
}

/// Held by an incarnation's future; dropped when it ends (before the crate sees it finish).
struct Alive(Arc<Track>);
impl Track {
    /// Called first thing in a child: returns its start number (1-based) and its guard.
    fn enter(self: &Arc<Self>) -> (usize, Alive) {
        let k = self.starts.fetch_add(1, SeqCst) + 1;
        let now = self.alive.fetch_add(1, SeqCst) + 1;
        self.max_alive.fetch_max(now, SeqCst);
        (k, Alive(self.clone()))
    }
    fn mark(&self) {
        *self.mark.lock().unwrap() = Some(Instant::now());
        self.marked.notify_one();
    }
    fn marked_at(&self) -> Instant {
        self.mark.lock().unwrap().unwrap()
    }
    fn get(&self, a: &AtomicUsize) -> usize {
        a.load(SeqCst)
    }
}
impl Drop for Alive {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, SeqCst);
        self.0.ended.fetch_add(1, SeqCst);
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// `examples/12_subsystem_auto_restart.rs` `subsys1_keepalive`, generic over the child.
/// `after_join` only records checks.
async fn keepalive<F>(
    subsys: &mut SubsystemHandle,
    name: &'static str,
    make_child: impl Fn() -> F,
    after_join: impl Fn(),
) -> miette::Result<()>
where
    F: 'static + for<'a> AsyncSubsysFn<&'a mut SubsystemHandle, miette::Result<()>>,
{
    loop {
        let nested_subsys = subsys.start(
            SubsystemBuilder::new(name, make_child())
                .on_failure(ErrorAction::CatchAndLocalShutdown)
                .on_panic(ErrorAction::CatchAndLocalShutdown),
        );
        let joined = nested_subsys.join().await;
        after_join();
        if joined.is_ok() {
            break;
        }
        if subsys.is_shutdown_requested() {
            break;
        }
        // restart at once, no limit
    }
    Ok(())
}

type TopResult = Result<(), GracefulShutdownError>;

/// Build a Toplevel whose root starts one "Keepalive" subsystem running `keepalive`,
/// and run `handle_shutdown_requests` on a task. Returns (stop token, toplevel task).
fn keepalive_tree<F>(
    name: &'static str,
    make_child: impl Fn() -> F + Send + Sync + 'static,
    after_join: impl Fn() + Send + Sync + 'static,
) -> (CancellationToken, JoinHandle<TopResult>)
where
    F: 'static + for<'a> AsyncSubsysFn<&'a mut SubsystemHandle, miette::Result<()>>,
{
    let token = CancellationToken::new();
    let top = Toplevel::new_with_shutdown_token(
        async move |s: &mut SubsystemHandle| {
            s.start(SubsystemBuilder::new("Keepalive", async move |h: &mut SubsystemHandle| {
                keepalive(h, name, make_child, after_join).await
            }));
        },
        token.clone(),
    );
    (token, tokio::spawn(top.handle_shutdown_requests(SHUTDOWN_TIMEOUT)))
}

/// Graceful stop: cancel the Toplevel's token (== `request_shutdown`) and wait for the Toplevel.
async fn stop(token: CancellationToken, top: JoinHandle<TopResult>) -> (Duration, bool, String) {
    let t = Instant::now();
    token.cancel();
    let res = top.await;
    let took = t.elapsed();
    let note = match &res {
        Ok(Ok(())) => "toplevel Ok".into(),
        Ok(Err(e)) => format!("toplevel Err: {e:?}"),
        Err(e) => format!("toplevel task: {e}"),
    };
    (took, matches!(res, Ok(Ok(()))), note)
}

/// Restarting child for S1/S1b: fails while its start number is <= `fails`, then stays up.
/// With `gaps`, records failure->next-start intervals.
async fn flaky_child(
    subsys: &mut SubsystemHandle,
    tr: Arc<Track>,
    fails: usize,
    gaps: Option<Arc<Mutex<(Option<Instant>, Vec<Duration>)>>>,
) -> miette::Result<()> {
    let started = Instant::now();
    if let Some(g) = &gaps {
        let mut g = g.lock().unwrap();
        if let Some(f) = g.0.take() {
            g.1.push(started - f);
        }
    }
    let (k, _alive) = tr.enter();
    if k <= fails {
        if let Some(g) = &gaps {
            g.lock().unwrap().0 = Some(Instant::now());
        }
        return Err(miette!("child failed intentionally (start {k})"));
    }
    tr.mark();
    subsys.on_shutdown_requested().await;
    Ok(())
}

fn flaky_tree(
    tr: &Arc<Track>,
    fails: usize,
    gaps: Option<Arc<Mutex<(Option<Instant>, Vec<Duration>)>>>,
) -> (CancellationToken, JoinHandle<TopResult>) {
    let tr = tr.clone();
    keepalive_tree(
        "Subsys1",
        move || {
            let (tr, gaps) = (tr.clone(), gaps.clone());
            async move |c: &mut SubsystemHandle| flaky_child(c, tr, fails, gaps).await
        },
        || {},
    )
}

/// S1 restart throughput: ONE supervised child whose body bumps a shared
/// AtomicU64 counter and fails at once (returns an error, or however the
/// crate's idiom signals failure: an actor whose handler/start fails, a
/// subsystem returning Err) until the n-th start, which stays up. The
/// supervisor restarts it at once, with no restart limit. Time from the
/// supervisor's start until the n-th start of the child. ok: exactly n
/// starts happened and at most one incarnation was ever alive at a time
/// (track with an AtomicUsize "alive" counter incremented at start,
/// decremented when the incarnation ends, and record the max).
pub async fn s1_restarts(n: u64) -> Outcome {
    let n = n.max(1) as usize;
    let tr = Arc::new(Track::default());
    let t0 = Instant::now();
    let (token, top) = flaky_tree(&tr, n - 1, None);
    tr.marked.notified().await;
    let time = tr.marked_at() - t0;
    let (_, top_ok, note) = stop(token, top).await;
    let (starts, max, left) = (tr.get(&tr.starts), tr.get(&tr.max_alive), tr.get(&tr.alive));
    Outcome {
        time,
        ok: starts == n && max == 1 && left == 0 && top_ok,
        note: format!("starts={starts} max_alive={max} alive_after_stop={left} {note}"),
    }
}

/// S1b restart latency: median over `samples` of the time from a child's
/// failure (timestamp taken just before it fails) to the start of its
/// replacement (timestamp at the start of the next incarnation).
pub async fn s1b_latency(samples: usize) -> Outcome {
    let tr = Arc::new(Track::default());
    let gaps = Arc::new(Mutex::new((None, Vec::with_capacity(samples))));
    let (token, top) = flaky_tree(&tr, samples, Some(gaps.clone()));
    tr.marked.notified().await;
    let (_, top_ok, note) = stop(token, top).await;
    let g = std::mem::take(&mut gaps.lock().unwrap().1);
    let (got, min, max) = (g.len(), g.iter().min().copied(), g.iter().max().copied());
    let (starts, maxa, left) = (tr.get(&tr.starts), tr.get(&tr.max_alive), tr.get(&tr.alive));
    Outcome {
        time: median(g),
        ok: got == samples && starts == samples + 1 && maxa == 1 && left == 0 && top_ok,
        note: format!(
            "samples={got} min={min:?} max={max:?} starts={starts} max_alive={maxa} \
                             alive_after_stop={left} {note}"
        ),
    }
}

/// Child for S2/S3 and S4: counts its start, marks when it completes a batch of `n` starts,
/// then waits for shutdown; if `fail_on` is given it instead fails when that is notified.
async fn member(
    subsys: &mut SubsystemHandle,
    tr: Arc<Track>,
    n: usize,
    fail_on: Option<Arc<Notify>>,
) -> miette::Result<()> {
    let (k, _alive) = tr.enter();
    if k % n == 0 {
        tr.mark();
    }
    match fail_on {
        None => {
            subsys.on_shutdown_requested().await;
            Ok(())
        }
        Some(trigger) => tokio::select! {
            _ = subsys.on_shutdown_requested() => Ok(()),
            _ = trigger.notified() => Err(miette!("member failed on trigger")),
        },
    }
}

/// S2/S3: start `n` children under one supervisor (each child waits until
/// it is asked to stop, idiomatically: cancellation token / actor stop /
/// subsystem shutdown), time until all n have started (each bumps a
/// counter at start; wait until the counter reaches n); then stop the
/// supervisor with its ordered/graceful shutdown and time until every
/// child has ended. Returns (start, stop). ok: n started, n ended, nothing
/// alive after the stop returned.
pub async fn s2_start_stop(n: usize) -> (Outcome, Outcome) {
    let n = n.max(1);
    let tr = Arc::new(Track::default());
    let token = CancellationToken::new();
    let t0 = Instant::now();
    let top = {
        let tr = tr.clone();
        Toplevel::new_with_shutdown_token(
            async move |s: &mut SubsystemHandle| {
                for i in 0..n {
                    let tr = tr.clone();
                    s.start(SubsystemBuilder::new(format!("Child{i}"), async move |c: &mut SubsystemHandle| {
                        member(c, tr, n, None).await
                    }));
                }
            },
            token.clone(),
        )
    };
    let top = tokio::spawn(top.handle_shutdown_requests(SHUTDOWN_TIMEOUT));
    tr.marked.notified().await;
    let started = tr.get(&tr.starts);
    let start = Outcome { time: tr.marked_at() - t0, ok: started == n, note: format!("started={started}") };
    let (time, top_ok, note) = stop(token, top).await;
    let (ended, left) = (tr.get(&tr.ended), tr.get(&tr.alive));
    let stop = Outcome {
        time,
        ok: started == n && ended == n && left == 0 && top_ok,
        note: format!("ended={ended} alive_after_stop={left} {note}"),
    };
    (start, stop)
}

/// S4 one_for_all of `n` children: one of them fails on a trigger; every
/// sibling must be stopped and all started again; time from the trigger
/// until the last child has started again; the median of `reps`. If the
/// crate has no one-for-all (or equivalent) strategy, return None and say
/// so in your report; do not approximate it by hand.
pub async fn s4_one_for_all(_n: usize, _reps: usize) -> Option<Outcome> {
    // No restart strategies (`src/subsystem/subsystem_builder.rs`): a group
    // restart would be written by hand, not measured as the crate's own.
    None
}
