//! Typed lifecycle events, published on a broadcast channel and mirrored as
//! `tracing` events.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;
pub use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::exit::ExitReason;

/// Something that happened in a supervision tree.
///
/// Every event names the child or supervisor by its path in the tree
/// (`app/consumers/orders`) and, for children, by the generation of the
/// incarnation concerned (0 for the first start, one more per restart).
///
/// ```
/// use supervisor_core::{ChildSpec, Ctx, Event, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = SupervisorSpec::builder("app")
///     .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
///     .build()?;
/// let running = spec.start().await?;
/// let mut events = running.subscribe();
/// running.shutdown().await?;
/// let first = events.recv().await?;
/// assert!(matches!(first, Event::ChildStopped { ref path, .. } if &**path == "app/idle"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A child incarnation started (and, if it is waited for, became ready).
    ChildStarted {
        /// The child's path.
        path: Arc<str>,
        /// Which incarnation.
        generation: u64,
    },
    /// A child incarnation ended on its own.
    ChildExited {
        /// The child's path.
        path: Arc<str>,
        /// Which incarnation.
        generation: u64,
        /// How it ended.
        reason: ExitReason,
    },
    /// A child incarnation answered its start with *ignore*
    /// ([`Ctx::ignore`](crate::Ctx::ignore)) and ended.
    ChildIgnored {
        /// The child's path.
        path: Arc<str>,
        /// Which incarnation.
        generation: u64,
    },
    /// A child will be started again `delay` after this event, and not
    /// before the siblings its strategy stops have stopped (zero: as soon as
    /// they have).
    RestartScheduled {
        /// The child's path.
        path: Arc<str>,
        /// The generation the restart will have.
        generation: u64,
        /// The backoff delay.
        delay: Duration,
    },
    /// A child incarnation ended after its supervisor asked it to stop.
    ChildStopped {
        /// The child's path.
        path: Arc<str>,
        /// Which incarnation.
        generation: u64,
        /// How it ended: stopped in time, aborted, or an error on the way out.
        reason: ExitReason,
        /// From the stop request to the end of its task.
        took: Duration,
    },
    /// A supervisor had more than `max` restarts within `period` and gives up.
    IntensityExceeded {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// Its restart limit.
        max: u32,
        /// Its window.
        period: Duration,
    },
    /// A supervisor has stopped; every task below it has ended.
    SupervisorStopped {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// Why, if it stopped with an error.
        error: Option<Arc<str>>,
    },
    /// An operator asked for a child to be restarted, terminated or
    /// killed, through the HTTP view's control endpoints (feature `http`).
    Control {
        /// The child's path.
        path: Arc<str>,
        /// What was asked.
        action: ControlAction,
        /// Why it was refused, if it was (`no child ...`, `not running`).
        error: Option<Arc<str>>,
    },
}

/// What an operator's control call asks of a child ([`Event::Control`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ControlAction {
    /// Stop it in order, then start it again.
    Restart,
    /// Stop it in order; it stays stopped.
    Terminate,
    /// Abort it at once; then its restart type applies.
    Kill,
}

impl ControlAction {
    /// Its name in a URL and in a log line: `restart`, `terminate`, `kill`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ControlAction::Restart => "restart",
            ControlAction::Terminate => "terminate",
            ControlAction::Kill => "kill",
        }
    }
}

/// One short line per event, as tests compare them:
/// `started app/w#0`, `exited app/w#0 failed: boom`,
/// `restart app/w#1 in 100ms` (the generation to come), `ignored app/w#0`,
/// `stopped app/w#1 stopped after 0ms`,
/// `gave up app max 3`, `supervisor stopped app`, `supervisor failed app`.
///
/// ```
/// use supervisor_core::{Event, ExitReason};
///
/// let exited = Event::ChildExited { path: "app/w".into(), generation: 2, reason: ExitReason::Failed("boom".into()) };
/// assert_eq!(exited.to_string(), "exited app/w#2 failed: boom");
/// ```
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::ChildStarted { path, generation } => write!(f, "started {path}#{generation}"),
            Event::ChildExited { path, generation, reason } => write!(f, "exited {path}#{generation} {reason}"),
            Event::ChildIgnored { path, generation } => write!(f, "ignored {path}#{generation}"),
            Event::RestartScheduled { path, generation, delay } => {
                write!(f, "restart {path}#{generation} in {}ms", delay.as_millis())
            }
            Event::ChildStopped { path, generation, reason, took } => {
                write!(f, "stopped {path}#{generation} {reason} after {}ms", took.as_millis())
            }
            Event::IntensityExceeded { supervisor, max, .. } => write!(f, "gave up {supervisor} max {max}"),
            Event::SupervisorStopped { supervisor, error: None } => write!(f, "supervisor stopped {supervisor}"),
            Event::SupervisorStopped { supervisor, error: Some(_) } => write!(f, "supervisor failed {supervisor}"),
            Event::Control { path, action, error: None } => write!(f, "control {} {path} ok", action.name()),
            Event::Control { path, action, error: Some(error) } => {
                write!(f, "control {} {path} refused: {error}", action.name())
            }
        }
    }
}

impl Event {
    /// Mirrors the event as a `tracing` event with structured fields.
    pub(crate) fn trace(&self) {
        match self {
            Event::ChildStarted { path, generation } => {
                tracing::debug!(path = %path, generation, "child started");
            }
            Event::ChildIgnored { path, generation } => {
                tracing::info!(path = %path, generation, "child ignored its start");
            }
            Event::ChildExited { path, generation, reason } if reason.is_abnormal() => {
                tracing::warn!(path = %path, generation, reason = %reason, "child exited");
            }
            Event::ChildExited { path, generation, reason } => {
                tracing::info!(path = %path, generation, reason = %reason, "child exited");
            }
            Event::RestartScheduled { path, generation, delay } => {
                tracing::info!(path = %path, generation, delay_ms = delay.as_millis() as u64, "restart scheduled");
            }
            Event::ChildStopped { path, generation, reason, took } => {
                tracing::debug!(path = %path, generation, reason = %reason, took_ms = took.as_millis() as u64, "child stopped");
            }
            Event::IntensityExceeded { supervisor, max, period } => {
                tracing::error!(supervisor = %supervisor, max, period_ms = period.as_millis() as u64, "restart intensity exceeded");
            }
            Event::SupervisorStopped { supervisor, error: Some(error) } => {
                tracing::error!(supervisor = %supervisor, error = %error, "supervisor stopped");
            }
            Event::SupervisorStopped { supervisor, error: None } => {
                tracing::info!(supervisor = %supervisor, "supervisor stopped");
            }
            Event::Control { path, action, error } => {
                let error = error.as_deref().unwrap_or("");
                tracing::warn!(path = %path, action = action.name(), error, "control call");
            }
        }
    }
}

/// Where a tree publishes its events: a bounded broadcast channel, with a
/// count of subscribers so that nothing is built when nobody listens. Only
/// the tree's loops hold one, so the channel closes when the tree has ended.
#[derive(Clone, Debug)]
pub(crate) struct EventSink {
    tx: broadcast::Sender<Event>,
    subscribers: Arc<AtomicUsize>,
}

/// A way to subscribe to a tree's events that does not keep the channel
/// open: what handles hold.
#[derive(Clone, Debug)]
pub(crate) struct EventSource {
    tx: broadcast::WeakSender<Event>,
    subscribers: Arc<AtomicUsize>,
}

impl EventSink {
    pub(crate) fn new(capacity: usize) -> Self {
        EventSink { tx: broadcast::channel(capacity).0, subscribers: Arc::default() }
    }

    pub(crate) fn subscribe(&self) -> EventReceiver {
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        EventReceiver { rx: self.tx.subscribe(), subscribers: self.subscribers.clone() }
    }

    pub(crate) fn source(&self) -> EventSource {
        EventSource { tx: self.tx.downgrade(), subscribers: self.subscribers.clone() }
    }

    /// Publishes the event `make` builds, if anyone (a subscriber, a
    /// `tracing` subscriber, the metrics recorder) would see it.
    pub(crate) fn emit(&self, make: impl FnOnce() -> Event) {
        let subscribed = self.subscribers.load(Ordering::Relaxed) > 0;
        let traced = tracing::level_filters::LevelFilter::current() != tracing::level_filters::LevelFilter::OFF;
        if !(subscribed || traced || cfg!(feature = "metrics")) {
            return;
        }
        let event = make();
        event.trace();
        match &event {
            Event::ChildStarted { path, .. } => crate::metrics::started(path),
            Event::RestartScheduled { path, .. } => crate::metrics::restarted(path),
            _ => {}
        }
        if subscribed {
            // A slow subscriber lags; it never blocks the loop.
            let _ = self.tx.send(event);
        }
    }
}

impl EventSource {
    /// A subscription from now on; once the tree has ended, one that is
    /// already closed.
    pub(crate) fn subscribe(&self) -> EventReceiver {
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        let rx = match self.tx.upgrade() {
            Some(tx) => tx.subscribe(),
            None => broadcast::channel(1).1,
        };
        EventReceiver { rx, subscribers: self.subscribers.clone() }
    }

    /// Publishes an event from outside the loops (an operator's call), as
    /// the loops do: traced, and sent if anyone listens and the tree runs.
    #[cfg(feature = "http")]
    pub(crate) fn publish(&self, event: Event) {
        event.trace();
        if let Some(tx) = self.tx.upgrade().filter(|_| self.subscribers.load(Ordering::Relaxed) > 0) {
            let _ = tx.send(event);
        }
    }
}

/// A subscription to a tree's events, from
/// [`SupervisorHandle::subscribe`](crate::SupervisorHandle::subscribe).
///
/// A subscriber that falls more than the tree's event capacity behind gets
/// `RecvError::Lagged(n)`, saying how many events it missed, and then
/// carries on from the oldest event still held.
#[derive(Debug)]
pub struct EventReceiver {
    rx: broadcast::Receiver<Event>,
    subscribers: Arc<AtomicUsize>,
}

impl EventReceiver {
    /// The next event; waits for one.
    ///
    /// # Errors
    /// `RecvError::Lagged(n)` after missing `n` events; `RecvError::Closed`
    /// once the tree has stopped and every event has been read.
    pub async fn recv(&mut self) -> Result<Event, RecvError> {
        self.rx.recv().await
    }

    /// The next event if one is waiting.
    ///
    /// # Errors
    /// `TryRecvError::Empty` if none is; `Lagged` and `Closed` as for `recv`.
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        self.rx.try_recv()
    }

    /// Another subscription, from now on.
    #[must_use]
    pub fn resubscribe(&self) -> EventReceiver {
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        EventReceiver { rx: self.rx.resubscribe(), subscribers: self.subscribers.clone() }
    }
}

impl Drop for EventReceiver {
    fn drop(&mut self) {
        self.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}
