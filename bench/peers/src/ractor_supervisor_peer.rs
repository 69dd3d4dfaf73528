//! Peer scenarios for `ractor-supervisor` 0.2.0 on `ractor` 0.16 (its Cargo.toml asks for
//! `ractor = "0.16.2"`; resolved to 0.16.5). Paths below are inside `ractor-supervisor-0.2.0/`.
//! * All scenarios: static `Supervisor::spawn(name, SupervisorArguments { child_specs, options })`,
//!   one `ChildSpec { id, restart, spawn_fn: SpawnFn::new(..), backoff_fn, reset_after }` per
//!   child, whose `spawn_fn` calls `Supervisor::spawn_linked(child_id, actor, args, sup_cell)` and
//!   returns the cell: README.md "Example Usage" (= src/lib.rs docs) and the test helpers
//!   `spawn_test_child`/`make_child_spec` in src/supervisor.rs. Names are mandatory and global
//!   (README.md "Important Requirements"), so each run uses a fresh name prefix.
//! * "Restart at once, no limit": `Restart::Permanent`, `backoff_fn: None` (src/core.rs
//!   `ChildBackoffFn`: "If `None`, it restarts immediately"; `schedule_restart` then
//!   `send_message`s the restart), `reset_after: None`, `max_restarts: usize::MAX` (meltdown is
//!   `restart_log.len() > max_restarts`, src/core.rs `track_global_restart`), `max_window` 10 s as
//!   in the README example.
//! * S1/S1b: the child returns `Err` from `post_start` -> ractor `SupervisionEvent::ActorFailed` ->
//!   `handle_supervisor_evt` -> `handle_child_restart` -> `OneForOneSpawn` (src/supervisor.rs;
//!   README.md "Supervision Strategies": strategies apply to failures in `pre_start`/`post_start`).
//!   `s1_restarts_with(.., in_pre_start = true, ..)` is the `pre_start` (spawn error) variant.
//! * S2/S3: idle children; `sup_ref.stop(None)` + await the JoinHandle, as the crate's tests do
//!   (src/supervisor.rs `test_transient_delayed_normal`, `test_nested_supervisors`). The crate has
//!   no ordered/graceful shutdown: when the supervisor exits, ractor's `ActorCell::terminate`
//!   (ractor-0.16.5/src/actor/actor_cell.rs) kills all linked children (no order, no timeout, no
//!   `post_stop`). A child has "ended" when its state is dropped.
//! * S4: `SupervisorStrategy::OneForAll` (src/supervisor.rs `perform_one_for_all_spawn`: unlink +
//!   kill all, `sleep(10 ms)`, re-spawn all in order; test `test_one_for_all_stop_all_on_failure`).
//!   Trigger: a message on which one child's `handle` returns `Err`.
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef, ActorStatus, SpawnErr};
use ractor_supervisor::{
    ChildSpec, Restart, SpawnFn, Supervisor, SupervisorArguments, SupervisorMsg, SupervisorOptions, SupervisorStrategy,
};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

/// What a run measured, and whether its correctness checks passed.
pub use crate::Outcome;

pub const MAX_WINDOW: Duration = Duration::from_secs(10);
const WAIT: Duration = Duration::from_secs(600); // cap on any wait: a broken run gives ok=false

fn options(strategy: SupervisorStrategy, max_window: Duration) -> SupervisorOptions {
    SupervisorOptions { strategy, max_restarts: usize::MAX, max_window, reset_after: None }
}

static RUN: AtomicU64 = AtomicU64::new(0);
fn prefix() -> String {
    format!("rs{}-", RUN.fetch_add(1, SeqCst))
}

/// "Counter reached target" latch that remembers when.
struct Latch {
    target: AtomicU64,
    hit: Mutex<Option<Instant>>,
    notify: Notify,
}
impl Latch {
    fn new() -> Self {
        Latch { target: AtomicU64::new(u64::MAX), hit: Mutex::new(None), notify: Notify::new() }
    }
    fn arm(&self, target: u64) {
        *self.hit.lock().unwrap() = None;
        self.target.store(target, SeqCst);
    }
    fn check(&self, value: u64) {
        if value == self.target.load(SeqCst) {
            *self.hit.lock().unwrap() = Some(Instant::now());
            self.notify.notify_one();
        }
    }
    async fn wait(&self) -> Option<Instant> {
        let until_hit = async {
            loop {
                self.notify.notified().await; // a stale permit from an earlier target is skipped
                if let Some(t) = *self.hit.lock().unwrap() {
                    return t;
                }
            }
        };
        tokio::time::timeout(WAIT, until_hit).await.ok()
    }
}

#[derive(Default)]
struct Probe {
    starts: AtomicU64,
    ended: AtomicU64,
    alive: AtomicUsize,
    max_alive: AtomicUsize,
    start: Option<Latch>,
    end: Option<Latch>,
    last_fail: Mutex<Option<Instant>>,
    latencies: Mutex<Vec<Duration>>,
    spawn_errors: AtomicU64,
    first_spawn_error: Mutex<Option<String>>,
}
impl Probe {
    fn new() -> Arc<Self> {
        Arc::new(Probe { start: Some(Latch::new()), end: Some(Latch::new()), ..Default::default() })
    }
    fn start(&self) -> &Latch {
        self.start.as_ref().unwrap()
    }
    fn end(&self) -> &Latch {
        self.end.as_ref().unwrap()
    }
    fn on_start(&self) -> u64 {
        let a = self.alive.fetch_add(1, SeqCst) + 1;
        self.max_alive.fetch_max(a, SeqCst);
        let k = self.starts.fetch_add(1, SeqCst) + 1;
        self.start().check(k);
        k
    }
    fn on_end(&self) {
        self.alive.fetch_sub(1, SeqCst);
        self.end().check(self.ended.fetch_add(1, SeqCst) + 1);
    }
    fn get(&self) -> (u64, u64, usize) {
        (self.starts.load(SeqCst), self.ended.load(SeqCst), self.alive.load(SeqCst))
    }
}

#[derive(Clone, Copy)]
enum Mode {
    FailUntil { n: u64, in_pre_start: bool, sample: bool },
    Idle,
}
struct Worker {
    probe: Arc<Probe>,
    mode: Mode,
}
enum WorkerMsg {
    Fail,
}
/// An incarnation's state; its end is counted once, at failure or when dropped.
struct Life {
    probe: Arc<Probe>,
    k: u64,
    done: bool,
}
impl Life {
    fn end(&mut self) {
        if !std::mem::replace(&mut self.done, true) {
            self.probe.on_end()
        }
    }
}
impl Drop for Life {
    fn drop(&mut self) {
        self.end()
    }
}

#[ractor::async_trait]
impl Actor for Worker {
    type Msg = WorkerMsg;
    type State = Life;
    type Arguments = ();

    async fn pre_start(&self, _me: ActorRef<WorkerMsg>, _: ()) -> Result<Life, ActorProcessingErr> {
        let now = Instant::now();
        if let Some(t_fail) = self.probe.last_fail.lock().unwrap().take() {
            self.probe.latencies.lock().unwrap().push(now - t_fail);
        }
        let k = self.probe.on_start();
        if let Mode::FailUntil { n, in_pre_start: true, sample } = self.mode {
            if k < n {
                if sample {
                    *self.probe.last_fail.lock().unwrap() = Some(Instant::now())
                }
                self.probe.on_end();
                return Err(format!("start #{k} fails").into());
            }
        }
        Ok(Life { probe: self.probe.clone(), k, done: false })
    }

    async fn post_start(&self, _me: ActorRef<WorkerMsg>, st: &mut Life) -> Result<(), ActorProcessingErr> {
        if let Mode::FailUntil { n, in_pre_start: false, sample } = self.mode {
            if st.k < n {
                if sample {
                    *self.probe.last_fail.lock().unwrap() = Some(Instant::now())
                }
                st.end();
                return Err(format!("start #{} fails", st.k).into());
            }
        }
        Ok(())
    }

    async fn handle(&self, _me: ActorRef<WorkerMsg>, msg: WorkerMsg, st: &mut Life) -> Result<(), ActorProcessingErr> {
        let WorkerMsg::Fail = msg;
        st.end();
        Err("triggered failure".into())
    }
}

/// Permanent, no backoff, no per-child reset; counts spawns that fail for another reason than
/// the child's own start error (e.g. its name still registered).
fn child_spec(id: String, probe: Arc<Probe>, mode: Mode) -> ChildSpec {
    let spawn_fn = SpawnFn::new(move |sup_cell, child_id| {
        let probe = probe.clone();
        async move {
            let worker = Worker { probe: probe.clone(), mode };
            match Supervisor::spawn_linked(child_id, worker, (), sup_cell).await {
                Ok((child, _join)) => Ok(child.get_cell()),
                Err(e) => {
                    if !matches!(e, SpawnErr::StartupFailed(_)) {
                        probe.spawn_errors.fetch_add(1, SeqCst);
                        probe.first_spawn_error.lock().unwrap().get_or_insert(e.to_string());
                    }
                    Err(e)
                }
            }
        }
    });
    ChildSpec { id, restart: Restart::Permanent, spawn_fn, backoff_fn: None, reset_after: None }
}

fn supervisor_args(
    probe: &Arc<Probe>,
    p: &str,
    n: usize,
    mode: Mode,
    s: SupervisorStrategy,
    w: Duration,
) -> SupervisorArguments {
    let child_specs = (0..n).map(|i| child_spec(format!("{p}c{i}"), probe.clone(), mode)).collect();
    SupervisorArguments { child_specs, options: options(s, w) }
}

/// `stop(None)` + await the JoinHandle, then wait until every incarnation that ever started has
/// ended. Returns (when the last one ended, how many were alive when the JoinHandle returned).
async fn stop_and_drain(
    sup: &ActorRef<SupervisorMsg>,
    join: ractor::concurrency::JoinHandle<()>,
    probe: &Probe,
) -> (Option<Instant>, usize) {
    let before = probe.get().0;
    probe.end().arm(before);
    sup.stop(None);
    let _ = join.await;
    let (total, ended, alive_at_join) = probe.get();
    let t_join = Instant::now();
    if total != before {
        probe.end().arm(total)
    } // no start can happen once the supervisor is gone
    if ended >= total || probe.get().1 >= total {
        return (Some(t_join), alive_at_join);
    }
    (probe.end().wait().await.map(|t| t.max(t_join)), alive_at_join)
}

/// S1/S1b core: returns (supervisor start -> n-th start, probe, ok, note).
async fn fail_until(n: u64, in_pre_start: bool, sample: bool, w: Duration) -> (Duration, Arc<Probe>, bool, String) {
    let (probe, p) = (Probe::new(), prefix());
    probe.start().arm(n);
    let args =
        supervisor_args(&probe, &p, 1, Mode::FailUntil { n, in_pre_start, sample }, SupervisorStrategy::OneForOne, w);
    let t0 = Instant::now();
    let (sup, join) = Supervisor::spawn(format!("{p}sup"), args).await.expect("spawn supervisor");
    let hit = probe.start().wait().await;
    tokio::time::sleep(Duration::from_millis(20)).await; // let a stray extra restart show up
    let running = sup.get_status() == ActorStatus::Running;
    let starts = probe.get().0;
    let (t_end, _) = stop_and_drain(&sup, join, &probe).await;
    let max_alive = probe.max_alive.load(SeqCst);
    let ok = hit.is_some() && running && starts == n && max_alive <= 1 && t_end.is_some() && probe.get().2 == 0;
    let note = format!(
        "starts={starts} (want {n}), max_alive={max_alive}, supervisor running={running}, alive after stop={}",
        probe.get().2
    );
    (hit.map_or(WAIT, |t| t - t0), probe, ok, note)
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
    s1_restarts_with(n, false, MAX_WINDOW).await
}

/// S1 with the failure in `pre_start` and/or another meltdown window (extra, for the report).
pub async fn s1_restarts_with(n: u64, in_pre_start: bool, w: Duration) -> Outcome {
    let (time, _, ok, note) = fail_until(n, in_pre_start, false, w).await;
    let at = if in_pre_start { "pre_start" } else { "post_start" };
    Outcome { time, ok, note: format!("fail in {at}, max_window={w:?}; {note}") }
}

/// S1b restart latency: median over `samples` of the time from a child's
/// failure (timestamp taken just before it fails) to the start of its
/// replacement (timestamp at the start of the next incarnation).
pub async fn s1b_latency(samples: usize) -> Outcome {
    let (_, probe, ok, note) = fail_until(samples as u64 + 1, false, true, MAX_WINDOW).await;
    let mut lat = probe.latencies.lock().unwrap().clone();
    lat.sort();
    let median = lat.get(lat.len() / 2).copied().unwrap_or(WAIT);
    let note = format!("samples={}, min={:?}, max={:?}; {note}", lat.len(), lat.first(), lat.last());
    Outcome { time: median, ok: ok && lat.len() == samples, note }
}

/// S2/S3: start `n` children under one supervisor (each child waits until
/// it is asked to stop, idiomatically: cancellation token / actor stop /
/// subsystem shutdown), time until all n have started (each bumps a
/// counter at start; wait until the counter reaches n); then stop the
/// supervisor with its ordered/graceful shutdown and time until every
/// child has ended. Returns (start, stop). ok: n started, n ended, nothing
/// alive after the stop returned.
pub async fn s2_start_stop(n: usize) -> (Outcome, Outcome) {
    let (probe, p, n64) = (Probe::new(), prefix(), n as u64);
    probe.start().arm(n64);
    let args = supervisor_args(&probe, &p, n, Mode::Idle, SupervisorStrategy::OneForOne, MAX_WINDOW);
    let t0 = Instant::now();
    let (sup, join) = Supervisor::spawn(format!("{p}sup"), args).await.expect("spawn supervisor");
    let hit = probe.start().wait().await;
    let started = probe.get().0;
    let start = Outcome {
        time: hit.map_or(WAIT, |t| t - t0),
        ok: hit.is_some() && started == n64,
        note: format!("started={started} (want {n})"),
    };
    let t1 = Instant::now();
    let (t_end, alive_at_join) = stop_and_drain(&sup, join, &probe).await;
    let (starts, ended, alive) = probe.get();
    let stop = Outcome {
        time: t_end.map_or(WAIT, |t| t - t1),
        ok: t_end.is_some() && starts == n64 && ended == n64 && alive == 0,
        note: format!(
            "ended={ended} (want {n}), alive at end={alive}, alive when the supervisor's JoinHandle returned={alive_at_join}"
        ),
    };
    (start, stop)
}

/// S4 one_for_all of `n` children: one of them fails on a trigger; every
/// sibling must be stopped and all started again; time from the trigger
/// until the last child has started again; the median of `reps`. If the
/// crate has no one-for-all (or equivalent) strategy, return None and say
/// so in your report; do not approximate it by hand.
pub async fn s4_one_for_all(n: usize, reps: usize) -> Option<Outcome> {
    let (probe, p, n64) = (Probe::new(), prefix(), n as u64);
    probe.start().arm(n64);
    let args = supervisor_args(&probe, &p, n, Mode::Idle, SupervisorStrategy::OneForAll, MAX_WINDOW);
    let (sup, join) = Supervisor::spawn(format!("{p}sup"), args).await.expect("spawn supervisor");
    let mut problems = Vec::new();
    if probe.start().wait().await.is_none() {
        problems.push("initial start timed out".to_string())
    }
    let (mut times, mut max_kill) = (Vec::with_capacity(reps), Duration::ZERO);
    for rep in 0..reps as u64 {
        if !problems.is_empty() {
            break;
        }
        // Barrier: supervision events outrank messages, so once InspectState is answered the
        // supervisor has handled every ActorStarted of the previous round.
        if ractor::call_t!(sup, SupervisorMsg::InspectState, 60_000).is_err() {
            problems.push(format!("rep {rep}: no answer"));
            break;
        }
        let (s0, e0, alive) = probe.get();
        if s0 != n64 * (rep + 1) || e0 != n64 * rep {
            problems.push(format!("rep {rep}: starts={s0} ended={e0} before trigger"))
        }
        probe.max_alive.store(alive, SeqCst);
        probe.start().arm(s0 + n64);
        probe.end().arm(e0 + n64);
        let Some(victim) = ractor::registry::where_is(format!("{p}c{}", n / 2)) else {
            problems.push(format!("rep {rep}: no victim"));
            break;
        };
        let t = Instant::now();
        let _ = victim.send_message(WorkerMsg::Fail);
        match (probe.start().wait().await, probe.end().wait().await) {
            (Some(last_start), Some(last_end)) => {
                times.push(last_start - t);
                max_kill = max_kill.max(last_end - t)
            }
            _ => {
                problems.push(format!("rep {rep}: round timed out"));
                break;
            }
        }
        if probe.max_alive.load(SeqCst) > n {
            problems.push(format!("rep {rep}: more than n alive"))
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await; // let a stray extra round show up
    let _ = ractor::call_t!(sup, SupervisorMsg::InspectState, 60_000);
    let (starts, ended, _) = probe.get();
    let want = n64 * (reps as u64 + 1);
    if starts != want || ended != want - n64 {
        problems.push(format!("starts={starts} (want {want}), ended={ended}"))
    }
    let (t_end, _) = stop_and_drain(&sup, join, &probe).await;
    if t_end.is_none() || probe.get().2 != 0 {
        problems.push(format!("alive after stop={}", probe.get().2))
    }
    let errs = probe.spawn_errors.load(SeqCst);
    if errs > 0 {
        problems.push(format!("{errs} re-spawns failed, first: {:?}", probe.first_spawn_error.lock().unwrap()))
    }
    times.sort();
    let ok = problems.is_empty() && times.len() == reps;
    let note = format!(
        "reps={}, min={:?}, max={:?}, max(trigger -> last old child ended)={max_kill:?}; problems: {}",
        times.len(),
        times.first(),
        times.last(),
        if ok { "none".into() } else { problems.join("; ") }
    );
    Some(Outcome { time: times.get(times.len() / 2).copied().unwrap_or(WAIT), ok, note })
}
