//! Supervision scenarios for **kameo 0.22.2** in its built-in supervision idiom: a supervisor actor
//! (strategy = override of `Actor::supervision_strategy()`) spawns children in its `on_start` with
//! `Child::supervise(&sup_ref, args).restart_policy(..).restart_limit(..).spawn().await`. No hand-written
//! `on_link_died` restart logic. "Restart at once, no limit": kameo has no backoff (`src/actor/kind.rs`
//! `handle_link_died` calls the spawn factory directly); the default limit of 5 per 5 s
//! (`src/supervision.rs` `SupervisedActorBuilder::new`) is lifted with `.restart_limit(u32::MAX, Duration::MAX)`
//! (`src/links.rs` `RestartTracker::record_restart`: window never resets, u32::MAX never reached).
//! Sources (paths inside `kameo-0.22.2/`; repo files are at tag v0.22.2 of github.com/tqwewe/kameo):
//! * S1/S1b: `src/supervision.rs` module docs "Quick Start" + `RestartPolicy` docs; `src/actor.rs`
//!   `Actor::on_start` returns `Result<Self, Self::Error>`; `src/actor/spawn.rs` `run_actor_lifecycle` (an `Err`
//!   from `on_start` = stop reason `Panicked`, `will_restart`, `notify_links` hands the mailbox to the
//!   supervisor, which re-spawns). Repo `examples/supervision.rs` uses the same builder calls.
//! * S2/S3: spawning as above; stop = `ActorRef::stop_gracefully` + `wait_for_shutdown`
//!   (`src/actor/actor_ref.rs`), exactly as the test `stop_gracefully_does_not_deadlock_with_supervised_children`
//!   in `src/supervision.rs`. Children are stopped by the supervisor's teardown (`src/actor/spawn.rs`
//!   `send_children_shutdown` / `drain_until_children_closed`; `src/links.rs`: `join_all`, unordered, no timeout).
//! * S4: `SupervisionStrategy::OneForAll` (`src/supervision.rs` docs and `OneForAllSupervisor` tests); repo
//!   `examples/supervision.rs` uses OneForAll and fails a child by `tell(ForceErr)` whose handler returns `Err`,
//!   the trigger used here. Coordination: `src/actor/kind.rs` `handle_link_died` (`CoordinationState`).
//! "Ended" = the incarnation's `on_stop` ran; an incarnation whose `on_start` failed gets no `on_stop`
//! (see `Actor::on_undelivered` docs), so it counts as ended just before returning its `Err`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use kameo::error::Infallible;
use kameo::prelude::*;
use kameo::supervision::{RestartPolicy, SupervisionStrategy};
use tokio::sync::Notify;

use crate::Outcome;

const MAX_RESTARTS: u32 = u32::MAX; // "no restart limit" ...
const RESTART_WINDOW: Duration = Duration::MAX; // ... in a window that never resets
const WAIT_LIMIT: Duration = Duration::from_secs(120);

/// Counter that records the instant it reaches an armed target and wakes a waiter.
struct Counter {
    n: AtomicU64,
    target: AtomicU64,
    hit_at: Mutex<Option<Instant>>,
    hit: Notify,
}

impl Default for Counter {
    fn default() -> Self {
        Counter { n: AtomicU64::new(0), target: AtomicU64::new(u64::MAX), hit_at: Mutex::new(None), hit: Notify::new() }
    }
}

impl Counter {
    fn get(&self) -> u64 {
        self.n.load(SeqCst)
    }
    fn arm(&self, t: u64) {
        *self.hit_at.lock().unwrap() = None;
        self.target.store(t, SeqCst);
    }
    fn bump(&self) -> u64 {
        let v = self.n.fetch_add(1, SeqCst) + 1;
        if v == self.target.load(SeqCst) {
            *self.hit_at.lock().unwrap() = Some(Instant::now());
            self.hit.notify_one();
        }
        v
    }
    /// Waits for the armed target; returns the instant it was reached (None on timeout).
    async fn wait(&self, limit: Duration) -> Option<Instant> {
        let t = self.target.load(SeqCst);
        let fut = async {
            loop {
                let notified = self.hit.notified();
                if self.get() >= t {
                    loop {
                        if let Some(at) = *self.hit_at.lock().unwrap() {
                            return at;
                        }
                        tokio::task::yield_now().await; // bump() stores hit_at right after the increment
                    }
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, fut).await.ok()
    }
}

/// Live-incarnation gauge with its high-water mark.
#[derive(Default)]
struct Alive {
    cur: AtomicUsize,
    max: AtomicUsize,
}

impl Alive {
    fn up(&self) {
        self.max.fetch_max(self.cur.fetch_add(1, SeqCst) + 1, SeqCst);
    }
    fn down(&self) {
        self.cur.fetch_sub(1, SeqCst);
    }
}

fn median(v: &mut [Duration]) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |i: usize| v.get(i).copied().unwrap_or_default();
    (at(v.len() / 2), at(0), at(v.len().saturating_sub(1))) // (median, min, max)
}

async fn stop_and_wait<A: Actor>(sup: &ActorRef<A>) {
    let _ = sup.stop_gracefully().await;
    sup.wait_for_shutdown().await;
}

// ------------------------------------------------------------------ S1 / S1b
#[derive(Default)]
struct FlakyState {
    stay_up_at: u64,      // this start number stays up; every earlier start fails
    record_latency: bool, // S1b only
    starts: Counter,
    alive: Alive,
    last_fail: Mutex<Option<Instant>>,
    latencies: Mutex<Vec<Duration>>,
}

#[derive(Clone)]
struct Flaky(Arc<FlakyState>);
impl Actor for Flaky {
    type Args = Self;
    type Error = &'static str;
    async fn on_start(args: Self::Args, _: ActorRef<Self>) -> Result<Self, Self::Error> {
        let s = &args.0;
        if s.record_latency
            && let Some(failed_at) = s.last_fail.lock().unwrap().take()
        {
            s.latencies.lock().unwrap().push(failed_at.elapsed());
        }
        s.alive.up();
        if s.starts.bump() < s.stay_up_at {
            s.alive.down(); // a failed on_start gets no on_stop: this incarnation ends here
            if s.record_latency {
                *s.last_fail.lock().unwrap() = Some(Instant::now());
            }
            return Err("fail at start");
        }
        Ok(args)
    }
    async fn on_stop(&mut self, _: WeakActorRef<Self>, _: ActorStopReason) -> Result<(), Self::Error> {
        self.0.alive.down();
        Ok(())
    }
}

/// One-for-one supervisor with a single Permanent, unlimited child.
struct OneChildSup;
impl Actor for OneChildSup {
    type Args = Flaky;
    type Error = Infallible;
    fn supervision_strategy() -> SupervisionStrategy {
        SupervisionStrategy::OneForOne
    }
    async fn on_start(child: Self::Args, sup: ActorRef<Self>) -> Result<Self, Self::Error> {
        Flaky::supervise(&sup, child)
            .restart_policy(RestartPolicy::Permanent)
            .restart_limit(MAX_RESTARTS, RESTART_WINDOW)
            .spawn()
            .await;
        Ok(OneChildSup)
    }
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
    let st = Arc::new(FlakyState { stay_up_at: n, ..Default::default() });
    st.starts.arm(n);
    let t0 = Instant::now();
    let sup = OneChildSup::spawn(Flaky(st.clone()));
    let hit = st.starts.wait(WAIT_LIMIT).await;
    tokio::time::sleep(Duration::from_millis(20)).await; // let a stray extra restart show up
    let starts = st.starts.get();
    stop_and_wait(&sup).await;
    let max_alive = st.alive.max.load(SeqCst);
    Outcome {
        time: hit.map_or(WAIT_LIMIT, |at| at - t0),
        ok: hit.is_some() && starts == n && max_alive <= 1,
        note: format!("starts={starts} max_alive={max_alive} (failure = Err from on_start)"),
    }
}

/// S1b restart latency: median over `samples` of the time from a child's
/// failure (timestamp taken just before it fails) to the start of its
/// replacement (timestamp at the start of the next incarnation).
pub async fn s1b_latency(samples: usize) -> Outcome {
    let st = Arc::new(FlakyState { stay_up_at: samples as u64 + 1, record_latency: true, ..Default::default() });
    st.starts.arm(samples as u64 + 1);
    let sup = OneChildSup::spawn(Flaky(st.clone()));
    let hit = st.starts.wait(WAIT_LIMIT).await;
    stop_and_wait(&sup).await;
    let mut lat = std::mem::take(&mut *st.latencies.lock().unwrap());
    let (got, max_alive, (med, min, max)) = (lat.len(), st.alive.max.load(SeqCst), median(&mut lat));
    Outcome {
        time: med,
        ok: hit.is_some() && got == samples && max_alive <= 1,
        note: format!("samples={got} min={min:?} max={max:?} max_alive={max_alive}"),
    }
}

// ------------------------------------------------------------------ S2 / S3 / S4 children
#[derive(Default)]
struct TrackedState {
    starts: Counter,
    stops: Counter,
    alive: Alive,
    trigger: OnceLock<ActorRef<Tracked>>,
}

/// A child that bumps counters at start/stop and otherwise just waits in its mailbox until stopped.
#[derive(Clone)]
struct Tracked(Arc<TrackedState>);
impl Actor for Tracked {
    type Args = Self;
    type Error = Infallible;
    async fn on_start(args: Self::Args, _: ActorRef<Self>) -> Result<Self, Self::Error> {
        args.0.alive.up();
        args.0.starts.bump();
        Ok(args)
    }
    async fn on_stop(&mut self, _: WeakActorRef<Self>, _: ActorStopReason) -> Result<(), Self::Error> {
        self.0.alive.down();
        self.0.stops.bump();
        Ok(())
    }
}

/// S4 trigger: a handler returning `Err` (like `ForceErr` in examples/supervision.rs).
struct Fail;
impl Message<Fail> for Tracked {
    type Reply = Result<(), &'static str>;
    async fn handle(&mut self, _: Fail, _: &mut Context<Self, Self::Reply>) -> Self::Reply {
        Err("triggered failure")
    }
}

/// Supervisor of `n` Permanent, unlimited `Tracked` children; strategy chosen by the type parameter.
struct Sup<const ONE_FOR_ALL: bool>;
impl<const ONE_FOR_ALL: bool> Actor for Sup<ONE_FOR_ALL> {
    type Args = (usize, Arc<TrackedState>);
    type Error = Infallible;
    fn supervision_strategy() -> SupervisionStrategy {
        if ONE_FOR_ALL { SupervisionStrategy::OneForAll } else { SupervisionStrategy::OneForOne }
    }
    async fn on_start((n, st): Self::Args, sup: ActorRef<Self>) -> Result<Self, Self::Error> {
        for i in 0..n {
            let child = Tracked::supervise(&sup, Tracked(st.clone()))
                .restart_policy(RestartPolicy::Permanent)
                .restart_limit(MAX_RESTARTS, RESTART_WINDOW)
                .spawn()
                .await;
            if i == n / 2 {
                let _ = st.trigger.set(child);
            } // the ActorRef stays valid across restarts
        }
        Ok(Sup)
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
    let (n64, st) = (n as u64, Arc::new(TrackedState::default()));
    st.starts.arm(n64);
    st.stops.arm(n64);
    let t0 = Instant::now();
    let sup = Sup::<false>::spawn((n, st.clone()));
    let hit = st.starts.wait(WAIT_LIMIT).await;
    let (started, ended_early) = (st.starts.get(), st.stops.get());
    let start = Outcome {
        time: hit.map_or(WAIT_LIMIT, |at| at - t0),
        ok: hit.is_some() && started == n64 && ended_early == 0,
        note: format!("started={started} ended_before_stop={ended_early}"),
    };
    let t1 = Instant::now();
    stop_and_wait(&sup).await; // the supervisor's graceful stop; it stops its children first
    let returned = Instant::now();
    let (alive_at_return, ended_at_return) = (st.alive.cur.load(SeqCst), st.stops.get());
    let all_ended = st.stops.wait(WAIT_LIMIT).await;
    let ended = st.stops.get();
    let stop = Outcome {
        time: all_ended.map_or(WAIT_LIMIT, |at| at.max(returned) - t1),
        ok: all_ended.is_some() && ended == n64 && alive_at_return == 0,
        note: format!(
            "stop returned after {:?}; at return ended={ended_at_return} alive={alive_at_return}; finally ended={ended}",
            returned - t1
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
    let (n64, reps64, st) = (n as u64, reps as u64, Arc::new(TrackedState::default()));
    st.starts.arm(n64);
    let sup = Sup::<true>::spawn((n, st.clone()));
    let mut ok = st.starts.wait(WAIT_LIMIT).await.is_some();
    let trigger = st.trigger.get().expect("trigger child").clone();
    let mut times = Vec::with_capacity(reps);
    for r in 0..reps64 {
        st.starts.arm(n64 * (r + 2));
        st.stops.arm(n64 * (r + 1));
        let t = Instant::now();
        if !ok || trigger.tell(Fail).await.is_err() {
            ok = false;
            break;
        }
        let Some(at) = st.starts.wait(WAIT_LIMIT).await else {
            ok = false;
            break;
        };
        times.push(at - t);
        ok &= st.stops.wait(WAIT_LIMIT).await.is_some(); // every old incarnation stopped (its on_stop ran)
    }
    tokio::time::sleep(Duration::from_millis(20)).await; // let stray extra restarts show up
    let (starts, stops, max_alive) = (st.starts.get(), st.stops.get(), st.alive.max.load(SeqCst));
    ok = ok && times.len() == reps && starts == n64 * (reps64 + 1) && stops == n64 * reps64 && max_alive <= n;
    stop_and_wait(&sup).await;
    let (med, min, max) = median(&mut times);
    let note = format!("starts={starts} stops={stops} max_alive={max_alive} (n={n}) min={min:?} max={max:?}");
    Some(Outcome { time: med, ok, note })
}
