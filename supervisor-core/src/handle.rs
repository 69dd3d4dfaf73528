//! `SupervisorHandle`: a cheap, cloneable way to control a running tree.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use crate::error::SupervisorError;
use crate::event::Event;
use crate::exit::ExitReport;
use crate::runtime::LoopEnd;

/// Controls and observes a running tree. Cloning is cheap; a handle does
/// not own the tree and dropping one changes nothing.
///
/// ```
/// use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = SupervisorSpec::builder("app")
///     .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
///     .build()?;
/// let running = spec.start().await?;
/// let handle = running.handle();
/// let first = handle.shutdown().await?;
/// let again = handle.shutdown().await?;
/// assert_eq!(first, again);
/// # drop(running);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SupervisorHandle {
    inner: Arc<Inner>,
}

struct Inner {
    path: Arc<str>,
    stop: CancellationToken,
    done: watch::Receiver<Option<LoopEnd>>,
    events: broadcast::Sender<Event>,
}

impl SupervisorHandle {
    pub(crate) fn new(
        path: Arc<str>,
        stop: CancellationToken,
        done: watch::Receiver<Option<LoopEnd>>,
        events: broadcast::Sender<Event>,
    ) -> Self {
        SupervisorHandle {
            inner: Arc::new(Inner {
                path,
                stop,
                done,
                events,
            }),
        }
    }

    /// The top-level supervisor's name.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// Subscribes to every event of the tree from now on. A subscriber that
    /// falls more than the spec's event capacity behind is told how many
    /// events it missed (`RecvError::Lagged`); it never slows the tree.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Asks the tree to stop and waits for its report. Calling it again, from
    /// any handle, returns the same report.
    ///
    /// # Errors
    /// The supervisor's own error if it had already given up.
    pub async fn shutdown(&self) -> Result<ExitReport, SupervisorError> {
        self.request_stop();
        self.wait().await
    }

    /// Waits until the tree has stopped, for whatever reason.
    ///
    /// # Errors
    /// The supervisor's own error if it gave up.
    pub async fn wait(&self) -> Result<ExitReport, SupervisorError> {
        let mut done = self.inner.done.clone();
        let end = match done.wait_for(Option::is_some).await {
            Ok(end) => end.clone(),
            Err(_) => None,
        };
        match end {
            Some(end) => end.into_result(&self.inner.path),
            None => Err(SupervisorError::Lost {
                supervisor: self.inner.path.clone(),
            }),
        }
    }

    /// Whether the tree has stopped.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.inner.done.borrow().is_some()
    }

    pub(crate) fn request_stop(&self) {
        self.inner.stop.cancel();
    }

    pub(crate) fn outcome(&self) -> Option<LoopEnd> {
        self.inner.done.borrow().clone()
    }
}

impl fmt::Debug for SupervisorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorHandle")
            .field("path", &self.inner.path)
            .field("finished", &self.is_finished())
            .finish()
    }
}
