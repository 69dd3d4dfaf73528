//! The raw-tokio floor: the same work by hand, with nothing supervising.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::outcome::{Alive, Outcome, median};

pub async fn s1_restarts(n: u64) -> Outcome {
    let starts = Arc::new(AtomicU64::new(0));
    let alive = Arc::new(Alive::default());
    let t0 = Instant::now();
    loop {
        let (s, a) = (starts.clone(), alive.clone());
        let handle = tokio::spawn(async move {
            a.up();
            let last = s.fetch_add(1, Ordering::SeqCst) + 1 >= n;
            a.down();
            if last { Ok(()) } else { Err("fail") }
        });
        if let Ok(Ok(())) = handle.await {
            break;
        }
    }
    let time = t0.elapsed();
    Outcome::new(time, starts.load(Ordering::SeqCst) == n && alive.most() == 1, "")
}

pub async fn s1b_latency(samples: usize) -> Outcome {
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let first = tokio::spawn(async move {
            let failed_at = Instant::now();
            Err::<(), _>(failed_at)
        });
        let Ok(Err(failed_at)) = first.await else { continue };
        let second = tokio::spawn(async move { failed_at.elapsed() });
        latencies.push(second.await.unwrap_or_default());
    }
    let ok = latencies.len() == samples;
    Outcome::new(median(latencies), ok, "")
}

pub async fn s2_start_stop(n: usize) -> (Outcome, Outcome) {
    let started = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks: Vec<(Arc<Notify>, JoinHandle<()>)> = Vec::with_capacity(n);
    for _ in 0..n {
        let stop = Arc::new(Notify::new());
        let (s, e, st) = (started.clone(), ended.clone(), stop.clone());
        tasks.push((
            stop,
            tokio::spawn(async move {
                s.fetch_add(1, Ordering::SeqCst);
                st.notified().await;
                e.fetch_add(1, Ordering::SeqCst);
            }),
        ));
    }
    while started.load(Ordering::SeqCst) < n {
        tokio::task::yield_now().await;
    }
    let start = t0.elapsed();
    let t1 = Instant::now();
    // In order, last first, each under a 5 s timeout: an ordered shutdown.
    while let Some((stop, mut handle)) = tasks.pop() {
        stop.notify_one();
        if tokio::time::timeout(Duration::from_secs(5), &mut handle).await.is_err() {
            handle.abort();
        }
    }
    let stop = t1.elapsed();
    (Outcome::new(start, true, ""), Outcome::new(stop, ended.load(Ordering::SeqCst) == n, ""))
}

pub async fn s4_one_for_all(n: usize, reps: usize) -> Option<Outcome> {
    let failing = n / 2;
    let spawn = |i: usize, trigger: Arc<Notify>| {
        let stop = Arc::new(Notify::new());
        let own = stop.clone();
        let handle = tokio::spawn(async move {
            if i == failing {
                tokio::select! {
                    () = own.notified() => return Ok(()),
                    () = trigger.notified() => return Err("fail"),
                }
            }
            own.notified().await;
            Ok::<(), &str>(())
        });
        (stop, handle)
    };
    let trigger = Arc::new(Notify::new());
    let mut tasks: Vec<_> = (0..n).map(|i| spawn(i, trigger.clone())).collect();
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        trigger.notify_one();
        let _ = (&mut tasks[failing].1).await;
        for (i, (stop, handle)) in tasks.iter_mut().enumerate().rev() {
            if i != failing {
                stop.notify_one();
                let _ = handle.await;
            }
        }
        tasks = (0..n).map(|i| spawn(i, trigger.clone())).collect();
        times.push(t0.elapsed());
    }
    for (stop, handle) in tasks {
        stop.notify_one();
        let _ = handle.await;
    }
    Some(Outcome::new(median(times), true, ""))
}
