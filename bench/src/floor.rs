//! The same scenarios, hand-written on raw tokio: the floor a supervisor's
//! overhead is measured against.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::library::{Counted, median};

/// S1: spawn, await the handle, spawn again; the same child body as the
/// library's (bump a shared counter, fail until the n-th start).
pub(crate) async fn restarts(n: u64) -> Duration {
    let shared = Arc::new(Counted { starts: AtomicU64::new(0), done: Notify::new() });
    let t0 = Instant::now();
    loop {
        let state = shared.clone();
        let handle = tokio::spawn(async move {
            if state.starts.fetch_add(1, Ordering::Relaxed) + 1 < n {
                return Err("fail");
            }
            state.done.notify_one();
            Ok(())
        });
        if let Ok(Ok(())) = handle.await {
            break;
        }
    }
    t0.elapsed()
}

/// S1h: S1 where each task spawns a helper task waiting for a token, and
/// cancels and awaits it before it ends, as structured code would by hand.
pub(crate) async fn restarts_with_helper(n: u64) -> Duration {
    let shared = Arc::new(Counted { starts: AtomicU64::new(0), done: Notify::new() });
    let t0 = Instant::now();
    loop {
        let state = shared.clone();
        let handle = tokio::spawn(async move {
            let token = CancellationToken::new();
            let helper = tokio::spawn(token.clone().cancelled_owned());
            let last = state.starts.fetch_add(1, Ordering::Relaxed) + 1 >= n;
            token.cancel();
            let _ = helper.await;
            if !last {
                return Err("fail");
            }
            state.done.notify_one();
            Ok(())
        });
        if let Ok(Ok(())) = handle.await {
            break;
        }
    }
    t0.elapsed()
}

/// S1b: a task returns its error; the awaiting code spawns the replacement.
pub(crate) async fn restart_latency(samples: usize) -> Duration {
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let failed_at: Arc<Mutex<Option<Instant>>> = Arc::default();
        let f = failed_at.clone();
        let first = tokio::spawn(async move {
            *f.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
            Err::<(), _>("fail")
        });
        let _ = first.await;
        let f = failed_at.clone();
        let second = tokio::spawn(async move {
            f.lock().unwrap_or_else(|e| e.into_inner()).map(|t0| t0.elapsed()).unwrap_or_default()
        });
        latencies.push(second.await.unwrap_or_default());
    }
    median(latencies)
}

/// S2 and S3: spawn `n` tasks waiting for their own token; then cancel and
/// await them one at a time in reverse, each under a 5 s timeout.
pub(crate) async fn start_stop(n: usize) -> (Duration, Duration) {
    let t0 = Instant::now();
    let mut tasks: Vec<(CancellationToken, JoinHandle<()>)> = Vec::with_capacity(n);
    for _ in 0..n {
        let token = CancellationToken::new();
        let child = token.clone();
        tasks.push((token, tokio::spawn(async move { child.cancelled().await })));
    }
    let start = t0.elapsed();
    let t1 = Instant::now();
    while let Some((token, mut handle)) = tasks.pop() {
        token.cancel();
        if tokio::time::timeout(Duration::from_secs(5), &mut handle).await.is_err() {
            handle.abort();
            let _ = handle.await;
        }
    }
    (start, t1.elapsed())
}

/// S4: `n` tasks; one fails; the others are cancelled and awaited in reverse
/// order, then all are spawned again in order. The median of `reps`.
pub(crate) async fn group_restart(n: usize, reps: usize) -> Duration {
    let trigger = Arc::new(Notify::new());
    let failing = n / 2;
    let spawn = |i: usize, trigger: Arc<Notify>| {
        let token = CancellationToken::new();
        let child = token.clone();
        let handle = tokio::spawn(async move {
            if i == failing {
                tokio::select! {
                    () = child.cancelled() => return Ok(()),
                    () = trigger.notified() => return Err("fail"),
                }
            }
            child.cancelled().await;
            Ok(())
        });
        (token, handle)
    };
    let mut tasks: Vec<_> = (0..n).map(|i| spawn(i, trigger.clone())).collect();
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        trigger.notify_one();
        let _ = (&mut tasks[failing].1).await;
        for (i, (token, handle)) in tasks.iter_mut().enumerate().rev() {
            if i != failing {
                token.cancel();
                let _ = handle.await;
            }
        }
        tasks = (0..n).map(|i| spawn(i, trigger.clone())).collect();
        times.push(t0.elapsed());
    }
    for (token, handle) in tasks {
        token.cancel();
        let _ = handle.await;
    }
    median(times)
}
