//! A child's own tasks: helpers tied to the incarnation that spawned them
//! ([`Ctx::spawn`](crate::Ctx::spawn)), structured concurrency inside every
//! incarnation.
//!
//! A helper is a real tokio task. It runs in its incarnation's span, is
//! asked to stop when its incarnation is (through the same `Ctx`), and
//! counts: the incarnation has ended only once its helpers have too, under
//! the child's own shutdown setting. A helper that fails or panics fails its
//! incarnation, as a linked process does in OTP, with the helper named in
//! the reason. The record is made on the first spawn, so a child that
//! spawns none pays one null check per poll of its task.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::task::AbortHandle;

use crate::child_return::ChildReturn;
use crate::exit::ExitReason;
use crate::lease::Fence;

/// The helpers of one incarnation.
#[derive(Debug)]
pub(crate) struct Helpers {
    /// The incarnation's path: helpers' paths are made from it when needed.
    child: Arc<str>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Helpers spawned so far: names the unnamed ones.
    spawned: u64,
    alive: Vec<Alive>,
    /// The first helper failure: it is the incarnation's.
    failed: Option<ExitReason>,
    /// The incarnation's task (or, once it is gone, whoever reports its
    /// end), woken when a helper fails or the last one ends.
    waker: Option<Waker>,
    /// For a singleton's incarnation, the lease it holds: `Some(None)`
    /// while it waits for one (or has lost it). Kept here, made on demand,
    /// and boxed, so that other children pay (next to) nothing for it.
    lease: Option<Box<Option<Fence>>>,
}

#[derive(Debug)]
struct Alive {
    id: u64,
    /// Its name, if it was given one; otherwise `helper-{id}`.
    name: Option<Arc<str>>,
    /// `None` for a blocking helper: nothing can abort it.
    abort: Option<AbortHandle>,
}

impl Alive {
    fn path(&self, child: &str) -> Arc<str> {
        Arc::from(format!("{child}/{}", Name(self.id, self.name.as_deref())))
    }
}

/// A helper's name: its own, or `helper-{id}`.
struct Name<'a>(u64, Option<&'a str>);

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(name) => f.write_str(name),
            None => write!(f, "helper-{}", self.0),
        }
    }
}

impl Helpers {
    pub(crate) fn new(child: Arc<str>) -> Self {
        Helpers { child, state: Mutex::default() }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held leaves nothing half-done here.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new helper; its id and name.
    fn enter(&self, name: Option<&str>) -> (u64, Option<Arc<str>>) {
        let mut state = self.state();
        state.spawned += 1;
        let id = state.spawned;
        let name: Option<Arc<str>> = name.map(Arc::from);
        // Most incarnations have one or two helpers: no room for four.
        state.alive.reserve_exact(1);
        state.alive.push(Alive { id, name: name.clone(), abort: None });
        (id, name)
    }

    fn set_abort(&self, id: u64, abort: AbortHandle) {
        if let Some(alive) = self.state().alive.iter_mut().find(|a| a.id == id) {
            alive.abort = Some(abort);
        }
    }

    /// A helper ended, failing with `failure` if it did.
    fn ended(&self, id: u64, failure: Option<ExitReason>) {
        let mut state = self.state();
        state.alive.retain(|a| a.id != id);
        let failed = failure.is_some() && state.failed.is_none();
        if failed {
            state.failed = failure;
        }
        if failed || state.alive.is_empty() {
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
    }

    /// The first helper failure, if any; registers `cx` to hear of one.
    pub(crate) fn poll_failed(&self, cx: &Context<'_>) -> Option<ExitReason> {
        let mut state = self.state();
        if state.failed.is_none() {
            state.waker = Some(cx.waker().clone());
        }
        state.failed.clone()
    }

    /// Ready once every helper has ended; then, the first failure if any.
    pub(crate) fn poll_ended(&self, cx: &Context<'_>) -> Poll<Option<ExitReason>> {
        let mut state = self.state();
        if state.alive.is_empty() {
            return Poll::Ready(state.failed.clone());
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Aborts every helper that can be aborted; whether any is still alive.
    pub(crate) fn abort_all(&self) -> bool {
        let state = self.state();
        for alive in &state.alive {
            if let Some(abort) = &alive.abort {
                abort.abort();
            }
        }
        !state.alive.is_empty()
    }

    /// A singleton's incarnation holds `fence`, or (`None`) waits for a
    /// lease.
    pub(crate) fn set_lease(&self, fence: Option<Fence>) {
        self.state().lease = Some(Box::new(fence));
    }

    /// The lease, for a singleton's incarnation.
    pub(crate) fn lease(&self) -> Option<Option<Fence>> {
        self.state().lease.as_deref().cloned()
    }

    /// Whether any helper is still alive.
    pub(crate) fn any_alive(&self) -> bool {
        !self.state().alive.is_empty()
    }

    /// The paths of the helpers still alive.
    pub(crate) fn alive(&self) -> Vec<Arc<str>> {
        self.state().alive.iter().map(|a| a.path(&self.child)).collect()
    }

    /// Spawns `future` as a helper.
    pub(crate) fn spawn<F>(self: &Arc<Self>, name: Option<&str>, future: F) -> AbortHandle
    where
        F: Future + Send + 'static,
        F::Output: ChildReturn,
    {
        let (id, name) = self.enter(name);
        let guard = Guard { helpers: self.clone(), id, failure: None };
        let task = async move {
            let mut guard = guard;
            // Boxed: inline, a helper's future would take its task past
            // tokio's 256-byte class, which costs more than the box.
            let outcome = crate::runtime::task::CatchUnwind(Box::pin(future)).await;
            guard.failure = failure(Name(id, name.as_deref()), outcome.map(ChildReturn::into_child_result));
        };
        let span = tracing::Span::current();
        let handle = tokio::spawn(tracing::Instrument::instrument(task, span));
        let abort = handle.abort_handle();
        self.set_abort(id, abort.clone());
        abort
    }

    /// Runs `work` on tokio's blocking pool as a helper. It cannot be
    /// aborted: if it outlives its incarnation's deadline it is reported as
    /// not ended.
    pub(crate) fn spawn_blocking<W, R>(self: &Arc<Self>, name: Option<&str>, work: W)
    where
        W: FnOnce() -> R + Send + 'static,
        R: ChildReturn,
    {
        let (id, name) = self.enter(name);
        let guard = Guard { helpers: self.clone(), id, failure: None };
        let span = tracing::Span::current();
        // Detached on purpose: it cannot be aborted, and the guard reports
        // its end; the incarnation waits for that, within its deadline.
        drop(tokio::task::spawn_blocking(move || {
            // The whole guard, not just its field: it counts the helper out.
            let mut guard = guard;
            let _entered = span.enter();
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(work))
                .map_err(crate::runtime::task::panic_message)
                .map(ChildReturn::into_child_result);
            guard.failure = failure(Name(id, name.as_deref()), outcome);
        }));
    }
}

/// What a helper's end means for its incarnation.
fn failure(name: Name<'_>, outcome: Result<Result<(), Arc<str>>, Arc<str>>) -> Option<ExitReason> {
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(ExitReason::Failed(Arc::from(format!("helper `{name}` failed: {error}")))),
        Err(message) => Some(ExitReason::Panicked(Arc::from(format!("helper `{name}` panicked: {message}")))),
    }
}

/// Counts a helper out when its future is gone, however that happens.
struct Guard {
    helpers: Arc<Helpers>,
    id: u64,
    failure: Option<ExitReason>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.helpers.ended(self.id, self.failure.take());
    }
}
