//! Singleton children with the in-process lease store, in paused time: the
//! deadline arithmetic to the millisecond, lease loss that is no crash,
//! re-campaigns after the child's backoff, a store out of reach that
//! escalates, and never two holders.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use supervisor_core::lease::{LocalLease, Singleton};
use supervisor_core::{
    Backoff, ChildSpec, ChildState, Ctx, Event, ExitReason, Intensity, RunningSupervisor, Shutdown, SpecError,
    SupervisorSpec,
};
use tokio::time::Instant;

const MS: fn(u64) -> Duration = Duration::from_millis;
const S: fn(u64) -> Duration = Duration::from_secs;

/// One incarnation's run: its token, the ms it began, the ms it ended.
type Run = (u64, u128, Option<u128>);

/// What the singleton's incarnations did.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<Vec<Run>>>);

impl Runs {
    fn all(&self) -> Vec<Run> {
        self.0.lock().unwrap().clone()
    }
}

/// Marks its run ended when the child's future is dropped, however.
struct Ends(Runs, usize, Instant);

impl Drop for Ends {
    fn drop(&mut self) {
        self.0.0.lock().unwrap()[self.1].2 = Some(self.2.elapsed().as_millis());
    }
}

/// A singleton worker that records its runs; it lingers `linger` once
/// asked to stop (`None`: it never returns).
fn worker(id: &str, runs: &Runs, t0: Instant, linger: Option<Duration>) -> ChildSpec {
    let runs = runs.clone();
    ChildSpec::worker(id, move |ctx: Ctx| {
        let runs = runs.clone();
        async move {
            let token = ctx.fence().expect("a singleton runs holding its lease").token();
            let index = {
                let mut all = runs.0.lock().unwrap();
                all.push((token, t0.elapsed().as_millis(), None));
                all.len() - 1
            };
            let _ends = Ends(runs, index, t0);
            ctx.cancelled().await;
            match linger {
                Some(linger) => tokio::time::sleep(linger).await,
                None => std::future::pending().await,
            }
        }
    })
}

/// TTL 10 s, renewed every 2 s, margin 1 s: with a 3 s shutdown, a child
/// must have ended 9 s after the last renewal was sent, and is asked to
/// stop after 6 s.
fn lease(store: &LocalLease) -> Singleton {
    Singleton::new("jobs/cron").ttl(S(10)).renew_every(S(2)).margin(S(1)).store(store.clone())
}

async fn start(child: ChildSpec) -> RunningSupervisor {
    SupervisorSpec::builder("app")
        .intensity(Intensity::new(1, S(60)))
        .child(child)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

async fn state(running: &RunningSupervisor) -> ChildState {
    running.handle().which_children().await.unwrap()[0].state
}

#[tokio::test(start_paused = true)]
async fn only_the_holder_runs_the_other_waits_and_takes_over_with_a_higher_token() {
    let (store, runs, t0) = (LocalLease::new(), Runs::default(), Instant::now());
    let spec = |id| worker(id, &runs, t0, Some(MS(10))).shutdown(Shutdown::Timeout(S(3))).singleton(lease(&store));
    let first = start(spec("a")).await;
    tokio::time::sleep(MS(1)).await;
    // `start` returned at once for the second: it waits, visibly, and answers calls.
    let second = start(spec("b")).await;
    tokio::time::sleep(S(30)).await;
    assert_eq!(state(&first).await, ChildState::Running);
    assert_eq!(state(&second).await, ChildState::WaitingForLease);
    assert_eq!(runs.all().len(), 1, "one holder, renewed all along");
    // A graceful stop gives the lease up: the other takes over at once, not after the TTL.
    first.shutdown().await.unwrap();
    tokio::time::sleep(MS(1)).await;
    assert_eq!(state(&second).await, ChildState::Running);
    let all = runs.all();
    assert_eq!(all.len(), 2);
    let (ended, began) = (all[0].2.unwrap(), all[1].1);
    assert!(ended <= began && began <= ended + 1, "{all:?}");
    assert!(all[1].0 > all[0].0, "tokens increase: {all:?}");
    assert_eq!(store.holder("jobs/cron"), Some(all[1].0));
    second.shutdown().await.unwrap();
    assert_eq!(store.holder("jobs/cron"), None);
}

#[tokio::test(start_paused = true)]
async fn late_renewals_stop_the_child_before_the_lease_can_lapse() {
    let (store, runs, t0) = (LocalLease::new(), Runs::default(), Instant::now());
    // Renewals take 8 s to arrive: none comes back before the child must stop.
    store.delay_renewals(S(8));
    let child = worker("w", &runs, t0, Some(S(2))).shutdown(Shutdown::Timeout(S(3))).singleton(lease(&store));
    let running = start(child).await;
    let mut events = running.subscribe();
    tokio::time::sleep(S(7)).await;
    // Asked at 6 s (10 - 1 - 3), it is stopping, not waiting for a lease.
    assert_eq!(state(&running).await, ChildState::Stopping);
    tokio::time::sleep(S(1) + MS(1)).await;
    // It took its 2 s: ended at 8 s, before the hard 9 s.
    assert_eq!(runs.all()[0], (1, 0, Some(8000)));
    let exit = loop {
        if let Event::ChildExited { reason, .. } = events.recv().await.unwrap() {
            break reason;
        }
    };
    assert_eq!(exit, ExitReason::LeaseLost);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_child_that_ignores_the_stop_is_dropped_unpolled_at_the_hard_deadline() {
    let (store, runs, t0) = (LocalLease::new(), Runs::default(), Instant::now());
    store.stall();
    let polled_after = Arc::new(Mutex::new(None::<u128>));
    let last = polled_after.clone();
    let child = ChildSpec::worker("w", move |ctx: Ctx| {
        let last = last.clone();
        async move {
            // Ignores the stop: works on, every 100 ms, until dropped.
            let _ = ctx;
            loop {
                *last.lock().unwrap() = Some(t0.elapsed().as_millis());
                tokio::time::sleep(MS(100)).await;
            }
            #[allow(unreachable_code)]
            ()
        }
    })
    .shutdown(Shutdown::Timeout(S(3)))
    .singleton(lease(&store));
    // The store stalls after granting: the campaign was answered before.
    store.resume();
    let running = start(child).await;
    tokio::time::sleep(MS(1)).await;
    store.stall();
    tokio::time::sleep(S(20)).await;
    // Never renewed: its last step was before 9 s, the hard deadline.
    let last = polled_after.lock().unwrap().unwrap();
    assert!((8900..9000).contains(&last), "last polled at {last} ms");
    let _ = runs;
    drop(running);
}

#[tokio::test(start_paused = true)]
async fn lost_leases_do_not_count_against_intensity_and_the_child_campaigns_again_after_its_backoff() {
    let (store, runs, t0) = (LocalLease::new(), Runs::default(), Instant::now());
    let child = worker("w", &runs, t0, Some(MS(0)))
        .shutdown(Shutdown::Timeout(S(3)))
        .backoff(Backoff::new(MS(500), S(60)))
        .singleton(lease(&store));
    // Intensity 1 in 60 s: a second crash would end the tree.
    let running = start(child).await;
    for round in 0..4u64 {
        tokio::time::sleep(S(1)).await;
        store.lose("jobs/cron");
        // Seen at the next renewal (2 s after the grant), then the backoff.
        tokio::time::sleep(S(10)).await;
        assert_eq!(runs.all().len() as u64, round + 2, "{:?}", runs.all());
    }
    let all = runs.all();
    let gaps: Vec<u128> = all.windows(2).map(|w| w[1].1 - w[0].2.unwrap()).collect();
    assert_eq!(gaps, [500, 1000, 2000, 4000], "{all:?}");
    assert!(all.windows(2).all(|w| w[1].0 > w[0].0));
    let report = running.shutdown().await.unwrap();
    assert_eq!(report.children[0].exit, Some(ExitReason::Stopped));
}

/// Runs an idle singleton whose store gives up after 5 s out of reach,
/// in a tree of `intensity`, until the tree gives up: how long that took,
/// and its error.
async fn until_it_escalates(store: &LocalLease, intensity: u32) -> (Duration, String) {
    let child = ChildSpec::worker("w", |ctx: Ctx| async move { ctx.cancelled().await })
        .shutdown(Shutdown::Timeout(S(3)))
        .singleton(lease(store).unreachable_after(S(5)));
    let tree = SupervisorSpec::builder("app").intensity(Intensity::new(intensity, S(60))).child(child).build().unwrap();
    let mut running = tree.start().await.unwrap();
    let started = Instant::now();
    let error = running.wait().await.unwrap_err();
    (started.elapsed(), error.to_string())
}

#[tokio::test(start_paused = true)]
async fn a_store_out_of_reach_longer_than_allowed_is_a_failure_that_escalates() {
    let store = LocalLease::new();
    store.unreachable(true);
    let (took, error) = until_it_escalates(&store, 1).await;
    // Two failures of 5 s each, the second beyond the intensity of 1.
    assert_eq!(took.as_secs(), 10);
    assert!(error.contains("lease store unreachable for 5s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_store_stalled_while_campaigning_escalates_too() {
    // Its calls time out after 2 s, as a client of a real store would.
    let store = LocalLease::new();
    store.stall();
    let (took, error) = until_it_escalates(&store, 0).await;
    // Calls sent at 0, 2.05 (after a 50 ms pause) and 4.15 s fail 2 s
    // later: at 6.15 s the store has not answered for 5 s since the first.
    assert_eq!(took.as_millis(), 6150);
    assert!(error.contains("did not answer within 2s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_waiting_singleton_stops_at_once_and_the_fence_is_the_holders_token() {
    let store = LocalLease::new();
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let holder = ChildSpec::worker("w", move |ctx: Ctx| {
        let record = record.clone();
        async move {
            *record.lock().unwrap() = ctx.fence();
            ctx.cancelled().await;
        }
    })
    .shutdown(Shutdown::Timeout(S(3)))
    .singleton(lease(&store));
    let standby = ChildSpec::worker("w", |ctx: Ctx| async move { ctx.cancelled().await })
        .shutdown(Shutdown::Timeout(S(3)))
        .singleton(lease(&store));
    let first = start(holder).await;
    let second = start(standby).await;
    tokio::time::sleep(S(1)).await;
    let fence = seen.lock().unwrap().clone().unwrap();
    assert_eq!((fence.key(), Some(fence.token())), ("jobs/cron", store.holder("jobs/cron")));
    let stopping = Instant::now();
    let report = second.shutdown().await.unwrap();
    assert_eq!(stopping.elapsed(), Duration::ZERO);
    assert_eq!(report.children[0].exit, Some(ExitReason::Stopped));
    assert_eq!(store.holder("jobs/cron"), Some(fence.token()), "the standby never held it");
    first.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn nested_supervisors_inherit_the_trees_store() {
    let store = LocalLease::new();
    let child = ChildSpec::worker("w", |ctx: Ctx| async move { ctx.cancelled().await })
        .shutdown(Shutdown::Timeout(S(1)))
        .singleton(Singleton::new("nested/key"));
    let inner = SupervisorSpec::builder("inner").child(child).build().unwrap();
    let tree = SupervisorSpec::builder("app").leases(store.clone()).child(inner.into()).build().unwrap();
    let running = tree.start().await.unwrap();
    tokio::time::sleep(MS(1)).await;
    assert!(store.holder("nested/key").is_some());
    running.shutdown().await.unwrap();
    assert!(store.holder("nested/key").is_none());
}

#[test]
fn a_lease_that_cannot_outlast_the_stop_is_a_build_error() {
    let idle = |ctx: Ctx| async move { ctx.cancelled().await };
    let build = |child: ChildSpec| SupervisorSpec::builder("app").child(child).build().map(|_| ());
    let short = Singleton::new("k").ttl(S(8)).renew_every(S(2)).margin(S(1));
    // 8 s <= 2 + 1 + 5 (a worker's default shutdown).
    let error = build(ChildSpec::worker("w", idle).singleton(short.clone())).unwrap_err();
    assert!(matches!(&error, SpecError::InvalidSingleton { child, .. } if &**child == "w"), "{error}");
    assert!(error.to_string().contains("TTL of 8s is too short"), "{error}");
    assert!(build(ChildSpec::worker("w", idle).shutdown(Shutdown::Timeout(S(4))).singleton(short.clone())).is_ok());
    let infinite = build(ChildSpec::worker("w", idle).shutdown(Shutdown::Infinity).singleton(short.clone()));
    assert!(infinite.unwrap_err().to_string().contains("infinity"));
    let sub = SupervisorSpec::builder("sub").build().unwrap();
    let nested = build(ChildSpec::supervisor(sub).shutdown(Shutdown::Brutal).singleton(short.clone()));
    assert!(nested.unwrap_err().to_string().contains("only a worker"));
    // Durations too long to add up are refused like any other, not a panic.
    let forever = build(ChildSpec::worker("w", idle).shutdown(Shutdown::Timeout(Duration::MAX)).singleton(short));
    assert!(forever.unwrap_err().to_string().contains("too short"));
    let huge = build(ChildSpec::worker("w", idle).singleton(Singleton::new("k").ttl(Duration::MAX)));
    assert!(huge.unwrap_err().to_string().contains("longest allowed"));
}

#[tokio::test(start_paused = true)]
async fn a_child_started_at_run_time_with_a_bad_lease_is_refused_and_the_loop_answers_on() {
    let running = SupervisorSpec::builder("app").build().unwrap().start().await.unwrap();
    let idle = |ctx: Ctx| async move { ctx.cancelled().await };
    let forever = ChildSpec::worker("w", idle)
        .shutdown(Shutdown::Timeout(Duration::MAX))
        .singleton(Singleton::new("k").renew_every(Duration::MAX));
    assert!(running.handle().start_child(forever).await.is_err());
    assert!(running.handle().which_children().await.unwrap().is_empty());
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn nothing_of_the_child_runs_before_its_lease_is_held_its_factory_included() {
    let store = LocalLease::new();
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let spec = |id: &str| {
        let made = made.clone();
        ChildSpec::worker(id, move |ctx: Ctx| {
            // The factory itself, and a helper it spawns, run as the holder.
            assert!(ctx.fence().is_some(), "made before its lease was held");
            made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let helper = ctx.clone();
            ctx.spawn(async move { helper.cancelled().await });
            async move { ctx.cancelled().await }
        })
        .shutdown(Shutdown::Timeout(S(3)))
        .singleton(lease(&store))
    };
    let first = start(spec("a")).await;
    let second = start(spec("b")).await;
    tokio::time::sleep(S(30)).await;
    assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1, "only the holder's factory ran");
    assert_eq!(state(&second).await, ChildState::WaitingForLease);
    first.shutdown().await.unwrap();
    tokio::time::sleep(MS(1)).await;
    assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(state(&second).await, ChildState::Running);
    second.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_panicking_factory_fails_the_start_and_gives_the_lease_up() {
    let store = LocalLease::new();
    let child = ChildSpec::worker("w", |_ctx: Ctx| -> std::future::Ready<()> { panic!("no config") })
        .shutdown(Shutdown::Timeout(S(3)))
        .singleton(lease(&store));
    let spec = SupervisorSpec::builder("app").intensity(Intensity::new(1, S(60))).child(child).build().unwrap();
    // `start` does not wait for a singleton: its factory runs once it holds
    // the lease, panics, and fails the incarnation, twice, and the tree gives up.
    let mut running = spec.start().await.unwrap();
    let error = running.wait().await.unwrap_err();
    assert!(format!("{error:?}").contains("no config"), "{error:?}");
    assert_eq!(store.holder("jobs/cron"), None, "the lease was given up");
}

#[tokio::test(start_paused = true)]
async fn a_grant_too_late_to_run_is_given_back_and_the_child_campaigns_again() {
    let (store, runs, t0) = (LocalLease::new(), Runs::default(), Instant::now());
    // Asked to stop 6 s after the request was sent: a grant heard after 7 s
    // cannot run.
    store.delay_grants(S(7));
    let running = start(worker("w", &runs, t0, None).shutdown(Shutdown::Timeout(S(3))).singleton(lease(&store))).await;
    tokio::time::sleep(S(7) + MS(1)).await;
    assert!(runs.all().is_empty(), "it ran on a lease it could not keep");
    assert_eq!(store.holder("jobs/cron"), None, "given back, not left to lapse");
    assert_eq!(state(&running).await, ChildState::WaitingForLease);
    // Grants in time again: it runs, on a new token.
    store.delay_grants(Duration::ZERO);
    tokio::time::sleep(S(1)).await;
    assert_eq!(state(&running).await, ChildState::Running);
    assert_eq!(runs.all().len(), 1);
    assert!(runs.all()[0].0 > 1, "{:?}", runs.all());
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_killed_holder_gives_its_lease_up_at_once() {
    let (store, runs, t0) = (LocalLease::new(), Runs::default(), Instant::now());
    let spec = |id| worker(id, &runs, t0, None).shutdown(Shutdown::Timeout(S(3))).singleton(lease(&store));
    let first = start(spec("a")).await;
    tokio::time::sleep(MS(1)).await;
    let second = start(spec("b")).await;
    tokio::time::sleep(S(1)).await;
    // Aborted, not asked: its future is dropped, then its lease released.
    first.handle().kill_child("a").await.unwrap();
    tokio::time::sleep(MS(1)).await;
    let all = runs.all();
    assert!(all[0].2.is_some(), "{all:?}");
    assert_eq!(state(&second).await, ChildState::Running, "taken over before the TTL: {all:?}");
    assert_eq!(store.holder("jobs/cron"), Some(all[1].0));
    second.shutdown().await.unwrap();
    first.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_store_that_stalls_briefly_is_renewed_again_and_the_child_runs_on() {
    let (store, runs, t0) = (LocalLease::new(), Runs::default(), Instant::now());
    let child = worker("w", &runs, t0, Some(MS(0))).shutdown(Shutdown::Timeout(S(3))).singleton(lease(&store));
    let running = start(child).await;
    tokio::time::sleep(S(1)).await;
    // The renewals at 2 s and 4 s hang; the store answers again at 5 s, before the stop at 6 s.
    store.stall();
    tokio::time::sleep(S(4)).await;
    store.resume();
    tokio::time::sleep(S(30)).await;
    assert_eq!(runs.all(), [(1, 0, None)]);
    assert_eq!(state(&running).await, ChildState::Running);
    running.shutdown().await.unwrap();
}

/// A singleton whose helper fails once the fence is gone, and another
/// helper that ignores being asked to stop.
fn with_helpers(store: &LocalLease) -> ChildSpec {
    ChildSpec::worker("w", |ctx: Ctx| async move {
        let watcher = ctx.clone();
        ctx.spawn_named("guard", async move {
            loop {
                if watcher.fence().is_none() {
                    return Err("no fence");
                }
                tokio::time::sleep(MS(100)).await;
            }
        });
        ctx.spawn_named("stubborn", async {
            std::future::pending::<()>().await;
        });
        std::future::pending::<()>().await;
    })
    .shutdown(Shutdown::Timeout(S(3)))
    .singleton(lease(store))
}

#[tokio::test(start_paused = true)]
async fn helpers_failing_for_a_lost_lease_are_a_lost_lease_and_stubborn_ones_are_aborted_in_time() {
    let store = LocalLease::new();
    let running = start(with_helpers(&store)).await;
    let mut events = running.subscribe();
    for _ in 0..3 {
        tokio::time::sleep(S(1)).await;
        let lost_at = Instant::now();
        store.lose("jobs/cron");
        let reason = loop {
            if let Event::ChildExited { reason, .. } = events.recv().await.unwrap() {
                break reason;
            }
        };
        // Seen at the next renewal (within 2 s), the stubborn helper aborted
        // after the shutdown time (3 s) and before the hard deadline.
        assert_eq!(reason, ExitReason::LeaseLost);
        assert!(lost_at.elapsed() <= S(5), "{:?}", lost_at.elapsed());
    }
    // Three losses under an intensity of 1: none counted.
    assert_ne!(state(&running).await, ChildState::Stopped);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_helper_failing_while_the_lease_is_held_fails_the_child_and_the_lease_is_given_up() {
    let store = LocalLease::new();
    let child = ChildSpec::worker("w", |ctx: Ctx| async move {
        ctx.spawn_named("flaky", async {
            tokio::time::sleep(S(1)).await;
            Err::<(), _>("broke")
        });
        std::future::pending::<()>().await;
    })
    .shutdown(Shutdown::Timeout(S(3)))
    .backoff(Backoff::new(S(5), S(5)))
    .singleton(lease(&store));
    let running = start(child).await;
    let mut events = running.subscribe();
    let reason = loop {
        if let Event::ChildExited { reason, .. } = events.recv().await.unwrap() {
            break reason;
        }
    };
    assert!(matches!(&reason, ExitReason::Failed(why) if why.contains("helper `flaky` failed: broke")), "{reason}");
    // Released, not left to lapse: free during the backoff.
    assert_eq!(store.holder("jobs/cron"), None);
    running.shutdown().await.unwrap();
}
