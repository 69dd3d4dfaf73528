//! A job-worker pool: transient workers take jobs from a shared queue. One
//! job is poison: whoever takes it crashes, and puts it back. Each crash is
//! a restart; the pool's budget (3 in 5 s) runs out and it gives up, which
//! its parent sees as a failed child and restarts it. The poison is still
//! in the queue, so the pool gives up again, until the top supervisor's own
//! budget (2 in 10 s) runs out: the tree ends with that error, and every
//! good job was done first.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use supervisor_core::{Ctx, Event, EventReceiver, SupervisorError, child, supervisor};
use tokio::sync::{Mutex, mpsc};

/// A job: a number to add up, or poison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Work to do.
    Add(u64),
    /// Crashes whoever takes it.
    Poison,
}

/// The shared queue (a child's arguments are cloned for every restart).
#[derive(Clone)]
pub struct Queue {
    tx: mpsc::UnboundedSender<Job>,
    rx: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
}

impl Queue {
    fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Queue { tx, rx: Arc::new(Mutex::new(rx)) }
    }

    async fn take(&self) -> Option<Job> {
        self.rx.lock().await.recv().await
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Tally {
    /// Sum of the jobs done.
    pub sum: AtomicU64,
    /// Jobs done.
    pub done: AtomicU64,
    /// Times the pool gave up.
    pub pool_gave_up: AtomicU64,
    /// Whether the top supervisor gave up in the end.
    pub top_gave_up: std::sync::atomic::AtomicBool,
}

#[child(restart = transient, shutdown = 1s)]
async fn worker(ctx: Ctx, queue: Queue, tally: Arc<Tally>) -> Result<(), String> {
    loop {
        let job = tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            job = queue.take() => job,
        };
        match job {
            None => return Ok(()),
            Some(Job::Add(n)) => {
                tally.sum.fetch_add(n, Ordering::Relaxed);
                tally.done.fetch_add(1, Ordering::Relaxed);
            }
            Some(Job::Poison) => {
                let _ = queue.tx.send(Job::Poison);
                return Err(format!("{} choked on poison", ctx.id()));
            }
        }
    }
}

/// Feeds numbered jobs, then one poison job.
#[child(restart = temporary)]
async fn feeder(ctx: Ctx, queue: Queue, jobs: u64) {
    for n in 1..=jobs {
        if ctx.is_cancelled() || queue.tx.send(Job::Add(n)).is_err() {
            return;
        }
        tokio::task::yield_now().await;
    }
    let _ = queue.tx.send(Job::Poison);
    ctx.cancelled().await;
}

/// Runs the pool until the failure has escalated to the top, or for `limit`.
///
/// # Errors
/// If the tree fails to start.
pub async fn run(limit: Duration) -> Result<Arc<Tally>, Box<dyn std::error::Error>> {
    let queue = Queue::new();
    let tally = Arc::new(Tally::default());
    let tree = supervisor! {
        name: "jobs",
        strategy: one_for_one,
        intensity: 2 per 10s,
        children: [
            pool: supervisor {
                strategy: one_for_one,
                intensity: 3 per 5s,
                children: [
                    w1: worker(queue.clone(), tally.clone()),
                    w2: worker(queue.clone(), tally.clone()),
                    w3: worker(queue.clone(), tally.clone()),
                ],
            },
            feeder: feeder(queue.clone(), 1000),
        ],
    }?;
    let events = tree.subscribe();
    let counting = tokio::spawn(count_pool_give_ups(events, tally.clone()));
    let mut running = tree.start().await?;
    let ended = match tokio::time::timeout(limit, running.wait()).await {
        Ok(ended) => ended,
        Err(_) => running.handle().shutdown().await,
    };
    if let Err(SupervisorError::IntensityExceeded { supervisor, .. }) = &ended {
        tally.top_gave_up.store(supervisor.as_ref() == "jobs", Ordering::Relaxed);
    }
    // The event channel closes once the last handle on the tree is gone.
    drop(running);
    let _ = counting.await;
    tracing::info!(
        done = tally.done.load(Ordering::Relaxed),
        sum = tally.sum.load(Ordering::Relaxed),
        pool_gave_up = tally.pool_gave_up.load(Ordering::Relaxed),
        top_gave_up = tally.top_gave_up.load(Ordering::Relaxed),
        "jobs stopped"
    );
    Ok(tally)
}

async fn count_pool_give_ups(mut events: EventReceiver, tally: Arc<Tally>) {
    while let Ok(event) = events.recv().await {
        if let Event::IntensityExceeded { supervisor, .. } = event {
            if &*supervisor == "jobs/pool" {
                tally.pool_gave_up.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
