//! This library, configured as its README says for "restart at once, no
//! limit": `Intensity::unlimited()`, no backoff (the default).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use supervisor_core::{ChildSpec, Ctx, Intensity, Strategy, SupervisorSpec};
use tokio::sync::Notify;

use crate::outcome::{Alive, Outcome, median};

pub async fn s1_restarts(n: u64) -> Outcome {
    let starts = Arc::new(AtomicU64::new(0));
    let (alive, done) = (Arc::new(Alive::default()), Arc::new(Notify::new()));
    let (s, a, d) = (starts.clone(), alive.clone(), done.clone());
    let spec = SupervisorSpec::builder("s1")
        .intensity(Intensity::unlimited())
        .child(ChildSpec::worker("w", move |ctx: Ctx| {
            let (s, a, d) = (s.clone(), a.clone(), d.clone());
            async move {
                a.up();
                if s.fetch_add(1, Ordering::SeqCst) + 1 < n {
                    a.down();
                    return Err("fail");
                }
                d.notify_one();
                ctx.cancelled().await;
                a.down();
                Ok(())
            }
        }))
        .build()
        .expect("spec");
    let t0 = Instant::now();
    let running = spec.start().await.expect("start");
    done.notified().await;
    let time = t0.elapsed();
    let _ = running.shutdown().await;
    let ok = starts.load(Ordering::SeqCst) == n && alive.most() == 1 && alive.now() == 0;
    Outcome::new(time, ok, "")
}

pub async fn s1b_latency(samples: usize) -> Outcome {
    let failed_at: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let latencies: Arc<std::sync::Mutex<Vec<Duration>>> = Arc::default();
    let done = Arc::new(Notify::new());
    let (f, l, d) = (failed_at.clone(), latencies.clone(), done.clone());
    let spec = SupervisorSpec::builder("s1b")
        .intensity(Intensity::unlimited())
        .child(ChildSpec::worker("w", move |ctx: Ctx| {
            let (f, l, d) = (f.clone(), l.clone(), d.clone());
            async move {
                if let Some(t0) = f.lock().unwrap().take() {
                    l.lock().unwrap().push(t0.elapsed());
                }
                if l.lock().unwrap().len() >= samples {
                    d.notify_one();
                    ctx.cancelled().await;
                    return Ok(());
                }
                *f.lock().unwrap() = Some(Instant::now());
                Err("fail")
            }
        }))
        .build()
        .expect("spec");
    let running = spec.start().await.expect("start");
    done.notified().await;
    let _ = running.shutdown().await;
    let latencies = latencies.lock().unwrap().clone();
    let ok = latencies.len() == samples;
    Outcome::new(median(latencies), ok, "")
}

pub async fn s2_start_stop(n: usize) -> (Outcome, Outcome) {
    let started = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicUsize::new(0));
    let children = (0..n).map(|i| {
        let (started, ended) = (started.clone(), ended.clone());
        ChildSpec::worker(format!("c{i}"), move |ctx: Ctx| {
            let (started, ended) = (started.clone(), ended.clone());
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                ctx.cancelled().await;
                ended.fetch_add(1, Ordering::SeqCst);
            }
        })
    });
    let spec = SupervisorSpec::builder("s2").children(children).build().expect("spec");
    let t0 = Instant::now();
    let running = spec.start().await.expect("start");
    // `start` returns once every child is spawned; as for the others, the
    // time is until each has run.
    while started.load(Ordering::SeqCst) < n {
        tokio::task::yield_now().await;
    }
    let start = t0.elapsed();
    let start_ok = started.load(Ordering::SeqCst) == n;
    let t1 = Instant::now();
    let report = running.shutdown().await;
    let stop = t1.elapsed();
    let stop_ok = report.is_ok_and(|r| r.not_ended().is_empty()) && ended.load(Ordering::SeqCst) == n;
    (Outcome::new(start, start_ok, ""), Outcome::new(stop, stop_ok, ""))
}

pub async fn s4_one_for_all(n: usize, reps: usize) -> Option<Outcome> {
    let trigger = Arc::new(Notify::new());
    let restarted = Arc::new(Notify::new());
    let alive = Arc::new(Alive::default());
    let children = (0..n).map(|i| {
        let (trigger, restarted, alive) = (trigger.clone(), restarted.clone(), alive.clone());
        ChildSpec::worker(format!("c{i}"), move |ctx: Ctx| {
            let (trigger, restarted, alive) = (trigger.clone(), restarted.clone(), alive.clone());
            async move {
                alive.up();
                if i == n - 1 && ctx.generation() > 0 {
                    restarted.notify_one();
                }
                let result = if i == n / 2 {
                    tokio::select! {
                        () = ctx.cancelled() => Ok(()),
                        () = trigger.notified() => Err("fail"),
                    }
                } else {
                    ctx.cancelled().await;
                    Ok(())
                };
                alive.down();
                result
            }
        })
    });
    let spec = SupervisorSpec::builder("s4")
        .strategy(Strategy::OneForAll)
        .intensity(Intensity::unlimited())
        .children(children)
        .build()
        .expect("spec");
    let running = spec.start().await.expect("start");
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        trigger.notify_one();
        restarted.notified().await;
        times.push(t0.elapsed());
    }
    let _ = running.shutdown().await;
    // Never more than the n children alive: no sibling outlived its group.
    let ok = alive.most() == n && alive.now() == 0;
    Some(Outcome::new(median(times), ok, ""))
}
