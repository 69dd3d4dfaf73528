//! `ChildSpec`: what a supervisor needs to know to run one child.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::child_return::ChildReturn;
use tokio::task::JoinHandle;
use tracing::{Instrument, Span};

use crate::ctx::Ctx;
use crate::lease::Singleton;
use crate::lease::hold::{Held, Hold, Holder, Make};
use crate::policy::backoff::Backoff;
use crate::policy::restart::Restart;
use crate::runtime::task::{ChildTask, Report, WorkerOutcome};
use crate::supervisor_spec::SupervisorSpec;

/// Spawns a fresh incarnation of a child: calls its factory with the `Ctx`
/// and spawns the future it returns, unboxed, inside the task that reports
/// its end, in the incarnation's span if there is one. A singleton's
/// [`Hold`] calls its factory only once its lease is held.
/// The holder is boxed: passed at every start of every child, it is a
/// pointer for those that have none.
pub(crate) type Launch = Arc<dyn Fn(Ctx, Report, Option<Span>, Option<Box<Holder>>) -> JoinHandle<()> + Send + Sync>;

/// The launcher of a worker made by `factory`.
pub(crate) fn launcher<F, Fut>(factory: F) -> Launch
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ChildReturn,
{
    let factory = Arc::new(factory);
    Arc::new(move |ctx, report, span, holder| match holder {
        None => spawn(ChildTask::<_, WorkerOutcome>::new(factory(ctx), report), span),
        Some(holder) => {
            let factory = factory.clone();
            spawn_held(Box::new(move |ctx| Some(factory(ctx))), ctx, holder, report, span)
        }
    })
}

/// Why a second start of a child that can start only once fails.
pub(crate) const SPENT: &str = "a temporary child's arguments were already handed over";

/// The launcher of a worker that can start only once (a temporary dynamic
/// child, whose arguments are moved in): a second start, which its
/// supervisor never makes, fails instead of running without them.
pub(crate) fn launcher_once<F, Fut>(factory: F) -> Launch
where
    F: Fn(Ctx) -> Option<Fut> + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ChildReturn,
{
    let spent = |report, span| {
        let spent = async { Err::<(), _>(SPENT) };
        spawn(ChildTask::<_, WorkerOutcome>::new(spent, report), span)
    };
    let factory = Arc::new(factory);
    Arc::new(move |ctx, report, span, holder| match holder {
        None => match factory(ctx) {
            Some(future) => spawn(ChildTask::<_, WorkerOutcome>::new(future, report), span),
            None => spent(report, span),
        },
        Some(holder) => {
            let factory = factory.clone();
            spawn_held(Box::new(move |ctx| factory(ctx)), ctx, holder, report, span)
        }
    })
}

/// Spawns a singleton's incarnation inside its lease's hold, which calls
/// the factory only once the lease is held.
fn spawn_held<Fut>(make: Make<Fut>, ctx: Ctx, holder: Box<Holder>, report: Report, span: Option<Span>) -> JoinHandle<()>
where
    Fut: Future + Send + 'static,
    Fut::Output: ChildReturn,
{
    spawn(ChildTask::<_, Held>::new(Hold::new(ctx, holder, make), report), span)
}

fn spawn<F: Future<Output = ()> + Send + 'static>(task: F, span: Option<Span>) -> JoinHandle<()> {
    match span {
        Some(span) => tokio::spawn(task.instrument(span)),
        // No span, no wrapper: a smaller task per child.
        None => tokio::spawn(task),
    }
}

/// What a worker's factory may return: a future whose output a child may
/// return. Every such future is one; a `#[child]` function's call is not
/// (it carries its declared options, which
/// [`ChildSpec::from_child`] keeps and [`ChildSpec::worker`] would lose).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a plain future: a `#[child]` function's options would be lost here",
    label = "this is a `#[child]` function's call, or not a future",
    note = "build a `#[child]` function's spec with `ChildSpec::from_child(id, || f(..))`, which keeps its options; `ChildSpec::worker` takes a plain `async` closure or block"
)]
pub trait WorkerFuture: Future<Output: ChildReturn> + Send + 'static {}

impl<F: Future<Output: ChildReturn> + Send + 'static> WorkerFuture for F {}

/// What calling a `#[child]` function returns: the child, waiting for its
/// `Ctx`, with the options its attribute declared. Implemented by the
/// attribute's expansion only.
///
/// `#[child]` takes the child's `Ctx` out of the function's parameters: it
/// is handed over at each start. A call names the other arguments only, as
/// in a `supervisor!` entry, and [`start`](DeclaredChild::start) runs it
/// by hand, in a test say:
///
/// ```
/// use supervisor_core::{Ctx, DeclaredChild, child};
///
/// #[child]
/// async fn greeter(ctx: Ctx, name: String) -> Result<(), String> {
///     let _ = ctx;
///     if name.is_empty() { Err("no name".into()) } else { Ok(()) }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let done = greeter("ada".into()).start(Ctx::detached("test/greeter")).await;
/// assert_eq!(done, Ok(()));
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "this is not a `#[child]` function",
    label = "add `#[child]` to this function's definition",
    note = "a `supervisor!` entry, and `ChildSpec::from_child`, call an `async fn` marked with `#[child]`; its first parameter is the child's `Ctx`"
)]
pub trait DeclaredChild: Send + 'static {
    /// The child's future.
    type Future: WorkerFuture;
    /// The options type its attribute declared.
    #[doc(hidden)]
    type Options: crate::__private::ChildOptions;
    /// The child's future for one start, with its `Ctx`.
    fn start(self, ctx: Ctx) -> Self::Future;
}

impl<B, O> DeclaredChild for crate::__private::Child<B, O>
where
    B: crate::__private::ChildBody<Future: WorkerFuture>,
    O: crate::__private::ChildOptions,
{
    type Future = B::Future;
    type Options = O;

    fn start(self, ctx: Ctx) -> B::Future {
        self.into_body().start(ctx)
    }
}

/// How a child is stopped (OTP's `shutdown` child option).
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::Shutdown;
///
/// assert_eq!(Shutdown::worker_default(), Shutdown::Timeout(Duration::from_secs(5)));
/// assert_eq!(Shutdown::supervisor_default(), Shutdown::Infinity);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// Abort at once, without asking.
    Brutal,
    /// Ask it to stop, wait up to this long, then abort it. Zero asks, then
    /// aborts at once (at the next turn of its supervisor).
    Timeout(Duration),
    /// Ask it to stop and wait as long as it takes.
    Infinity,
}

impl Shutdown {
    /// A worker's default: 5 seconds, as in OTP.
    #[must_use]
    pub const fn worker_default() -> Self {
        Shutdown::Timeout(Duration::from_secs(5))
    }

    /// A nested supervisor's default: wait for its subtree to stop.
    #[must_use]
    pub const fn supervisor_default() -> Self {
        Shutdown::Infinity
    }
}

/// Whether a child is a worker or a nested supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// A task running user code.
    Worker,
    /// A nested supervisor, with children of its own.
    Supervisor,
}

/// The options few children have, in one box.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rare {
    pub(crate) backoff: Option<Backoff>,
    pub(crate) singleton: Option<Singleton>,
}

#[derive(Clone)]
pub(crate) enum Body {
    Worker(Launch),
    Supervisor(Arc<SupervisorSpec>),
}

/// One child of a supervisor: its id, how to start it, and its policies.
///
/// Setters never fail; [`SupervisorBuilder::build`](crate::SupervisorBuilder::build)
/// checks the whole spec and returns a typed error for any invalid value.
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::{Backoff, ChildSpec, Ctx, Restart, Shutdown};
///
/// let spec = ChildSpec::worker("consumer", |ctx: Ctx| async move {
///     ctx.cancelled().await;
///     Ok::<(), std::io::Error>(())
/// })
/// .restart(Restart::Transient)
/// .shutdown(Shutdown::Timeout(Duration::from_secs(10)))
/// .backoff(Backoff::new(Duration::from_millis(50), Duration::from_secs(5)).jitter(0.2));
/// assert_eq!(spec.id(), "consumer");
/// ```
#[derive(Clone)]
#[must_use]
pub struct ChildSpec {
    pub(crate) id: Arc<str>,
    pub(crate) body: Body,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    /// Boxed: most children have none, and a spec is kept per child.
    pub(crate) rare: Option<Box<Rare>>,
    pub(crate) wait_ready: Option<Option<Duration>>,
    pub(crate) significant: bool,
    /// Whether it gates its tree's readiness; `None`: if it is permanent.
    pub(crate) gates_readiness: Option<bool>,
}

impl ChildSpec {
    /// A worker whose every start calls `factory` with a fresh [`Ctx`].
    ///
    /// The future may return `()`, `Result<(), E: Display>` or never return
    /// (see [`ChildReturn`]).
    pub fn worker<F, Fut>(id: impl Into<Arc<str>>, factory: F) -> Self
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: WorkerFuture,
    {
        ChildSpec::new(id.into(), Body::Worker(launcher(factory)), Shutdown::worker_default(), None)
    }

    /// A worker whose every start calls a `#[child]` function, with the
    /// options its attribute declares (restart, shutdown, backoff, ...);
    /// set any of them again afterwards to override it. For building a tree
    /// at run time, from configuration say, out of declared children.
    ///
    /// ```
    /// use supervisor_core::{ChildSpec, Ctx, Restart, child};
    ///
    /// #[child(restart = transient, shutdown = 10s)]
    /// async fn consumer(ctx: Ctx, topic: String) {
    ///     let _ = topic;
    ///     ctx.cancelled().await;
    /// }
    ///
    /// let topic = String::from("orders");
    /// // The `Ctx` is handed over at each start: name the other arguments.
    /// let spec = ChildSpec::from_child("orders", move || consumer(topic.clone()));
    /// assert_eq!(spec.restart_type(), Restart::Transient);
    /// ```
    pub fn from_child<F, R>(id: impl Into<Arc<str>>, factory: F) -> Self
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: DeclaredChild,
    {
        let spec = ChildSpec::worker(id, move |ctx| factory().start(ctx));
        <R::Options as crate::__private::ChildOptions>::apply(spec)
    }

    /// A nested supervisor; its id is the spec's name. It counts as started
    /// once all its own children have started.
    pub fn supervisor(spec: SupervisorSpec) -> Self {
        let id = spec.name.clone();
        ChildSpec::new(id, Body::Supervisor(Arc::new(spec)), Shutdown::supervisor_default(), Some(None))
    }

    fn new(id: Arc<str>, body: Body, shutdown: Shutdown, wait_ready: Option<Option<Duration>>) -> Self {
        ChildSpec {
            id,
            body,
            restart: Restart::Permanent,
            shutdown,
            rare: None,
            wait_ready,
            significant: false,
            gates_readiness: None,
        }
    }

    /// When to restart it. Default: [`Restart::Permanent`].
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// How to stop it. Default: 5 s for workers, infinity for supervisors.
    ///
    /// For a nested supervisor a finite timeout bounds its whole subtree: at
    /// the deadline every task below it is aborted, and its parent waits
    /// until they have all ended.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Wait this long between restarts. Default: restart at once.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.rare.get_or_insert_default().backoff = Some(backoff);
        self
    }

    /// Runs it only while this process holds the lease on `singleton`'s
    /// key, so that one replica at a time runs it (see [`lease`](crate::lease)).
    /// Its shutdown must be finite and, with the renewal interval and the
    /// margin, shorter than the lease's TTL; only a worker can be one.
    ///
    /// The factory is called at each start only once the lease is held, so
    /// nothing of the child runs before, its helpers included. With
    /// [`wait_ready`](ChildSpec::wait_ready) its start waits for the lease
    /// too, within the ready timeout, so a standby's start fails: leave it
    /// out where other replicas may hold the lease.
    pub fn singleton(mut self, singleton: Singleton) -> Self {
        self.rare.get_or_insert_default().singleton = Some(singleton);
        self
    }

    /// Its backoff, if it has one.
    pub(crate) fn backoff_setting(&self) -> Option<&Backoff> {
        self.rare.as_ref().and_then(|rare| rare.backoff.as_ref())
    }

    /// Its lease, if it is a singleton.
    #[must_use]
    pub fn singleton_setting(&self) -> Option<&Singleton> {
        self.rare.as_ref().and_then(|rare| rare.singleton.as_ref())
    }

    /// The supervisor counts this child as started only once it calls
    /// [`Ctx::ready`], and fails the start if that takes longer than
    /// `timeout`. Until then the next child is not started. Without this a
    /// worker counts as started as soon as it is spawned.
    pub fn wait_ready(mut self, timeout: Duration) -> Self {
        self.wait_ready = Some(Some(timeout));
        self
    }

    /// Waited for as a nested supervisor is: started once it says so.
    pub(crate) fn waits_as_supervisor(mut self) -> Self {
        self.wait_ready = Some(None);
        self
    }

    /// Marks the child significant for its supervisor's auto-shutdown. Only
    /// transient and temporary children may be significant, and only under
    /// a supervisor whose auto-shutdown is not `never`.
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// The same child under another id.
    pub(crate) fn with_id(mut self, id: impl Into<Arc<str>>) -> Self {
        self.id = id.into();
        self
    }

    /// Whether the tree counts as ready (`SupervisorHandle::health`) only
    /// while this child runs and is ready. Default: a permanent child
    /// does, a transient or temporary one does not. A subtree that does
    /// not gate readiness is not looked into.
    pub fn gates_readiness(mut self, gates: bool) -> Self {
        self.gates_readiness = Some(gates);
        self
    }

    /// Whether it gates its tree's readiness (see
    /// [`gates_readiness`](ChildSpec::gates_readiness)).
    #[must_use]
    pub fn gates_readiness_setting(&self) -> bool {
        self.gates_readiness.unwrap_or(self.restart == Restart::Permanent)
    }

    /// The child's id, unique among its siblings.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether it is a worker or a supervisor.
    #[must_use]
    pub fn kind(&self) -> ChildKind {
        match self.body {
            Body::Worker(_) => ChildKind::Worker,
            Body::Supervisor(_) => ChildKind::Supervisor,
        }
    }

    /// Its restart type.
    #[must_use]
    pub fn restart_type(&self) -> Restart {
        self.restart
    }

    /// Its shutdown setting.
    #[must_use]
    pub fn shutdown_setting(&self) -> Shutdown {
        self.shutdown
    }
}

/// A nested supervisor, as [`ChildSpec::supervisor`] makes it.
impl From<SupervisorSpec> for ChildSpec {
    fn from(spec: SupervisorSpec) -> Self {
        ChildSpec::supervisor(spec)
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("kind", &self.kind())
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("backoff", &self.backoff_setting())
            .field("singleton", &self.singleton_setting())
            .field("wait_ready", &self.wait_ready)
            .field("significant", &self.significant)
            .field("gates_readiness", &self.gates_readiness)
            .finish()
    }
}
