//! P1: churn of connection-like children (start, run briefly, exit)
//! through one dynamic supervisor, or one of 2 partitions, against raw
//! `tokio::spawn` of the same bodies by the same acceptors.
//!
//! `ACCEPTORS` tasks share the `n` starts, as a server's accept loops
//! would; each child waits a millisecond (its "request") and returns. The time is
//! from the first start to the last child's end.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use supervisor_core::{ChildTemplate, Ctx, DynamicHandle, SupervisorSpec};
use tokio::sync::Notify;

const ACCEPTORS: u64 = 64;

/// How a run starts its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Through {
    /// `tokio::spawn`, nothing supervising.
    Spawn,
    /// One dynamic supervisor (`partitions`: 0), or a partitioned one;
    /// keyed starts, or unkeyed.
    Library { partitions: usize, keyed: bool },
}

struct Ended {
    count: AtomicU64,
    n: u64,
    all: Notify,
}

impl Ended {
    fn one(&self) {
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.all.notify_one();
        }
    }
}

/// The child's body: a short life (its "request" takes a millisecond,
/// waiting, as a connection waits on its peer), then it returns.
async fn connection(ended: Arc<Ended>) {
    tokio::time::sleep(Duration::from_millis(1)).await;
    ended.one();
}

pub(crate) async fn churn(n: u64, through: Through) -> Duration {
    let ended = Arc::new(Ended { count: AtomicU64::new(0), n, all: Notify::new() });
    let next = Arc::new(AtomicU64::new(0));
    let (running, conns) = match through {
        Through::Spawn => (None, None),
        Through::Library { partitions, .. } => {
            let shared = ended.clone();
            let template = ChildTemplate::temporary(move |_ctx: Ctx, _i: u64| connection(shared.clone()));
            let mut spec = SupervisorSpec::dynamic("conns", template);
            if partitions > 0 {
                spec = spec.partitions(partitions);
            }
            // `P1_NESTED=1` puts the dynamic supervisor under a root, for profiling.
            let nested = std::env::var("P1_NESTED").is_ok();
            let spec = spec.build().unwrap_or_else(|e| panic!("{e}"));
            let spec = if nested {
                SupervisorSpec::builder("app").child(supervisor_core::ChildSpec::supervisor(spec)).build().unwrap()
            } else {
                spec
            };
            let running = spec.start().await.unwrap_or_else(|e| panic!("{e}"));
            let conns: DynamicHandle<u64> =
                if nested { running.handle().nested("conns").dynamic() } else { running.handle().dynamic() };
            (Some(running), Some(conns))
        }
    };
    let keyed = matches!(through, Through::Library { keyed: true, .. });
    let t0 = Instant::now();
    let acceptors: Vec<_> = (0..ACCEPTORS)
        .map(|_| {
            let (next, ended, conns) = (next.clone(), ended.clone(), conns.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    match &conns {
                        None => drop(tokio::spawn(connection(ended.clone()))),
                        Some(conns) if keyed => {
                            conns.start_child_keyed(i, i).await.unwrap_or_else(|e| panic!("{e}"));
                        }
                        Some(conns) => {
                            conns.start_child(i).await.unwrap_or_else(|e| panic!("{e}"));
                        }
                    }
                }
            })
        })
        .collect();
    for acceptor in acceptors {
        let _ = acceptor.await;
    }
    // Registered before the check, so the last end cannot slip between.
    let all = ended.all.notified();
    if ended.count.load(Ordering::Acquire) < n {
        all.await;
    }
    let took = t0.elapsed();
    assert_eq!(ended.count.load(Ordering::Acquire), n, "every child ran");
    if let (Some(running), Some(conns)) = (running, conns) {
        let counts = conns.count_children().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(counts.active, 0, "every child has ended and is forgotten");
        let _ = running.shutdown().await;
    }
    took
}
