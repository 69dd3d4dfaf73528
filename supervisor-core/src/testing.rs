//! A kit for testing your own trees (cargo feature `test-util`): run them
//! under paused time, inject faults into children, and assert over the
//! events they record.
//!
//! Under `#[tokio::test(start_paused = true)]` (or [`run_paused`]) time
//! stands still until every task waits, then jumps to the next timer, so
//! backoff delays, intensity periods and shutdown deadlines are exact and
//! cost nothing.
//!
//! ```
//! use std::time::Duration;
//! use supervisor_core::testing::{EventLog, Fault, Faults, advance};
//! use supervisor_core::{Backoff, ChildSpec, Ctx, ExitReason, Intensity, Restart, SupervisorSpec};
//!
//! # fn main() -> std::io::Result<()> {
//! supervisor_core::testing::run_paused(async {
//!     // The worker under test fails on its first start and panics on its second.
//!     let worker = ChildSpec::worker("worker", |ctx: Ctx| async move { ctx.cancelled().await })
//!         .restart(Restart::Transient)
//!         .backoff(Backoff::new(Duration::from_millis(100), Duration::from_secs(1)));
//!     let faults = Faults::new().on(1, Fault::fail("db down")).on(2, Fault::panic("bug").after(Duration::from_secs(1)));
//!     let spec = SupervisorSpec::builder("app")
//!         .intensity(Intensity::new(3, Duration::from_secs(10)))
//!         .child(faults.inject(worker)?)
//!         .build()?;
//!
//!     let mut log = EventLog::new(spec.subscribe());
//!     let running = spec.start().await?;
//!     advance(Duration::from_secs(2)).await;
//!     assert_eq!(log.exits("app/worker"), [ExitReason::Failed("db down".into()), ExitReason::Panicked("bug".into())]);
//!     assert_eq!(log.starts("app/worker"), 3);
//!     running.shutdown().await?;
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })?
//! .expect("the tree behaves");
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::child_spec::{Body, Launch, launcher};
use crate::ctx::Ctx;
use crate::event::{Event, EventReceiver, TryRecvError};
use crate::exit::ExitReason;
use crate::{ChildSpec, SupervisorSpec};

/// Runs `future` to completion on a fresh single-threaded runtime whose
/// clock starts paused, for tests that do not use `#[tokio::test]`.
///
/// # Errors
/// If the runtime cannot be built.
pub fn run_paused<F: Future>(future: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build()?;
    Ok(runtime.block_on(future))
}

/// Lets every task that can run, run (the supervisor loops handle their
/// messages), without moving time.
pub async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

/// Lets `by` pass, then [`settle`]s. Under paused time this is instant and
/// exact: the clock jumps from timer to timer, each firing at its own
/// time, as tasks go idle.
pub async fn advance(by: Duration) {
    tokio::time::sleep(by).await;
    settle().await;
}

/// What a faulty start of a child does instead of running its body. A
/// faulty start never calls [`Ctx::ready`], so with `wait_ready` it is a
/// failed start.
#[derive(Clone, Debug)]
#[must_use]
pub struct Fault {
    kind: FaultKind,
    after: Duration,
}

#[derive(Clone, Debug)]
enum FaultKind {
    Fail(Arc<str>),
    Panic(String),
    Hang,
}

impl Fault {
    /// Returns `Err(error)`.
    pub fn fail(error: impl Into<Arc<str>>) -> Fault {
        Fault { kind: FaultKind::Fail(error.into()), after: Duration::ZERO }
    }

    /// Panics with `message`.
    pub fn panic(message: impl Into<String>) -> Fault {
        Fault { kind: FaultKind::Panic(message.into()), after: Duration::ZERO }
    }

    /// Never returns and ignores every stop request: its supervisor must
    /// abort it at its shutdown deadline.
    pub fn hang() -> Fault {
        Fault { kind: FaultKind::Hang, after: Duration::ZERO }
    }

    /// Runs for `after` first (stopping normally if asked to meanwhile).
    pub fn after(mut self, after: Duration) -> Fault {
        self.after = after;
        self
    }

    async fn play(self, ctx: Ctx) -> Result<(), Arc<str>> {
        let asked_to_stop = async {
            tokio::select! {
                () = ctx.cancelled() => true,
                () = tokio::time::sleep(self.after) => false,
            }
        };
        match self.kind {
            FaultKind::Hang => std::future::pending().await,
            _ if asked_to_stop.await => Ok(()),
            FaultKind::Fail(error) => Err(error),
            FaultKind::Panic(message) => std::panic::panic_any(message),
        }
    }
}

/// Faults to inject into one child, by the number of its start (1 for the
/// first start, 2 for the first restart, ...). Other starts run the
/// child's own body.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Faults {
    script: Vec<(u64, Fault)>,
}

/// Why faults could not be injected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// Faults go into workers; a nested supervisor's own children are
    /// addressed by their path.
    #[error("`{id}` is a supervisor: inject faults into one of its workers, by path")]
    NotAWorker {
        /// The child.
        id: Arc<str>,
    },
    /// No child at this path.
    #[error("no child at `{path}` (give the path below the tree, such as `consumers/orders`)")]
    NotFound {
        /// The path.
        path: String,
    },
}

impl Faults {
    /// No faults yet.
    pub fn new() -> Faults {
        Faults::default()
    }

    /// The `start`-th start (counting from 1) does `fault`.
    pub fn on(mut self, start: u64, fault: Fault) -> Faults {
        self.script.retain(|(n, _)| *n != start);
        self.script.push((start, fault));
        self
    }

    /// The same worker spec, with the faults in place of its body on their
    /// starts.
    ///
    /// # Errors
    /// [`FaultError::NotAWorker`] for a nested supervisor's spec.
    pub fn inject(self, mut spec: ChildSpec) -> Result<ChildSpec, FaultError> {
        let Body::Worker(body) = &spec.body else {
            return Err(FaultError::NotAWorker { id: spec.id.clone() });
        };
        let faulty: Vec<(u64, Launch)> = self
            .script
            .into_iter()
            .map(|(start, fault)| (start, launcher(move |ctx| fault.clone().play(ctx))))
            .collect();
        let body = body.clone();
        let starts = AtomicU64::new(0);
        spec.body = Body::Worker(Arc::new(move |ctx, report, span, holder| {
            let start = starts.fetch_add(1, Ordering::Relaxed) + 1;
            let launch = faulty.iter().find(|(n, _)| *n == start).map_or(&body, |(_, launch)| launch);
            launch(ctx, report, span, holder)
        }));
        Ok(spec)
    }

    /// The same tree, with the faults injected into the worker at `path`
    /// below it (`worker`, or `consumers/orders` in a nested supervisor).
    ///
    /// # Errors
    /// [`FaultError::NotFound`] if no child has that path,
    /// [`FaultError::NotAWorker`] if it is a supervisor.
    pub fn inject_at(self, mut tree: SupervisorSpec, path: &str) -> Result<SupervisorSpec, FaultError> {
        let not_found = || FaultError::NotFound { path: path.to_owned() };
        let (id, rest) = path.split_once('/').map_or((path, None), |(id, rest)| (id, Some(rest)));
        let child = tree.children.iter_mut().find(|child| &*child.id == id).ok_or_else(not_found)?;
        match (rest, &child.body) {
            (None, _) => *child = self.inject(child.clone())?,
            (Some(rest), Body::Supervisor(nested)) => {
                let nested = self.inject_at(SupervisorSpec::clone(nested), rest).map_err(|error| match error {
                    FaultError::NotFound { .. } => not_found(),
                    other => other,
                })?;
                child.body = Body::Supervisor(Arc::new(nested));
            }
            (Some(_), Body::Worker(_)) => return Err(not_found()),
        }
        Ok(tree)
    }
}

/// Every event a tree has published, kept for assertions. Reading drains
/// what has arrived since, so call it after the tree has done its work
/// (after [`advance`], `settle` or `shutdown`).
///
/// ```
/// use supervisor_core::testing::EventLog;
/// use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = SupervisorSpec::builder("app")
///     .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
///     .build()?;
/// let mut log = EventLog::new(spec.subscribe());
/// spec.start().await?.shutdown().await?;
/// assert_eq!(log.lines(), ["started app/idle#0", "stopped app/idle#0 stopped after 0ms", "supervisor stopped app"]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct EventLog {
    receiver: EventReceiver,
    seen: Vec<Event>,
    missed: u64,
}

impl EventLog {
    /// A log fed by `receiver`: from `SupervisorSpec::subscribe` to see the
    /// tree's start, or from a handle.
    pub fn new(receiver: EventReceiver) -> EventLog {
        EventLog { receiver, seen: Vec::new(), missed: 0 }
    }

    /// Every event so far, in order.
    ///
    /// # Panics
    /// If the log fell so far behind that the channel dropped events: an
    /// assertion over a partial log would mislead.
    pub fn events(&mut self) -> &[Event] {
        loop {
            match self.receiver.try_recv() {
                Ok(event) => self.seen.push(event),
                Err(TryRecvError::Lagged(n)) => self.missed += n,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        assert!(self.missed == 0, "the event log missed {} events: read it more often", self.missed);
        &self.seen
    }

    /// Every event so far, one line each (see [`Event`]'s `Display`).
    pub fn lines(&mut self) -> Vec<String> {
        self.events().iter().map(ToString::to_string).collect()
    }

    /// How many times the child at `path` (such as `app/worker`) started.
    pub fn starts(&mut self, path: &str) -> usize {
        self.events().iter().filter(|e| matches!(e, Event::ChildStarted { path: p, .. } if &**p == path)).count()
    }

    /// How the child at `path` exited by itself, each time, in order
    /// (stops asked for by its supervisor are not exits).
    pub fn exits(&mut self, path: &str) -> Vec<ExitReason> {
        self.events()
            .iter()
            .filter_map(|e| match e {
                Event::ChildExited { path: p, reason, .. } if &**p == path => Some(reason.clone()),
                _ => None,
            })
            .collect()
    }

    /// Whether the supervisor at `path` gave up (restart intensity
    /// exceeded).
    pub fn gave_up(&mut self, path: &str) -> bool {
        self.events().iter().any(|e| matches!(e, Event::IntensityExceeded { supervisor, .. } if &**supervisor == path))
    }
}
