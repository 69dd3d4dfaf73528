//! Chaos: a three-level tree of about 150 children whose every incarnation
//! draws a random behaviour (run, return, fail, panic, hang ignoring
//! cancellation, linger when stopped, block its thread for a moment), while
//! random control calls hit random supervisors. Checked throughout and at
//! the end:
//!
//! - never two live incarnations of one child;
//! - every incarnation that started ends with exactly one exit event, and
//!   no event is lost;
//! - shutdown returns within the deadlines it was allowed;
//! - afterwards the runtime's count of alive tasks is back to its baseline.
//!
//! CI runs it for a few seconds. Soak: `CHAOS_FAULTS=1000000 CHAOS_PACE_MS=2
//! cargo test --release -p tests --test chaos -- --nocapture` runs until a
//! million faults and prints the figures (`CHAOS_SECONDS=n` runs for a
//! time instead; `CHAOS_SEED=n` varies the run; the pace scales every
//! delay and deadline, 40 ms by default).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use supervisor_core::{
    ChildSpec, Ctx, Event, Intensity, Restart, Shutdown, Strategy, SupervisorHandle, SupervisorSpec,
};

/// SplitMix64, shared: every draw of the run comes from one seed.
#[derive(Clone)]
struct Dice(Arc<Mutex<u64>>);

impl Dice {
    fn below(&self, n: u64) -> u64 {
        let mut state = self.0.lock().unwrap();
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

#[derive(Default)]
struct Tally {
    live: Mutex<HashMap<String, usize>>,
    /// Helpers (`ctx.spawn`) whose future exists.
    helpers: AtomicUsize,
    twice_alive: AtomicUsize,
    faults: AtomicUsize,
}

/// Counts one live incarnation of a child for as long as it exists.
struct Alive {
    tally: Arc<Tally>,
    path: String,
}

impl Alive {
    fn new(tally: &Arc<Tally>, path: &str) -> Alive {
        let mut live = tally.live.lock().unwrap();
        let n = live.entry(path.to_string()).or_default();
        *n += 1;
        if *n > 1 {
            tally.twice_alive.fetch_add(1, Ordering::SeqCst);
        }
        Alive { tally: tally.clone(), path: path.to_string() }
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        *self.tally.live.lock().unwrap().get_mut(&self.path).unwrap() -= 1;
    }
}

const MS: fn(u64) -> Duration = Duration::from_millis;

/// The longest delay a child waits before its fault, and every child's
/// shutdown timeout, in milliseconds.
fn pace() -> u64 {
    std::env::var("CHAOS_PACE_MS").ok().and_then(|s| s.parse().ok()).unwrap_or(40).max(1)
}

/// Counts a helper for as long as its future exists.
struct Helper(Arc<Tally>);

impl Drop for Helper {
    fn drop(&mut self) {
        self.0.helpers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Up to two helpers: one that stops when asked, one that ignores it (it is
/// aborted with its incarnation), one that fails after a while (and fails
/// its incarnation).
fn spawn_helpers(ctx: &Ctx, dice: &Dice, tally: &Arc<Tally>) {
    for _ in 0..dice.below(3) {
        tally.helpers.fetch_add(1, Ordering::SeqCst);
        let (helper, ctx2, after) = (Helper(tally.clone()), ctx.clone(), MS(1 + dice.below(pace() * 2)));
        match dice.below(3) {
            0 => drop(ctx.spawn(async move {
                let _helper = helper;
                ctx2.cancelled().await;
            })),
            1 => drop(ctx.spawn(async move {
                let _helper = helper;
                std::future::pending::<()>().await;
            })),
            _ => {
                let tally = tally.clone();
                drop(ctx.spawn(async move {
                    let _helper = helper;
                    tokio::select! {
                        () = ctx2.cancelled() => Ok(()),
                        () = tokio::time::sleep(after) => {
                            tally.faults.fetch_add(1, Ordering::Relaxed);
                            Err("chaos: helper failed")
                        }
                    }
                }));
            }
        }
    }
}

async fn chaotic(ctx: Ctx, dice: Dice, tally: Arc<Tally>) -> Result<(), String> {
    let _alive = Alive::new(&tally, ctx.path());
    spawn_helpers(&ctx, &dice, &tally);
    let after = MS(1 + dice.below(pace()));
    let fault = |what: &str| {
        tally.faults.fetch_add(1, Ordering::Relaxed);
        format!("chaos: {what}")
    };
    match dice.below(100) {
        0..=44 => ctx.cancelled().await,
        45..=54 => {
            tokio::select! {
                () = ctx.cancelled() => {}
                () = tokio::time::sleep(after) => { fault("returned"); }
            }
        }
        55..=69 => {
            tokio::select! {
                () = ctx.cancelled() => {}
                () = tokio::time::sleep(after) => return Err(fault("failed")),
            }
        }
        70..=79 => {
            tokio::select! {
                () = ctx.cancelled() => {}
                () = tokio::time::sleep(after) => panic!("{}", fault("panicked")),
            }
        }
        80..=85 => {
            // Hangs, ignoring cancellation: aborted at its deadline.
            fault("hangs");
            std::future::pending::<()>().await;
        }
        86..=93 => {
            // Slow to stop: sometimes within its deadline, sometimes not.
            ctx.cancelled().await;
            tokio::time::sleep(MS(dice.below(pace() * 3 / 2))).await;
        }
        _ => {
            // Blocks its thread for a moment.
            fault("blocks");
            std::thread::sleep(MS(1 + dice.below(3)));
            ctx.cancelled().await;
        }
    }
    Ok(())
}

fn worker(id: String, dice: &Dice, tally: &Arc<Tally>) -> ChildSpec {
    let (d, t) = (dice.clone(), tally.clone());
    let restart = [Restart::Permanent, Restart::Transient, Restart::Permanent][dice.below(3) as usize];
    ChildSpec::worker(id, move |ctx| chaotic(ctx, d.clone(), t.clone()))
        .restart(restart)
        .shutdown(Shutdown::Timeout(MS(pace())))
}

fn group(name: &str, strategy: Strategy, children: Vec<ChildSpec>) -> ChildSpec {
    let spec = SupervisorSpec::builder(name)
        .strategy(strategy)
        .intensity(Intensity::new(200, Duration::from_secs(1)))
        .abort_grace(MS(200))
        .children(children)
        .build()
        .unwrap();
    ChildSpec::supervisor(spec)
}

/// Three levels: root -> 3 groups -> 4 subgroups -> 12 workers, plus a few
/// workers directly under each level: about 150 children.
fn tree(dice: &Dice, tally: &Arc<Tally>) -> (SupervisorSpec, usize) {
    let strategies = [Strategy::OneForOne, Strategy::OneForAll, Strategy::RestForOne];
    let mut count = 0;
    let mut groups = Vec::new();
    for g in 0..3 {
        let mut members = Vec::new();
        for s in 0..4 {
            let workers: Vec<_> = (0..12).map(|w| worker(format!("w{w}"), dice, tally)).collect();
            count += workers.len() + 1;
            members.push(group(&format!("s{s}"), strategies[(g + s) % 3], workers));
        }
        members.extend((0..2).map(|w| worker(format!("x{w}"), dice, tally)));
        count += 3;
        groups.push(group(&format!("g{g}"), strategies[g], members));
    }
    let spec = SupervisorSpec::builder("chaos")
        .intensity(Intensity::new(1000, Duration::from_secs(1)))
        .abort_grace(MS(200))
        .event_capacity(1 << 16)
        .children(groups)
        .child(worker("top".into(), dice, tally))
        .build()
        .unwrap();
    (spec, count + 1)
}

/// Random control calls on random supervisors; every one must answer.
/// Makes random control calls until `until`, or until the run has caused
/// `faults` faults.
async fn meddle(handle: SupervisorHandle, dice: Dice, until: Instant, tally: Arc<Tally>, faults: usize) -> usize {
    let mut calls = 0;
    while Instant::now() < until && tally.faults.load(Ordering::Relaxed) < faults {
        let target = match dice.below(3) {
            0 => handle.clone(),
            1 => handle.nested(&format!("g{}", dice.below(3))),
            _ => handle.nested(&format!("g{}/s{}", dice.below(3), dice.below(4))),
        };
        let id = format!("w{}", dice.below(12));
        let _ = match dice.below(5) {
            0 => target.which_children().await.map(drop),
            1 => target.count_children().await.map(drop),
            2 => target.terminate_child(&id).await,
            3 => target.restart_child(&id).await,
            _ => target.restart_child("x0").await,
        };
        calls += 1;
        tokio::time::sleep(MS(dice.below(5))).await;
    }
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chaotic_tree_keeps_every_invariant() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if !message.starts_with("chaos:") {
            default_hook(info);
        }
    }));
    let env = |name| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    // A soak runs until CHAOS_FAULTS faults (or CHAOS_SECONDS, if also given).
    let fault_target = env("CHAOS_FAULTS").map_or(usize::MAX, |n| n as usize);
    let seconds = env("CHAOS_SECONDS").unwrap_or(if fault_target == usize::MAX { 3 } else { 86_400 });
    let seed = env("CHAOS_SEED").unwrap_or(7);
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();

    let dice = Dice(Arc::new(Mutex::new(seed)));
    let tally = Arc::new(Tally::default());
    let (spec, children) = tree(&dice, &tally);
    // Count every incarnation's start and exit events as they come, from
    // the tree's own start on.
    let mut events = spec.subscribe();
    let running = spec.start().await.unwrap();
    let counter = tokio::spawn(async move {
        let mut seen: HashMap<(Arc<str>, u64), (usize, usize)> = HashMap::new();
        let mut lagged = 0;
        loop {
            match events.recv().await {
                Ok(Event::ChildStarted { path, generation }) => seen.entry((path, generation)).or_default().0 += 1,
                Ok(Event::ChildExited { path, generation, .. } | Event::ChildStopped { path, generation, .. }) => {
                    seen.entry((path, generation)).or_default().1 += 1;
                }
                Ok(_) => {}
                Err(supervisor_core::RecvError::Lagged(n)) => lagged += n,
                Err(supervisor_core::RecvError::Closed) => return (seen, lagged),
            }
        }
    });

    let began = Instant::now();
    let until = began + Duration::from_secs(seconds);
    let meddlers: Vec<_> = (0..2)
        .map(|_| tokio::spawn(meddle(running.handle(), dice.clone(), until, tally.clone(), fault_target)))
        .collect();
    let mut calls = 0;
    for meddler in meddlers {
        calls += meddler.await.unwrap();
    }
    let ran = began.elapsed().as_secs_f64();
    assert_eq!(tally.twice_alive.load(Ordering::SeqCst), 0, "two live incarnations of one child");

    // Every child stops sequentially within its timeout plus the 200 ms
    // abort grace at worst: that sum bounds the whole shutdown.
    let bound = MS(pace() + 200) * children as u32;
    let t0 = Instant::now();
    let outcome = running.shutdown().await;
    let took = t0.elapsed();
    assert!(took < bound, "shutdown took {took:?}, bound {bound:?}");
    let (seen, lagged) = counter.await.unwrap();

    assert_eq!(lagged, 0, "events were lost");
    // A restarted nested supervisor starts its children at generation 0
    // again, so a (path, generation) can recur: its starts and exits must
    // balance, one exit event for every start.
    let mut incarnations = 0;
    for ((path, generation), (starts, exits)) in &seen {
        assert_eq!(starts, exits, "{path}#{generation}: {starts} starts, {exits} exit events");
        incarnations += exits;
    }
    assert_eq!(tally.twice_alive.load(Ordering::SeqCst), 0, "two live incarnations of one child");
    assert!(common::alive_tasks_return_to(baseline).await, "tasks left alive after shutdown");
    assert_eq!(tally.helpers.load(Ordering::SeqCst), 0, "helpers left alive after shutdown");
    let faults = tally.faults.load(Ordering::Relaxed);
    println!(
        "chaos: seed {seed}, {ran:.0} s, {children} children, {incarnations} incarnations, {faults} faults, \
         {calls} control calls, shutdown in {took:?} ({})",
        if outcome.is_ok() { "stopped" } else { "gave up" }
    );
    assert!(faults as f64 > 100.0 * ran, "the run caused too few faults to mean much: {faults}");
    println!("chaos: {:.0} faults per second", faults as f64 / ran);
}
