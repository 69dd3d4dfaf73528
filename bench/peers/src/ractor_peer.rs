//! Peer scenarios for `ractor` 0.16.5, plain supervision idiom (no strategies exist: "Supervision
//! is presently left to the implementor", `ractor-0.16.5/src/lib.rs` section "## Supervision";
//! `ractor-0.16.5/src/actor/supervision.rs` module doc). "Restart at once, no limit" is therefore
//! just what the hand-written `handle_supervisor_evt` does; there is nothing to configure.
//!
//! * S1/S1b: supervisor spawns the child in `pre_start` with `Actor::spawn_linked(.., myself.get_cell())`
//!   (`ractor-0.16.5/examples/supervisor.rs`, `MidLevelActor::pre_start`) and, in `handle_supervisor_evt`
//!   on `ActorFailed`/`ActorTerminated` of that child, spawns the replacement the same way and stores its
//!   ref, as ractor's own factory does for workers (`ractor-0.16.5/src/factory/factoryimpl.rs`,
//!   `handle_supervisor_evt`). The child fails by returning `Err` from `post_start`: `pre_start` errors
//!   fail the spawn call and are NOT supervision events, `post_start` errors "follow the supervision
//!   strategy" (`ractor-0.16.5/src/actor.rs` docs of `pre_start`/`post_start`; test
//!   `test_supervision_error_in_post_startup`, `ractor-0.16.5/src/actor/supervision_tests.rs`).
//!   A "start" = entry of `post_start` (runs in the new actor's own task).
//! * S2/S3: supervisor spawns n children with `spawn_linked` in `pre_start` (same example). Graceful
//!   shutdown = `supervisor.stop(None)` + `myself.stop_children_and_wait(None, None).await` in the
//!   supervisor's `post_stop` (test `stopping_children_and_wait_during_parent_shutdown`,
//!   `src/actor/supervision_tests.rs`; `ActorCell::stop_children_and_wait`, `src/actor/actor_cell.rs`).
//!   Without it a stopping supervisor kills its children (`ActorCell::terminate`) and their `post_stop`
//!   never runs (test `test_supervisor_exit_doesnt_call_child_post_stop`). Children stop concurrently
//!   (JoinSet of `stop_and_wait`, `src/actor/supervision.rs::stop_all_children_and_wait`), not in order.
//! * S4: ractor has no one-for-all strategy -> `None`. (The third-party crate `ractor-supervisor`,
//!   another author, adds strategies; it is not ractor and is not used.)
//!
//! "alive": from `post_start` entry until the actor's `State` is dropped, the end of its task, which
//! `ok` uses, as for every system. ractor notifies the supervisor before the dead actor's task drops
//! its state (`src/actor.rs`, `ActorRuntime::start`: `lifecycle.finish(evt)` precedes the task's
//! end), so a replacement can start while the old incarnation is still alive: S1 then fails its check.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ractor::{Actor, ActorProcessingErr as Err_, ActorRef, SupervisionEvent};
use tokio::sync::Notify;

use crate::Outcome;

#[derive(Default)]
struct Alive {
    now: AtomicUsize,
    max: AtomicUsize,
    overlaps: AtomicUsize,
}
impl Alive {
    fn inc(&self) {
        let v = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(v, SeqCst);
        if v > 1 {
            self.overlaps.fetch_add(1, SeqCst);
        }
    }
    fn dec(&self) {
        self.now.fetch_sub(1, SeqCst);
    }
    fn now(&self) -> usize {
        self.now.load(SeqCst)
    }
    fn max(&self) -> usize {
        self.max.load(SeqCst)
    }
    fn overlaps(&self) -> usize {
        self.overlaps.load(SeqCst)
    }
}
/// Kept in a child's `State`: its drop is the strictest "incarnation has ended".
struct DropGuard(Arc<Alive>);
impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    let m = v.len() / 2;
    match v.len() {
        0 => Duration::ZERO,
        l if l % 2 == 1 => v[m],
        _ => (v[m - 1] + v[m]) / 2,
    }
}
/// Bounded wait (2 s) for a counter to reach zero.
async fn settle_to_zero(a: &Alive) -> bool {
    for _ in 0..2000 {
        if a.now() == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    a.now() == 0
}

// ------------------------------------------------------------------ S1 / S1b
struct FlakyShared {
    n: u64, // the start (1-based) that stays up
    starts: AtomicU64,
    alive: Alive,
    alive_drop: Arc<Alive>,
    record_latency: bool,
    last_fail: Mutex<Option<Instant>>, // taken just before the previous incarnation failed
    samples: Mutex<Vec<Duration>>,
    done_at: Mutex<Option<Instant>>,
    done: Notify,
}
/// Fails from `post_start` until its n-th start, which stays up.
struct FlakyChild(Arc<FlakyShared>);
#[ractor::async_trait]
impl Actor for FlakyChild {
    type Msg = ();
    type State = Option<DropGuard>;
    type Arguments = ();
    async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<Self::State, Err_> {
        Ok(None)
    }
    async fn post_start(&self, _: ActorRef<()>, state: &mut Self::State) -> Result<(), Err_> {
        let sh = &self.0;
        if sh.record_latency {
            let now = Instant::now();
            if let Some(failed_at) = sh.last_fail.lock().unwrap().take() {
                sh.samples.lock().unwrap().push(now - failed_at);
            }
        }
        sh.alive.inc();
        sh.alive_drop.inc();
        *state = Some(DropGuard(sh.alive_drop.clone()));
        let k = sh.starts.fetch_add(1, SeqCst) + 1;
        if k >= sh.n {
            if k == sh.n {
                *sh.done_at.lock().unwrap() = Some(Instant::now());
                sh.done.notify_one();
            }
            return Ok(()); // stays up
        }
        sh.alive.dec(); // the body ends here
        if sh.record_latency {
            *sh.last_fail.lock().unwrap() = Some(Instant::now());
        }
        Err(From::from("boom"))
    }
    async fn post_stop(&self, _: ActorRef<()>, _: &mut Self::State) -> Result<(), Err_> {
        self.0.alive.dec();
        Ok(())
    }
}
/// One-child supervisor: restarts at once, without limit (hand-written: ractor has no knobs).
struct RestartingSupervisor(Arc<FlakyShared>);
#[ractor::async_trait]
impl Actor for RestartingSupervisor {
    type Msg = ();
    type State = ActorRef<()>; // the current child
    type Arguments = ();
    async fn pre_start(&self, myself: ActorRef<()>, _: ()) -> Result<Self::State, Err_> {
        let (child, _) = Actor::spawn_linked(None, FlakyChild(self.0.clone()), (), myself.get_cell()).await?;
        Ok(child)
    }
    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<()>,
        message: SupervisionEvent,
        child: &mut Self::State,
    ) -> Result<(), Err_> {
        match message {
            SupervisionEvent::ActorFailed(who, _) | SupervisionEvent::ActorTerminated(who, _, _)
                if who.get_id() == child.get_id() =>
            {
                let (new_child, _) =
                    Actor::spawn_linked(None, FlakyChild(self.0.clone()), (), myself.get_cell()).await?;
                *child = new_child;
            }
            _ => {}
        }
        Ok(())
    }
    async fn post_stop(&self, myself: ActorRef<()>, _: &mut Self::State) -> Result<(), Err_> {
        myself.stop_children_and_wait(None, None).await;
        Ok(())
    }
}
/// Runs until the n-th start; returns (supervisor start -> n-th start, shared, clean stop).
async fn run_flaky(n: u64, record_latency: bool) -> (Duration, Arc<FlakyShared>, bool) {
    let sh = Arc::new(FlakyShared {
        n,
        starts: AtomicU64::new(0),
        alive: Alive::default(),
        alive_drop: Arc::new(Alive::default()),
        record_latency,
        last_fail: Mutex::new(None),
        samples: Mutex::new(Vec::new()),
        done_at: Mutex::new(None),
        done: Notify::new(),
    });
    let t0 = Instant::now();
    let (sup, handle) = Actor::spawn(None, RestartingSupervisor(sh.clone()), ()).await.expect("supervisor start");
    sh.done.notified().await;
    let time = sh.done_at.lock().unwrap().expect("n-th start timestamp") - t0;
    tokio::time::sleep(Duration::from_millis(20)).await; // a (wrong) extra start would show up here
    sup.stop(None);
    let clean_stop = handle.await.is_ok() && settle_to_zero(&sh.alive_drop).await;
    (time, sh, clean_stop)
}

/// S1 restart throughput.
pub async fn s1_restarts(n: u64) -> Outcome {
    let (time, sh, clean_stop) = run_flaky(n, false).await;
    let starts = sh.starts.load(SeqCst);
    // Strict, as for every system: an incarnation is alive until its task
    // has ended, here until ractor drops its State.
    let ok = starts == n && sh.alive_drop.max() <= 1 && sh.alive.now() == 0 && clean_stop;
    let note = format!(
        "starts={starts}/{n}, max alive={}, max alive until State dropped={} (starts overlapping an \
         undropped State: {}), clean stop={clean_stop}",
        sh.alive.max(),
        sh.alive_drop.max(),
        sh.alive_drop.overlaps()
    );
    Outcome { time, ok, note }
}

/// S1b restart latency: median of (timestamp before failing -> start of the replacement).
pub async fn s1b_latency(samples: usize) -> Outcome {
    let n = samples as u64 + 1; // `samples` failures; the last start stays up
    let (_, sh, clean_stop) = run_flaky(n, true).await;
    let starts = sh.starts.load(SeqCst);
    let mut v = std::mem::take(&mut *sh.samples.lock().unwrap());
    let (got, med) = (v.len(), median(&mut v));
    let ok = got == samples && starts == n && sh.alive_drop.max() <= 1 && clean_stop;
    let note = format!(
        "samples={got}/{samples}, min={:?}, max={:?}, starts={starts}, max alive={}, max alive until \
         State dropped={} (overlaps: {})",
        v.first().copied().unwrap_or_default(),
        v.last().copied().unwrap_or_default(),
        sh.alive.max(),
        sh.alive_drop.max(),
        sh.alive_drop.overlaps()
    );
    Outcome { time: med, ok, note }
}

// ------------------------------------------------------------------ S2 / S3
struct ManyShared {
    n: usize,
    started: AtomicUsize,
    ended: AtomicUsize,
    alive: Alive,
    alive_drop: Arc<Alive>,
    all_started_at: Mutex<Option<Instant>>,
    all_started: Notify,
}
/// Idles in its mailbox until stopped.
struct Waiter(Arc<ManyShared>);
#[ractor::async_trait]
impl Actor for Waiter {
    type Msg = ();
    type State = Option<DropGuard>;
    type Arguments = ();
    async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<Self::State, Err_> {
        Ok(None)
    }
    async fn post_start(&self, _: ActorRef<()>, state: &mut Self::State) -> Result<(), Err_> {
        let sh = &self.0;
        sh.alive.inc();
        sh.alive_drop.inc();
        *state = Some(DropGuard(sh.alive_drop.clone()));
        if sh.started.fetch_add(1, SeqCst) + 1 == sh.n {
            *sh.all_started_at.lock().unwrap() = Some(Instant::now());
            sh.all_started.notify_one();
        }
        Ok(())
    }
    async fn post_stop(&self, _: ActorRef<()>, _: &mut Self::State) -> Result<(), Err_> {
        self.0.ended.fetch_add(1, SeqCst);
        self.0.alive.dec();
        Ok(())
    }
}
struct ManySupervisor(Arc<ManyShared>);
#[ractor::async_trait]
impl Actor for ManySupervisor {
    type Msg = ();
    type State = ();
    type Arguments = ();
    async fn pre_start(&self, myself: ActorRef<()>, _: ()) -> Result<(), Err_> {
        for _ in 0..self.0.n {
            Actor::spawn_linked(None, Waiter(self.0.clone()), (), myself.get_cell()).await?;
        }
        Ok(())
    }
    // Children never fail here; overriding only removes the trait default ("stop the supervisor
    // on any child exit", `src/actor.rs`).
    async fn handle_supervisor_evt(&self, _: ActorRef<()>, _: SupervisionEvent, _: &mut ()) -> Result<(), Err_> {
        Ok(())
    }
    async fn post_stop(&self, myself: ActorRef<()>, _: &mut ()) -> Result<(), Err_> {
        myself.stop_children_and_wait(None, None).await;
        Ok(())
    }
}

/// S2/S3: start n children (time until all n started), then graceful stop (time until all ended).
pub async fn s2_start_stop(n: usize) -> (Outcome, Outcome) {
    let sh = Arc::new(ManyShared {
        n,
        started: AtomicUsize::new(0),
        ended: AtomicUsize::new(0),
        alive: Alive::default(),
        alive_drop: Arc::new(Alive::default()),
        all_started_at: Mutex::new(None),
        all_started: Notify::new(),
    });
    let t0 = Instant::now();
    let (sup, handle) = Actor::spawn(None, ManySupervisor(sh.clone()), ()).await.expect("supervisor start");
    if n > 0 {
        sh.all_started.notified().await;
    }
    let start_time = sh.all_started_at.lock().unwrap().map_or(t0.elapsed(), |t| t - t0);
    let (started, linked) = (sh.started.load(SeqCst), sup.get_children().len());
    let start = Outcome {
        time: start_time,
        ok: started == n && linked == n,
        note: format!("started={started}/{n}, linked children={linked}"),
    };
    let t1 = Instant::now();
    sup.stop(None);
    let joined = handle.await.is_ok(); // returns after the supervisor's post_stop (all children stopped)
    let stop_time = t1.elapsed();
    let (ended, alive, undropped) = (sh.ended.load(SeqCst), sh.alive.now(), sh.alive_drop.now());
    let dropped_later = settle_to_zero(&sh.alive_drop).await;
    let stop = Outcome {
        time: stop_time,
        ok: joined && ended == n && alive == 0 && dropped_later,
        note: format!(
            "ended={ended}/{n}, alive after stop returned={alive}, States not yet dropped \
                       then={undropped} (all dropped within 2 s={dropped_later})"
        ),
    };
    (start, stop)
}

// ------------------------------------------------------------------ S4
/// ractor 0.16.5 has no one-for-all strategy (`src/lib.rs` "## Supervision"): not measured.
pub async fn s4_one_for_all(_n: usize, _reps: usize) -> Option<Outcome> {
    None
}
