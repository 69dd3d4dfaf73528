//! Dynamic supervisors: children made at run time from one template, with
//! arguments (OTP's `simple_one_for_one`, Elixir's `DynamicSupervisor`).

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::child_spec::{Body, ChildSpec, launcher, launcher_once};
use crate::control::{ChildCounts, ChildInfo, ControlError};
use crate::ctx::Ctx;
use crate::error::SpecError;
use crate::handle::SupervisorHandle;
use crate::partition::Route;
use crate::policy::backoff::Backoff;
use crate::policy::intensity::Intensity;
use crate::policy::restart::Restart;
use crate::runtime::command::{Op, Reply};
use crate::supervisor_spec::{SupervisorBuilder, SupervisorSpec, check_child};

/// Makes a child's body from type-erased arguments, or says they are of
/// the wrong type. `once`: the child is never restarted, so its arguments
/// are moved into its one start rather than kept for the next.
type Make = Arc<dyn Fn(Box<dyn Any + Send>, bool) -> Option<Body> + Send + Sync>;

/// The template every child of a dynamic supervisor is made from: a function
/// of a [`Ctx`] and the child's arguments, plus the policies all its
/// children share. Arguments are cloned for every restart; a temporary
/// child, which is never restarted, gets them moved in, and its supervisor
/// keeps no copy.
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::{ChildTemplate, Ctx, Restart, Shutdown};
///
/// async fn connection(ctx: Ctx, peer: String) -> Result<(), std::io::Error> {
///     ctx.cancelled().await;
///     Ok(())
/// }
///
/// let template = ChildTemplate::new(connection)
///     .restart(Restart::Temporary)
///     .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// # let _ = template;
/// ```
#[must_use]
pub struct ChildTemplate<A> {
    prototype: ChildSpec,
    make: Make,
    /// Its arguments are moved into a child's one start (not cloned): its
    /// children must be temporary.
    moved: bool,
    _args: PhantomData<fn(A)>,
}

impl<A> std::fmt::Debug for ChildTemplate<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildTemplate").field("prototype", &self.prototype).field("moved", &self.moved).finish()
    }
}

impl<A: Clone + Send + Sync + 'static> ChildTemplate<A> {
    /// Children run `child(ctx, args.clone())` on every start.
    pub fn new<F, Fut>(child: F) -> Self
    where
        F: Fn(Ctx, A) -> Fut + Send + Sync + 'static,
        Fut: crate::WorkerFuture,
    {
        let child = Arc::new(child);
        let make: Make = Arc::new(move |args: Box<dyn Any + Send>, once: bool| {
            let args: A = *args.downcast::<A>().ok()?;
            let child = child.clone();
            let launch = if once {
                let args = std::sync::Mutex::new(Some(args));
                launcher_once(move |ctx| {
                    let args = args.lock().ok()?.take()?;
                    Some(child(ctx, args))
                })
            } else {
                launcher(move |ctx| child(ctx, args.clone()))
            };
            Some(Body::Worker(launch))
        });
        ChildTemplate {
            prototype: ChildSpec::worker("template", |_ctx: Ctx| async {}),
            make,
            moved: false,
            _args: PhantomData,
        }
    }

    /// Children that are supervisors: every start of a child makes its
    /// subtree with `make(args.clone())` (a subtree per connection, say).
    /// As for any nested supervisor, a child counts as started once its own
    /// children have, and it is stopped with `Shutdown::Infinity` unless
    /// [`shutdown`](ChildTemplate::shutdown) says otherwise.
    ///
    /// ```
    /// use supervisor_core::{ChildSpec, ChildTemplate, Ctx, Restart, SupervisorSpec};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let session = ChildTemplate::supervisor(|peer: String| {
    ///     let idle = |ctx: Ctx| async move { ctx.cancelled().await };
    ///     SupervisorSpec::builder(peer)
    ///         .child(ChildSpec::worker("reader", idle))
    ///         .child(ChildSpec::worker("writer", idle))
    ///         .build()
    ///         .expect("a valid subtree")
    /// })
    /// .restart(Restart::Temporary);
    /// let running = SupervisorSpec::dynamic("sessions", session).build()?.start().await?;
    /// let id = running.handle().dynamic::<String>().start_child("peer-1".into()).await?;
    /// let subtree = running.handle().nested(&id).which_children().await?;
    /// assert_eq!(subtree.len(), 2);
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub fn supervisor<F>(make: F) -> Self
    where
        F: Fn(A) -> SupervisorSpec + Send + Sync + 'static,
    {
        let make: Make = Arc::new(move |args: Box<dyn Any + Send>, _once: bool| {
            let args: A = *args.downcast::<A>().ok()?;
            Some(Body::Supervisor(Arc::new(make(args))))
        });
        let prototype = ChildSpec::worker("template", |_ctx: Ctx| async {})
            .shutdown(crate::Shutdown::supervisor_default())
            .waits_as_supervisor();
        ChildTemplate { prototype, make, moved: false, _args: PhantomData }
    }
}

impl<A: Send + 'static> ChildTemplate<A> {
    /// Temporary children, which are never restarted: each runs
    /// `child(ctx, args)` once, its arguments moved in, so they need be
    /// neither `Clone` nor `Sync` (a connection's socket, say). Its
    /// children are temporary; a builder that makes them otherwise returns
    /// [`SpecError::MovedArguments`].
    ///
    /// ```
    /// use supervisor_core::{ChildTemplate, Ctx, SupervisorSpec};
    ///
    /// struct Socket; // neither Clone nor Sync
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let template = ChildTemplate::temporary(|ctx: Ctx, socket: Socket| async move {
    ///     let _socket = socket;
    ///     ctx.cancelled().await;
    /// });
    /// let running = SupervisorSpec::dynamic("conns", template).build()?.start().await?;
    /// running.handle().dynamic::<Socket>().start_child(Socket).await?;
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub fn temporary<F, Fut>(child: F) -> Self
    where
        F: Fn(Ctx, A) -> Fut + Send + Sync + 'static,
        Fut: crate::WorkerFuture,
    {
        let child = Arc::new(child);
        let make: Make = Arc::new(move |args: Box<dyn Any + Send>, _once: bool| {
            let args: A = *args.downcast::<A>().ok()?;
            let (child, args) = (child.clone(), std::sync::Mutex::new(Some(args)));
            Some(Body::Worker(launcher_once(move |ctx| {
                let args = args.lock().ok()?.take()?;
                Some(child(ctx, args))
            })))
        });
        let prototype = ChildSpec::worker("template", |_ctx: Ctx| async {}).restart(Restart::Temporary);
        ChildTemplate { prototype, make, moved: true, _args: PhantomData }
    }
}

impl<A> ChildTemplate<A> {
    /// Applies options declared elsewhere (a `#[child]` attribute).
    pub(crate) fn map_prototype(mut self, apply: impl FnOnce(ChildSpec) -> ChildSpec) -> Self {
        self.prototype = apply(self.prototype);
        self
    }

    /// When to restart a child. Default: permanent.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.prototype = self.prototype.restart(restart);
        self
    }

    /// How to stop a child. Default: 5 s. At shutdown every child is asked
    /// at once and they share one deadline.
    pub fn shutdown(mut self, shutdown: crate::Shutdown) -> Self {
        self.prototype = self.prototype.shutdown(shutdown);
        self
    }

    /// Backoff between restarts of a child.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.prototype = self.prototype.backoff(backoff);
        self
    }

    /// `start_child` returns once the child calls [`Ctx::ready`], or fails
    /// after `timeout`.
    pub fn wait_ready(mut self, timeout: Duration) -> Self {
        self.prototype = self.prototype.wait_ready(timeout);
        self
    }
}

/// The type-erased template a dynamic supervisor keeps.
#[derive(Clone)]
pub(crate) struct Template {
    pub(crate) prototype: ChildSpec,
    make: Make,
    pub(crate) max_children: usize,
}

impl Template {
    /// The spec of a new child with this id, or `None` if the arguments are
    /// of the wrong type.
    pub(crate) fn instantiate(&self, id: Arc<str>, args: Box<dyn Any + Send>) -> Option<ChildSpec> {
        let once = self.prototype.restart == Restart::Temporary;
        let body = (self.make)(args, once)?;
        let mut spec = self.prototype.clone();
        spec.id = id;
        spec.body = body;
        Some(spec)
    }
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("prototype", &self.prototype)
            .field("max_children", &self.max_children)
            .finish()
    }
}

impl SupervisorSpec {
    /// Starts describing a dynamic supervisor: no children at first, then
    /// one per `start_child(args)` through a [`DynamicHandle`]. Its strategy
    /// is one-for-one; its children stop concurrently, under one deadline.
    ///
    /// ```
    /// use supervisor_core::{ChildTemplate, Ctx, Restart, SupervisorSpec};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let template = ChildTemplate::new(|ctx: Ctx, n: u32| async move {
    ///     ctx.cancelled().await;
    ///     let _ = n;
    /// })
    /// .restart(Restart::Temporary);
    /// let running = SupervisorSpec::dynamic("jobs", template).max_children(2).build()?.start().await?;
    /// let jobs = running.handle().dynamic::<u32>();
    /// jobs.start_child(1).await?;
    /// jobs.start_child(2).await?;
    /// assert!(jobs.start_child(3).await.is_err()); // full
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub fn dynamic<A>(name: impl Into<Arc<str>>, template: ChildTemplate<A>) -> DynamicBuilder {
        DynamicBuilder {
            builder: SupervisorSpec::builder(name),
            template: Template { prototype: template.prototype, make: template.make, max_children: usize::MAX },
            moved: template.moved,
            partitions: None,
        }
    }
}

/// Builds a dynamic [`SupervisorSpec`]: a [`SupervisorBuilder`] whose
/// children come from a template.
#[must_use]
#[derive(Debug)]
pub struct DynamicBuilder {
    builder: SupervisorBuilder,
    template: Template,
    moved: bool,
    partitions: Option<crate::partition::Count>,
}

impl DynamicBuilder {
    /// At most this many children at once; `start_child` beyond it is an
    /// error. Default: no limit. For a partitioned supervisor, the limit of
    /// the whole, whatever partition each child is in.
    pub fn max_children(mut self, max: usize) -> Self {
        self.template.max_children = max;
        self
    }

    /// Splits it into `n` partitions, each its own loop with its own
    /// restart intensity (Elixir's `PartitionSupervisor`): children are
    /// routed by key, or round robin, so that a hundred thousand short
    /// lives spread over the runtime's workers. See the [`DynamicHandle`]
    /// for how calls are routed, and the README's "When to partition".
    ///
    /// ```
    /// use supervisor_core::{ChildTemplate, Ctx, SupervisorSpec};
    ///
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let template = ChildTemplate::temporary(|ctx: Ctx, _peer: String| async move { ctx.cancelled().await });
    /// let spec = SupervisorSpec::dynamic("conns", template).partitions(2).max_children(10_000).build()?;
    /// let running = spec.start().await?;
    /// let conns = running.handle().dynamic::<String>();
    /// let id = conns.start_child_keyed("10.0.0.7:5000", "hello".into()).await?;
    /// assert!(id.starts_with('p')); // `p0/10.0.0.7:5000` or `p1/...`: its partition, then its key
    /// assert_eq!(conns.count_children().await?.active, 1);
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub fn partitions(mut self, n: usize) -> Self {
        self.partitions = Some(crate::partition::Count::Fixed(n));
        self
    }

    /// [`partitions`](Self::partitions), one per worker thread of the
    /// runtime it is built in (Elixir's default, one per scheduler).
    pub fn partitions_per_worker(mut self) -> Self {
        self.partitions = Some(crate::partition::Count::Workers);
        self
    }

    /// The restart intensity. Default: 1 restart in 5 s.
    pub fn intensity(mut self, intensity: Intensity) -> Self {
        self.builder = self.builder.intensity(intensity);
        self
    }

    /// Seeds the backoff jitter.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.builder = self.builder.jitter_seed(seed);
        self
    }

    /// How many events a subscriber may fall behind (top level only).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.builder = self.builder.event_capacity(capacity);
        self
    }

    /// How long an aborted child may take to end before it is reported as
    /// not ended (see [`SupervisorBuilder::abort_grace`]).
    pub fn abort_grace(mut self, grace: Duration) -> Self {
        self.builder = self.builder.abort_grace(grace);
        self
    }

    /// Checks the spec and returns it.
    ///
    /// # Errors
    /// A [`SpecError`] for an invalid name, period, grace or template
    /// policy, or no partitions.
    pub fn build(self) -> Result<SupervisorSpec, SpecError> {
        check_child(&self.template.prototype, crate::AutoShutdown::Never)?;
        if self.moved && self.template.prototype.restart != Restart::Temporary {
            return Err(SpecError::MovedArguments { child: self.template.prototype.id.clone() });
        }
        let mut spec = self.builder.build()?;
        let Some(count) = self.partitions else {
            spec.dynamic = Some(Arc::new(self.template));
            return Ok(spec);
        };
        let n = count.resolve();
        if n == 0 {
            return Err(SpecError::NoPartitions { supervisor: spec.name.clone() });
        }
        // The whole's limit, kept by the whole's loop for its partitions.
        let mut template = self.template;
        let shape = crate::partition::Shape { n, max: template.max_children };
        template.max_children = usize::MAX;
        let template = Arc::new(template);
        let partitions = (0..n).map(|i| {
            let mut partition = spec.clone();
            partition.name = Arc::from(crate::partition::name(i));
            partition.jitter_seed = spec.jitter_seed.map(|seed| seed.wrapping_add(i as u64));
            partition.dynamic = Some(template.clone());
            ChildSpec::supervisor(partition)
        });
        let mut whole = SupervisorSpec::builder(spec.name.clone())
            .abort_grace(spec.abort_grace)
            .event_capacity(spec.event_capacity)
            .children(partitions)
            .shutdown_stage((0..n).map(crate::partition::name))
            .build()?;
        whole.partitioned = Some(shape);
        Ok(whole)
    }
}

/// A typed handle to a dynamic supervisor: starts children with arguments of
/// type `A`. Made by [`SupervisorHandle::dynamic`] or
/// [`SupervisorHandle::dynamic_for`].
///
/// For a [partitioned](DynamicBuilder::partitions) supervisor it routes
/// each call straight to one partition's loop: a keyed call to the
/// partition of its key, an unkeyed start round robin. Ids then name the
/// partition first (`p1/17`); counts and listings cover every partition.
pub struct DynamicHandle<A> {
    handle: SupervisorHandle,
    route: Arc<tokio::sync::OnceCell<Route>>,
    _args: PhantomData<fn(A)>,
}

impl<A> Clone for DynamicHandle<A> {
    fn clone(&self) -> Self {
        DynamicHandle { handle: self.handle.clone(), route: self.route.clone(), _args: PhantomData }
    }
}

impl<A> std::fmt::Debug for DynamicHandle<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamicHandle").field("handle", &self.handle).finish()
    }
}

impl<A: Send + 'static> DynamicHandle<A> {
    pub(crate) fn new(handle: SupervisorHandle) -> Self {
        DynamicHandle { handle, route: Arc::default(), _args: PhantomData }
    }

    /// Starts a child with `args`; returns its id once it has started. In
    /// a partitioned supervisor the partitions take turns, and one that is
    /// not running (it gave up and is being started again) passes its turn
    /// to the next.
    ///
    /// # Errors
    /// [`ControlError::Full`] at `max_children`; [`ControlError::StartFailed`]
    /// if it ended before it was ready; [`ControlError::WrongArguments`] if
    /// the supervisor's template takes another type.
    pub async fn start_child(&self, args: A) -> Result<Arc<str>, ControlError> {
        let op = Op::StartDynamic { args: Box::new(args), given: std::any::type_name::<A>(), key: None };
        match self.route().await? {
            Route::Single => self.started(None, self.handle.call(op).await?),
            Route::Partitioned(partitions) => {
                // A partition between incarnations passes its turn on.
                let (first, mut op) = (partitions.round_robin(), op);
                let mut why = self.handle.shutting_down();
                for i in (first..partitions.len()).chain(0..first) {
                    match partitions.send(&self.handle, i, op).await {
                        Ok(reply) => return self.started(Some(i), reply?),
                        Err((back, error)) => (op, why) = (back, error),
                    }
                }
                Err(why)
            }
        }
    }

    /// Starts a child under `key` (a peer's address, a session id): its
    /// id is the key's text, so it is found, listed and terminated by it, and
    /// a key names one child at a time; once a temporary child has ended its
    /// key is free again. Returns its id once it has started.
    ///
    /// ```
    /// use supervisor_core::{ChildTemplate, ControlError, Ctx, SupervisorSpec};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let template = ChildTemplate::temporary(|ctx: Ctx, _peer: String| async move { ctx.cancelled().await });
    /// let running = SupervisorSpec::dynamic("conns", template).build()?.start().await?;
    /// let conns = running.handle().dynamic::<String>();
    /// conns.start_child_keyed("10.0.0.7:5000", "hello".into()).await?;
    /// let again = conns.start_child_keyed("10.0.0.7:5000", "again".into()).await;
    /// assert!(matches!(again, Err(ControlError::AlreadyStarted { .. })));
    /// conns.terminate_child_keyed("10.0.0.7:5000").await?;
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ControlError::AlreadyStarted`] with the running child's id if a
    /// child has this key; [`ControlError::Spec`] for a key that cannot be
    /// an id (empty, or with a `/`); and as [`start_child`](Self::start_child).
    pub async fn start_child_keyed(&self, key: impl std::fmt::Display, args: A) -> Result<Arc<str>, ControlError> {
        let key: Arc<str> = Arc::from(key.to_string());
        let partition = self.partition_of(&key).await?;
        let op = Op::StartDynamic { args: Box::new(args), given: std::any::type_name::<A>(), key: Some(key) };
        match self.call(partition, op).await {
            Ok(reply) => self.started(partition, reply),
            Err(ControlError::AlreadyStarted { id }) => {
                Err(ControlError::AlreadyStarted { id: in_partition_id(partition, id) })
            }
            Err(error) => Err(error),
        }
    }

    /// Stops the child started under `key` and forgets it.
    ///
    /// # Errors
    /// [`ControlError::NotFound`] if no child has this key.
    pub async fn terminate_child_keyed(&self, key: impl std::fmt::Display) -> Result<(), ControlError> {
        let key: Arc<str> = Arc::from(key.to_string());
        let partition = self.partition_of(&key).await?;
        self.call(partition, Op::Terminate(key)).await.map(|_| ())
    }

    /// The child started under `key`, if it is there.
    ///
    /// # Errors
    /// [`ControlError::ShuttingDown`] once the supervisor is stopping.
    pub async fn find_keyed(&self, key: impl std::fmt::Display) -> Result<Option<ChildInfo>, ControlError> {
        let key: Arc<str> = Arc::from(key.to_string());
        let partition = self.partition_of(&key).await?;
        match self.call(partition, Op::Find(key)).await? {
            Reply::Child(child) => Ok(child.map(|child| in_partition(partition, child))),
            _ => Err(self.handle.shutting_down()),
        }
    }

    /// Stops a child under the template's shutdown setting and forgets it.
    ///
    /// # Errors
    /// [`ControlError::NotFound`] for an unknown id.
    pub async fn terminate_child(&self, id: &str) -> Result<(), ControlError> {
        let Route::Partitioned(partitions) = self.route().await? else {
            return self.handle.terminate_child(id).await;
        };
        let not_found = || ControlError::NotFound { id: Arc::from(id) };
        let (partition, child) = id.split_once('/').ok_or_else(not_found)?;
        let i = (0..partitions.len()).find(|&i| crate::partition::name(i) == partition).ok_or_else(not_found)?;
        partitions.call(&self.handle, i, Op::Terminate(Arc::from(child))).await.map(|_| ())
    }

    /// Every child, running or restarting.
    ///
    /// # Errors
    /// [`ControlError::ShuttingDown`] once the supervisor is stopping.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, ControlError> {
        let Route::Partitioned(partitions) = self.route().await? else {
            return self.handle.which_children().await;
        };
        let mut all = Vec::new();
        for i in 0..partitions.len() {
            match partitions.call(&self.handle, i, Op::WhichChildren).await? {
                Reply::Children(children) => all.extend(children.into_iter().map(|c| in_partition(Some(i), c))),
                _ => return Err(self.handle.shutting_down()),
            }
        }
        Ok(all)
    }

    /// Counts of its children (of all its partitions; still one spec, the
    /// template).
    ///
    /// # Errors
    /// [`ControlError::ShuttingDown`] once the supervisor is stopping.
    pub async fn count_children(&self) -> Result<ChildCounts, ControlError> {
        let Route::Partitioned(partitions) = self.route().await? else {
            return self.handle.count_children().await;
        };
        let mut all = ChildCounts { specs: 1, ..ChildCounts::default() };
        for i in 0..partitions.len() {
            match partitions.call(&self.handle, i, Op::CountChildren).await? {
                Reply::Counts(counts) => {
                    all.active += counts.active;
                    all.supervisors += counts.supervisors;
                    all.workers += counts.workers;
                }
                _ => return Err(self.handle.shutting_down()),
            }
        }
        Ok(all)
    }

    /// Whether the supervisor is partitioned, asked once per handle (and
    /// its clones).
    async fn route(&self) -> Result<&Route, ControlError> {
        self.route.get_or_try_init(|| Route::find(&self.handle)).await
    }

    /// The partition `key` belongs to, if the supervisor is partitioned.
    async fn partition_of(&self, key: &str) -> Result<Option<usize>, ControlError> {
        Ok(match self.route().await? {
            Route::Single => None,
            Route::Partitioned(partitions) => Some(crate::partition::of_key(key, partitions.len())),
        })
    }

    /// Calls the supervisor, or one of its partitions.
    async fn call(&self, partition: Option<usize>, op: Op) -> Result<Reply, ControlError> {
        match (partition, self.route().await?) {
            (Some(i), Route::Partitioned(partitions)) => partitions.call(&self.handle, i, op).await,
            _ => self.handle.call(op).await,
        }
    }

    /// The id a start answered, named by its partition if it has one.
    fn started(&self, partition: Option<usize>, reply: Reply) -> Result<Arc<str>, ControlError> {
        match reply {
            Reply::Started(id) => Ok(in_partition_id(partition, id)),
            _ => Err(self.handle.shutting_down()),
        }
    }
}

/// A child's id, named by its partition if it has one.
fn in_partition_id(partition: Option<usize>, id: Arc<str>) -> Arc<str> {
    match partition {
        Some(i) => Arc::from(format!("{}/{id}", crate::partition::name(i))),
        None => id,
    }
}

/// A child's info, its id named by its partition if it has one.
fn in_partition(partition: Option<usize>, mut child: ChildInfo) -> ChildInfo {
    child.id = in_partition_id(partition, child.id);
    child
}
