//! `SupervisorHandle`: a cheap, cloneable way to control a running tree.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use crate::child_spec::ChildSpec;
use crate::control::{ChildCounts, ChildInfo, ControlError};
use crate::dynamic::DynamicHandle;
use crate::error::SupervisorError;
use crate::event::{EventReceiver, EventSource};
use crate::exit::ExitReport;
use crate::runtime::LoopEnd;
use crate::runtime::command::{Command, Op, Reply};
use crate::runtime::inbox::Message;

/// Controls and observes a running tree. Cloning is cheap; a handle does
/// not own the tree and dropping one changes nothing.
///
/// Every control call is a message to the supervisor's loop and a typed
/// reply. A handle addresses the top-level supervisor; [`nested`] gives one
/// that addresses a supervisor below it. [`shutdown`], [`wait`] and
/// [`subscribe`] always concern the whole tree.
///
/// [`nested`]: SupervisorHandle::nested
/// [`shutdown`]: SupervisorHandle::shutdown
/// [`wait`]: SupervisorHandle::wait
/// [`subscribe`]: SupervisorHandle::subscribe
///
/// ```
/// use supervisor_core::{ChildSpec, ChildState, Ctx, SupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let idle = |ctx: Ctx| async move { ctx.cancelled().await };
/// let spec = SupervisorSpec::builder("app").child(ChildSpec::worker("idle", idle)).build()?;
/// let running = spec.start().await?;
/// let handle = running.handle();
/// handle.terminate_child("idle").await?;
/// assert_eq!(handle.which_children().await?[0].state, ChildState::Stopped);
/// handle.restart_child("idle").await?;
/// let first = handle.shutdown().await?;
/// assert_eq!(first, handle.shutdown().await?); // idempotent
/// # drop(running);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SupervisorHandle {
    inner: Arc<Inner>,
    /// Ids of the nested supervisors below the top-level one, in order.
    scope: Arc<[Arc<str>]>,
}

struct Inner {
    path: Arc<str>,
    /// Marked draining: no longer ready, still serving.
    draining: std::sync::atomic::AtomicBool,
    done: watch::Receiver<Option<LoopEnd>>,
    events: EventSource,
    inbox: mpsc::UnboundedSender<Message>,
}

impl SupervisorHandle {
    pub(crate) fn new(
        path: Arc<str>,
        done: watch::Receiver<Option<LoopEnd>>,
        events: EventSource,
        inbox: mpsc::UnboundedSender<Message>,
    ) -> Self {
        let draining = std::sync::atomic::AtomicBool::new(false);
        SupervisorHandle { inner: Arc::new(Inner { path, draining, done, events, inbox }), scope: Arc::new([]) }
    }

    /// The path of the supervisor this handle addresses.
    #[must_use]
    pub fn path(&self) -> String {
        let mut path = self.inner.path.to_string();
        for id in self.scope.iter() {
            path.push('/');
            path.push_str(id);
        }
        path
    }

    /// A handle that addresses the nested supervisor at `path` below this
    /// one (`"consumers"`, or `"consumers/eu"` for deeper levels). Calls on
    /// it fail with [`ControlError::NotASupervisor`] while no running
    /// supervisor is there.
    #[must_use]
    pub fn nested(&self, path: &str) -> SupervisorHandle {
        let scope: Vec<Arc<str>> =
            self.scope.iter().cloned().chain(path.split('/').filter(|s| !s.is_empty()).map(Arc::from)).collect();
        SupervisorHandle { inner: self.inner.clone(), scope: scope.into() }
    }

    /// A typed handle for starting children of a dynamic supervisor with
    /// arguments of type `A` (see [`SupervisorSpec::dynamic`](crate::SupervisorSpec::dynamic)).
    #[must_use]
    pub fn dynamic<A: Send + 'static>(&self) -> DynamicHandle<A> {
        DynamicHandle::new(self.clone())
    }

    /// A typed handle for starting children of the dynamic supervisor this
    /// handle addresses, whose `dynamic { child: f }` runs the `#[child]`
    /// function `f`: the arguments' type is `f`'s, so a wrong one is a
    /// compile error rather than [`ControlError::WrongArguments`].
    ///
    /// ```
    /// use supervisor_core::{child, supervisor, Ctx};
    ///
    /// #[child(restart = temporary)]
    /// async fn connection(ctx: Ctx, peer: String, port: u16) {
    ///     let _ = (peer, port);
    ///     ctx.cancelled().await;
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let running = supervisor! { name: "app", children: [conns: dynamic { child: connection }] }?.start().await?;
    /// let conns = running.handle().nested("conns").dynamic_for(connection);
    /// conns.start_child(("10.0.0.7".to_string(), 5000)).await?; // typed by `connection`
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn dynamic_for<F, A, M>(&self, _child: F) -> DynamicHandle<A>
    where
        F: crate::__private::TemplateFn<A, M>,
        A: Send + 'static,
    {
        DynamicHandle::new(self.clone())
    }

    /// Every child, in start order, with its state, generation, restart
    /// count and last exit.
    ///
    /// # Errors
    /// [`ControlError::ShuttingDown`] once the tree has stopped.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, ControlError> {
        match self.call(Op::WhichChildren).await? {
            Reply::Children(children) => Ok(children),
            _ => Err(self.shutting_down()),
        }
    }

    /// The whole tree below this supervisor as data: every supervisor with
    /// its strategy and restarts in its intensity window, and every child
    /// with its state, generation, last exit and live helpers. Each
    /// supervisor answers for its own children in one turn, so what it
    /// says of them is consistent; nested supervisors are asked in turn.
    /// O(children), and the loops keep answering everything else meanwhile.
    ///
    /// # Errors
    /// [`ControlError::ShuttingDown`] once the tree has stopped.
    pub async fn tree(&self) -> Result<crate::TreeSnapshot, ControlError> {
        let Reply::Snapshot(mut snapshot) = self.call(Op::Snapshot).await? else {
            return Err(self.shutting_down());
        };
        for child in &mut snapshot.children {
            let running = !matches!(child.state, crate::ChildState::Stopped | crate::ChildState::Ignored);
            if child.kind == crate::ChildKind::Supervisor && running {
                // A subtree that stops meanwhile is shown without its children.
                if let Ok(subtree) = Box::pin(self.nested(&child.id).tree()).await {
                    child.supervisor = Some(Box::new(subtree));
                }
            }
        }
        Ok(*snapshot)
    }

    /// Marks the tree as draining: [`health`](Self::health) says it is not
    /// ready (so a load balancer stops sending it work) while it goes on
    /// running, until it is shut down. For a drain delay before an orderly
    /// shutdown (the `signal` feature's `run_until_signal_draining` does it).
    pub fn drain(&self) {
        self.inner.draining.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the tree was marked draining.
    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The tree's health with Kubernetes' meaning (see [`Health`]): live if
    /// its loop answers `within` the bound (the same check as the systemd
    /// watchdog's), ready if every child that gates readiness runs and is
    /// ready, and what is degraded. A tree that is stopping is not ready,
    /// and live until its loop has ended.
    ///
    /// [`Health`]: crate::Health
    pub async fn health(&self, within: std::time::Duration) -> crate::Health {
        match tokio::time::timeout(within, self.tree()).await {
            Ok(Ok(tree)) => {
                let mut health = crate::Health::of(&tree);
                if self.is_draining() {
                    health.ready = false;
                    health.degraded.push("draining: shutting down soon".to_string());
                }
                health
            }
            Ok(Err(error)) => crate::Health::unreachable(!self.is_finished(), error.to_string()),
            Err(_) => {
                crate::Health::unreachable(false, format!("the supervisor's loop did not answer within {within:?}"))
            }
        }
    }

    /// Counts of children: specs, active, supervisors, workers.
    ///
    /// # Errors
    /// [`ControlError::ShuttingDown`] once the tree has stopped.
    pub async fn count_children(&self) -> Result<ChildCounts, ControlError> {
        match self.call(Op::CountChildren).await? {
            Reply::Counts(counts) => Ok(counts),
            _ => Err(self.shutting_down()),
        }
    }

    /// Starts a stopped child again; returns once it has started.
    ///
    /// # Errors
    /// [`ControlError::Running`], [`ControlError::Restarting`],
    /// [`ControlError::NotFound`], or [`ControlError::StartFailed`].
    pub async fn restart_child(&self, id: &str) -> Result<(), ControlError> {
        self.call(Op::Restart(Arc::from(id))).await.map(drop)
    }

    /// Stops a child under its shutdown setting and keeps its spec (a
    /// temporary or dynamic child is forgotten). It is not restarted, and
    /// its stop never triggers auto-shutdown. Returns once it has stopped.
    ///
    /// # Errors
    /// [`ControlError::NotFound`].
    pub async fn terminate_child(&self, id: &str) -> Result<(), ControlError> {
        self.call(Op::Terminate(Arc::from(id))).await.map(drop)
    }

    /// Aborts the child's running incarnation now, from outside, as OTP's
    /// `exit(Pid, kill)` does: its exit is [`ExitReason::Killed`], and its
    /// restart type and the strategy apply as to any failure (a permanent
    /// child comes back). For one stuck incarnation; returns once the abort
    /// is issued. A child already being stopped is only hurried.
    ///
    /// # Errors
    /// [`ControlError::NotFound`], or [`ControlError::NotRunning`].
    ///
    /// [`ExitReason::Killed`]: crate::ExitReason::Killed
    pub async fn kill_child(&self, id: &str) -> Result<(), ControlError> {
        self.call(Op::Kill(Arc::from(id))).await.map(drop)
    }

    /// The spec a child runs by (OTP's `get_childspec`); for a dynamic
    /// supervisor's child, the template's policies with that child's id.
    ///
    /// # Errors
    /// [`ControlError::NotFound`].
    pub async fn child_spec(&self, id: &str) -> Result<ChildSpec, ControlError> {
        match self.call(Op::GetSpec(Arc::from(id))).await? {
            Reply::Spec(spec) => Ok(*spec),
            _ => Err(self.shutting_down()),
        }
    }

    /// Forgets a stopped child's spec.
    ///
    /// # Errors
    /// [`ControlError::Running`], [`ControlError::Restarting`] or
    /// [`ControlError::NotFound`].
    pub async fn delete_child(&self, id: &str) -> Result<(), ControlError> {
        self.call(Op::Delete(Arc::from(id))).await.map(drop)
    }

    /// Adds a child at the end of the start order and starts it; returns
    /// once it has started.
    ///
    /// # Errors
    /// [`ControlError::AlreadyStarted`], [`ControlError::AlreadyPresent`],
    /// [`ControlError::Spec`], or [`ControlError::StartFailed`] (the spec is
    /// then not kept).
    pub async fn start_child(&self, spec: ChildSpec) -> Result<(), ControlError> {
        self.call(Op::Start(spec)).await.map(drop)
    }

    /// Subscribes to every event of the tree from now on. A subscriber that
    /// falls more than the spec's event capacity behind is told how many
    /// events it missed (`RecvError::Lagged`); it never slows the tree. The
    /// stream closes (`RecvError::Closed`, after the last event) when the
    /// tree has ended, whether or not handles are alive; subscribed after
    /// that, it is closed already.
    #[must_use]
    pub fn subscribe(&self) -> EventReceiver {
        self.inner.events.subscribe()
    }

    /// Publishes an event from outside the tree's loops, an operator's
    /// call say.
    #[cfg(feature = "http")]
    pub(crate) fn publish(&self, event: crate::Event) {
        self.inner.events.publish(event);
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
            None => Err(SupervisorError::Lost { supervisor: self.inner.path.clone() }),
        }
    }

    /// Whether the tree has stopped.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.inner.done.borrow().is_some()
    }

    pub(crate) async fn call(&self, op: Op) -> Result<Reply, ControlError> {
        let (reply, answer) = oneshot::channel();
        let command = Command { scope: self.scope.clone(), depth: 0, op, reply };
        if self.inner.inbox.send(Message::Command(Box::new(command))).is_err() {
            return Err(self.shutting_down());
        }
        answer.await.unwrap_or_else(|_| Err(self.shutting_down()))
    }

    pub(crate) fn shutting_down(&self) -> ControlError {
        ControlError::ShuttingDown { supervisor: Arc::from(self.path()) }
    }

    /// Aborts every task of the tree at once, without asking, and waits
    /// until they have ended (a child blocking its thread is reported as
    /// not ended after the abort grace). For when an orderly shutdown takes
    /// too long; see [`shutdown`](SupervisorHandle::shutdown) for that.
    ///
    /// # Errors
    /// The supervisor's own error if it had already given up.
    pub async fn kill(&self) -> Result<ExitReport, SupervisorError> {
        let _ = self.inner.inbox.send(Message::Kill);
        self.wait().await
    }

    pub(crate) fn request_stop(&self) {
        // A closed inbox means the loop has ended: nothing to stop.
        let _ = self.inner.inbox.send(Message::Stop);
    }

    pub(crate) fn outcome(&self) -> Option<LoopEnd> {
        self.inner.done.borrow().clone()
    }
}

impl fmt::Debug for SupervisorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorHandle").field("path", &self.path()).field("finished", &self.is_finished()).finish()
    }
}
