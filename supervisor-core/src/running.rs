//! Starting a tree, and the value that owns it while it runs.

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::{StartError, SupervisorError};
use crate::event::EventReceiver;
use crate::exit::ExitReport;
use crate::handle::SupervisorHandle;
use crate::runtime::LoopEnd;
use crate::runtime::supervisor::{Inbox, Link, Started, SupervisorLoop};
use crate::runtime::task::CatchUnwind;
use crate::supervisor_spec::SupervisorSpec;

impl SupervisorSpec {
    /// Starts the supervisor on the current tokio runtime: its children
    /// start in order, each once the one before it has started, and this
    /// returns once all have. If one fails to start, those already started
    /// are stopped in reverse order and the error names the child.
    ///
    /// Dropping the future before it completes stops whatever had started.
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
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub async fn start(self) -> Result<RunningSupervisor, StartError> {
        // The loops alone hold the channel: it closes when the tree ends.
        let events = self.take_events();
        let source = events.source();
        let (started_tx, started_rx) = oneshot::channel();
        let (done_tx, done_rx) = watch::channel(None);
        let (inbox, rx) = mpsc::unbounded_channel();
        let link = Link {
            path: self.name.clone(),
            started: Started::Root(started_tx),
            events,
            inbox: Inbox { tx: inbox.clone(), rx },
            whole: None,
            leases: None,
        };
        let name = self.name.clone();
        let supervisor = SupervisorLoop::new(self, link);
        let run = async move {
            if let Ok(end) = CatchUnwind(Box::pin(supervisor.run())).await {
                done_tx.send_replace(Some(end));
            }
        };
        // The top loop's lifecycle events sit in its own span, as a nested
        // loop's sit in its incarnation's.
        let span = tracing::info_span!(parent: None, "supervisor", path = %name);
        let join = tokio::spawn(tracing::Instrument::instrument(run, span));
        let handle = SupervisorHandle::new(name.clone(), done_rx, source, inbox);
        // Dropping this future mid-start stops whatever had started.
        let mut guard = StopOnDrop(Some(handle.clone()));
        if started_rx.await.is_ok() {
            guard.0 = None;
            return Ok(RunningSupervisor { handle, join: Some(join) });
        }
        drop(guard);
        let _ = join.await;
        match handle.outcome() {
            Some(LoopEnd::StartFailed(error)) => Err(error),
            _ => Err(StartError::ShutDown { supervisor: name }),
        }
    }
}

/// A running tree. It owns the tree: [`shutdown`](RunningSupervisor::shutdown)
/// stops it in order and returns once no task of it is alive.
///
/// Dropping it without calling `shutdown` starts the same orderly shutdown
/// in the background (nothing is left running unowned), but nothing waits
/// for it; call `shutdown().await` to know when it is done. Control handles
/// from [`handle`](RunningSupervisor::handle) do not own the tree.
#[derive(Debug)]
pub struct RunningSupervisor {
    handle: SupervisorHandle,
    join: Option<JoinHandle<()>>,
}

impl RunningSupervisor {
    /// A cheap, cloneable handle to control and observe the tree.
    #[must_use]
    pub fn handle(&self) -> SupervisorHandle {
        self.handle.clone()
    }

    /// Subscribes to the tree's events from now on.
    #[must_use]
    pub fn subscribe(&self) -> EventReceiver {
        self.handle.subscribe()
    }

    /// Stops the tree: every child under its shutdown setting, in reverse
    /// start order (or the spec's shutdown stages), nested supervisors
    /// stopping their own subtrees first. Returns once every task of the
    /// tree, the supervisors' own included, has ended.
    ///
    /// # Errors
    /// The supervisor's own error if it had already given up.
    pub async fn shutdown(mut self) -> Result<ExitReport, SupervisorError> {
        let result = self.handle.shutdown().await;
        self.join_root().await;
        result
    }

    /// Waits until the tree stops by itself (it gave up, or auto-shutdown),
    /// or another handle shuts it down.
    ///
    /// # Errors
    /// [`SupervisorError::IntensityExceeded`] if the top-level supervisor gave up.
    pub async fn wait(&mut self) -> Result<ExitReport, SupervisorError> {
        let result = self.handle.wait().await;
        self.join_root().await;
        result
    }

    pub(crate) async fn join_root(&mut self) {
        if let Some(join) = self.join.take() {
            let _ = join.await;
        }
    }
}

impl Drop for RunningSupervisor {
    fn drop(&mut self) {
        if self.join.is_some() {
            self.handle.request_stop();
        }
    }
}

/// Asks the tree to stop when dropped.
struct StopOnDrop(Option<SupervisorHandle>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.request_stop();
        }
    }
}

impl LoopEnd {
    pub(crate) fn into_result(self, path: &std::sync::Arc<str>) -> Result<ExitReport, SupervisorError> {
        match self {
            LoopEnd::Stopped(report) => Ok(report),
            LoopEnd::GaveUp(error) => Err(error),
            LoopEnd::StartFailed(_) => Err(SupervisorError::Lost { supervisor: path.clone() }),
        }
    }
}
