//! `SupervisorSpec` and its builder: a supervisor's policies and children.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::child_spec::ChildSpec;
use crate::dynamic::Template;
use crate::error::SpecError;
use crate::event::{EventReceiver, EventSink};
use crate::lease::Lease;
use crate::policy::auto_shutdown::AutoShutdown;
use crate::policy::intensity::Intensity;
use crate::policy::restart::Restart;
use crate::policy::strategy::Strategy;

/// How long an aborted task may take to end by default.
const DEFAULT_ABORT_GRACE: Duration = Duration::from_secs(1);

/// A supervisor: its name, strategy, intensity, children and shutdown order.
///
/// Built and checked by [`SupervisorSpec::builder`]; started by
/// [`SupervisorSpec::start`]. A nested supervisor is a child made with
/// [`ChildSpec::supervisor`].
#[derive(Clone, Debug)]
pub struct SupervisorSpec {
    pub(crate) name: Arc<str>,
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) children: Vec<ChildSpec>,
    /// The explicit shutdown stages, by child id, checked against
    /// `children`; `None` for reverse start order.
    pub(crate) shutdown_stages: Option<Arc<[Vec<Arc<str>>]>>,
    pub(crate) jitter_seed: Option<u64>,
    pub(crate) abort_grace: Duration,
    /// How many events a subscriber may fall behind.
    pub(crate) event_capacity: usize,
    /// The event channel of its next start, made by the first `subscribe`
    /// (shared by clones); `start` takes it, or makes one.
    pub(crate) events: Arc<Mutex<Option<EventSink>>>,
    /// For a dynamic supervisor, the template of its children.
    pub(crate) dynamic: Option<Arc<Template>>,
    /// For a partitioned dynamic supervisor: how many partitions its
    /// children (`p0`, `p1`, ...) are, and the whole's `max_children`.
    pub(crate) partitioned: Option<crate::partition::Shape>,
    /// The lease store of the singletons below it; `None`: its parent's.
    pub(crate) leases: Option<Arc<dyn Lease>>,
}

impl SupervisorSpec {
    /// Starts describing a supervisor named `name`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use supervisor_core::{ChildSpec, Ctx, Intensity, Strategy, SupervisorSpec};
    ///
    /// let idle = |ctx: Ctx| async move { ctx.cancelled().await };
    /// let spec = SupervisorSpec::builder("app")
    ///     .strategy(Strategy::RestForOne)
    ///     .intensity(Intensity::new(3, Duration::from_secs(10)))
    ///     .child(ChildSpec::worker("db", idle))
    ///     .child(ChildSpec::worker("api", idle))
    ///     .shutdown_order(["api", "db"])
    ///     .build()
    ///     .expect("a valid spec");
    /// assert_eq!(spec.name(), "app");
    /// ```
    pub fn builder(name: impl Into<Arc<str>>) -> SupervisorBuilder {
        SupervisorBuilder {
            name: name.into(),
            strategy: Strategy::default(),
            intensity: Intensity::default(),
            auto_shutdown: AutoShutdown::default(),
            children: Vec::new(),
            stages: None,
            jitter_seed: None,
            event_capacity: 1024,
            abort_grace: DEFAULT_ABORT_GRACE,
            leases: None,
        }
    }

    /// The supervisor's name: the first segment of every path below it.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its children, in start order.
    pub fn children(&self) -> &[ChildSpec] {
        &self.children
    }

    /// Its restart strategy.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Its restart intensity.
    #[must_use]
    pub fn intensity(&self) -> Intensity {
        self.intensity
    }

    /// Subscribes to the events of the tree this spec will start next, its
    /// own start included (a spec and its clones share that channel, until
    /// one of them starts). The stream closes when that tree has ended. A
    /// spec that is started as a child of another tree publishes on that
    /// tree's channel: subscribe to the tree.
    ///
    /// ```
    /// use supervisor_core::{ChildSpec, Ctx, Event, SupervisorSpec};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = SupervisorSpec::builder("app")
    ///     .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
    ///     .build()?;
    /// let mut events = spec.subscribe();
    /// let running = spec.start().await?;
    /// assert!(matches!(events.recv().await?, Event::ChildStarted { generation: 0, .. }));
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn subscribe(&self) -> EventReceiver {
        let mut events = self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        events.get_or_insert_with(|| EventSink::new(self.event_capacity)).subscribe()
    }

    /// The channel of the tree this spec starts now.
    pub(crate) fn take_events(&self) -> EventSink {
        let taken = self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        taken.unwrap_or_else(|| EventSink::new(self.event_capacity))
    }
}

/// Builds a [`SupervisorSpec`]; every invalid value is reported by
/// [`build`](SupervisorBuilder::build) as a [`SpecError`].
#[derive(Debug)]
#[must_use]
pub struct SupervisorBuilder {
    name: Arc<str>,
    strategy: Strategy,
    intensity: Intensity,
    auto_shutdown: AutoShutdown,
    children: Vec<ChildSpec>,
    stages: Option<Vec<Vec<Arc<str>>>>,
    jitter_seed: Option<u64>,
    event_capacity: usize,
    abort_grace: Duration,
    leases: Option<Arc<dyn Lease>>,
}

impl SupervisorBuilder {
    /// The restart strategy. Default: [`Strategy::OneForOne`].
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// The restart intensity. Default: 1 restart in 5 s, as in OTP.
    pub fn intensity(mut self, intensity: Intensity) -> Self {
        self.intensity = intensity;
        self
    }

    /// Auto-shutdown on significant children. Default: never.
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Appends a child; children start in the order they are added.
    pub fn child(mut self, child: ChildSpec) -> Self {
        self.children.push(child);
        self
    }

    /// Appends several children, in order.
    pub fn children(mut self, children: impl IntoIterator<Item = ChildSpec>) -> Self {
        self.children.extend(children);
        self
    }

    /// Stops children one at a time in this order instead of reverse start
    /// order. It must name every child exactly once.
    pub fn shutdown_order<S: Into<Arc<str>>>(mut self, order: impl IntoIterator<Item = S>) -> Self {
        let stages = self.stages.get_or_insert_with(Vec::new);
        stages.extend(order.into_iter().map(|id| vec![id.into()]));
        self
    }

    /// Appends a shutdown stage: its children are stopped concurrently, after
    /// the stages before it have stopped. Together the stages must name every
    /// child exactly once.
    pub fn shutdown_stage<S: Into<Arc<str>>>(mut self, stage: impl IntoIterator<Item = S>) -> Self {
        let stages = self.stages.get_or_insert_with(Vec::new);
        stages.push(stage.into_iter().map(Into::into).collect());
        self
    }

    /// Seeds the backoff jitter of this supervisor, so delays repeat exactly
    /// from run to run. Default: a random seed.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// How many events a subscriber may fall behind before it lags
    /// (top-level supervisors only). Default: 1024.
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity.max(1);
        self
    }

    /// How long an aborted child's task may take to end. An abort takes
    /// effect at the task's next poll, so this passes only for a task that
    /// blocks its thread: nothing in safe Rust can stop it, so the
    /// supervisor reports it as [`ExitReason::NotEnded`](crate::ExitReason)
    /// (by path, see [`ExitReport::not_ended`](crate::ExitReport::not_ended))
    /// and stops waiting, and shutdown stays bounded. Default: 1 s.
    pub fn abort_grace(mut self, grace: Duration) -> Self {
        self.abort_grace = grace;
        self
    }

    /// The store the [singletons](crate::lease) below this supervisor
    /// hold their leases in, unless one names its own; nested supervisors
    /// inherit it. Default: the parent's, and at the root the process's
    /// [`LocalLease`](crate::lease::LocalLease).
    ///
    /// ```
    /// use supervisor_core::SupervisorSpec;
    /// use supervisor_core::lease::LocalLease;
    ///
    /// let builder = SupervisorSpec::builder("app").leases(LocalLease::new());
    /// # let _ = builder;
    /// ```
    pub fn leases(mut self, store: impl Lease) -> Self {
        self.leases = Some(Arc::new(store));
        self
    }

    /// Checks the whole spec and returns it, or the first problem found.
    ///
    /// ```
    /// use std::time::Duration;
    /// use supervisor_core::{ChildSpec, Ctx, Intensity, SpecError, SupervisorSpec};
    ///
    /// let idle = |ctx: Ctx| async move { ctx.cancelled().await };
    /// let error = SupervisorSpec::builder("app")
    ///     .intensity(Intensity::new(3, Duration::ZERO))
    ///     .child(ChildSpec::worker("a", idle))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(error, SpecError::ZeroPeriod { .. }));
    /// ```
    pub fn build(self) -> Result<SupervisorSpec, SpecError> {
        check_id(&self.name)?;
        if self.intensity.period().is_zero() {
            return Err(SpecError::ZeroPeriod { supervisor: self.name });
        }
        if self.abort_grace.is_zero() {
            return Err(SpecError::ZeroAbortGrace { supervisor: self.name });
        }
        let mut seen = HashSet::new();
        for child in &self.children {
            check_child(child, self.auto_shutdown)?;
            if !seen.insert(child.id.clone()) {
                return Err(SpecError::DuplicateChild { supervisor: self.name, id: child.id.clone() });
            }
        }
        let shutdown_stages = match self.stages {
            None => None,
            Some(stages) => Some(check_stages(&self.children, stages)?),
        };
        Ok(SupervisorSpec {
            name: self.name,
            strategy: self.strategy,
            intensity: self.intensity,
            auto_shutdown: self.auto_shutdown,
            children: self.children,
            shutdown_stages,
            jitter_seed: self.jitter_seed,
            abort_grace: self.abort_grace,
            event_capacity: self.event_capacity,
            events: Arc::default(),
            dynamic: None,
            partitioned: None,
            leases: self.leases,
        })
    }
}

/// Ids become path segments: they must be non-empty and free of `/`.
pub(crate) fn check_id(id: &Arc<str>) -> Result<(), SpecError> {
    if id.is_empty() || id.contains('/') {
        return Err(SpecError::InvalidId { id: id.clone() });
    }
    Ok(())
}

/// The checks on one child spec, under a supervisor with `auto_shutdown`.
pub(crate) fn check_child(child: &ChildSpec, auto_shutdown: AutoShutdown) -> Result<(), SpecError> {
    let id = || child.id.clone();
    check_id(&child.id)?;
    if let Some(problem) = child.backoff_setting().and_then(|b| b.problem()) {
        return Err(SpecError::InvalidBackoff { child: id(), problem });
    }
    if child.backoff_setting().is_some() && child.restart == Restart::Temporary {
        return Err(SpecError::BackoffOnTemporary { child: id() });
    }
    if child.significant && child.restart == Restart::Permanent {
        return Err(SpecError::SignificantPermanent { child: id() });
    }
    if child.significant && auto_shutdown == AutoShutdown::Never {
        return Err(SpecError::SignificantWithoutAutoShutdown { child: id() });
    }
    if child.wait_ready == Some(Some(std::time::Duration::ZERO)) {
        return Err(SpecError::ZeroReadyTimeout { child: id() });
    }
    if let Some(singleton) = child.singleton_setting() {
        let problem = match child.body {
            crate::child_spec::Body::Supervisor(_) => {
                Some("only a worker can be a singleton: make the workers below it singletons".to_owned())
            }
            crate::child_spec::Body::Worker(_) => crate::lease::problem(singleton, child.shutdown),
        };
        if let Some(problem) = problem {
            return Err(SpecError::InvalidSingleton { child: id(), problem });
        }
    }
    Ok(())
}

/// The stages must name every child exactly once.
fn check_stages(children: &[ChildSpec], stages: Vec<Vec<Arc<str>>>) -> Result<Arc<[Vec<Arc<str>>]>, SpecError> {
    let mut named = vec![false; children.len()];
    for id in stages.iter().flatten() {
        let Some(position) = children.iter().position(|c| &c.id == id) else {
            return Err(SpecError::ShutdownOrderUnknown { id: id.clone() });
        };
        if std::mem::replace(&mut named[position], true) {
            return Err(SpecError::ShutdownOrderRepeated { id: id.clone() });
        }
    }
    if let Some(missing) = named.iter().position(|named| !named) {
        return Err(SpecError::ShutdownOrderMissing { id: children[missing].id.clone() });
    }
    Ok(stages.into())
}
