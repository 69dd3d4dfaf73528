//! The context a child runs with: its stop signal, identity and readiness.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::child_return::ChildReturn;
use crate::helpers::Helpers;
use crate::lease::Fence;
use crate::runtime::inbox::Message;

/// What a child incarnation gets from its supervisor, as its first argument.
///
/// A child should end soon after [`cancelled`](Ctx::cancelled) completes: it
/// has until its shutdown deadline before it is aborted.
///
/// ```
/// use supervisor_core::Ctx;
///
/// async fn ticker(ctx: Ctx) -> Result<(), std::io::Error> {
///     let mut ticks = 0u64;
///     loop {
///         tokio::select! {
///             _ = ctx.cancelled() => return Ok(()),
///             _ = tokio::time::sleep(std::time::Duration::from_millis(10)) => ticks += 1,
///         }
///     }
/// }
/// # let _ = ticker;
/// ```
#[derive(Clone)]
pub struct Ctx(Arc<Incarnation>);

/// Everything about one incarnation, in one allocation shared by the child
/// (its `Ctx` and clones) and its supervisor (which cancels it): a stop flag
/// and a `Notify`, a `CancellationToken` made only if the child asks for
/// one, and the child's identity. A `Ctx` is one pointer, so it adds little
/// to every child's task.
struct Incarnation {
    cancelled: AtomicBool,
    ignored: AtomicBool,
    notify: Notify,
    token: OnceLock<CancellationToken>,
    /// Made by the first `spawn`: most children never spawn.
    helpers: OnceLock<Arc<Helpers>>,
    path: Arc<str>,
    generation: u64,
    /// Where this incarnation reports to its supervisor (none when
    /// detached), and whether its supervisor waits for `ready`.
    signal: Option<ReadySignal>,
    waited: bool,
}

/// Which incarnation a message to a supervisor loop is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ready {
    pub(crate) slot: usize,
    pub(crate) epoch: u64,
}

#[derive(Clone)]
pub(crate) struct ReadySignal {
    pub(crate) tx: mpsc::UnboundedSender<Message>,
    pub(crate) ready: Ready,
}

impl Ctx {
    pub(crate) fn new(path: Arc<str>, generation: u64, signal: Option<ReadySignal>, waited: bool) -> Self {
        Ctx(Arc::new(Incarnation {
            cancelled: AtomicBool::new(false),
            ignored: AtomicBool::new(false),
            notify: Notify::new(),
            token: OnceLock::new(),
            helpers: OnceLock::new(),
            path,
            generation,
            signal,
            waited,
        }))
    }

    /// A context for a new incarnation, reusing `spare`'s allocation if it
    /// is the only handle left on it.
    pub(crate) fn renew(
        spare: Option<Ctx>,
        path: &Arc<str>,
        generation: u64,
        signal: Option<ReadySignal>,
        waited: bool,
    ) -> Self {
        if let Some(mut ctx) = spare {
            if let Some(state) = Arc::get_mut(&mut ctx.0) {
                *state.cancelled.get_mut() = false;
                *state.ignored.get_mut() = false;
                state.notify = Notify::new();
                state.token = OnceLock::new();
                state.helpers = OnceLock::new();
                state.generation = generation;
                state.signal = signal;
                state.waited = waited;
                return ctx;
            }
        }
        Ctx::new(path.clone(), generation, signal, waited)
    }

    /// This context, if nothing but the supervisor holds it any more.
    pub(crate) fn into_spare(self) -> Option<Ctx> {
        (Arc::strong_count(&self.0) == 1).then_some(self)
    }

    /// A context that belongs to no supervisor: for calling a child's
    /// function directly, in a test for instance. Stop it through
    /// [`token`](Ctx::token).
    ///
    /// ```
    /// use supervisor_core::Ctx;
    ///
    /// let ctx = Ctx::detached("test/worker");
    /// assert_eq!(ctx.id(), "worker");
    /// ctx.token().cancel();
    /// assert!(ctx.is_cancelled());
    /// ```
    #[must_use]
    pub fn detached(path: &str) -> Self {
        Ctx::new(Arc::from(path), 0, None, false)
    }

    /// The supervisor asks this incarnation to stop, or it has ended.
    pub(crate) fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
        if let Some(token) = self.0.token.get() {
            token.cancel();
        }
    }

    /// Completes when the supervisor asks this child to stop, or (seen from
    /// a helper or any clone) when the incarnation has ended.
    pub async fn cancelled(&self) {
        loop {
            if let Some(token) = self.0.token.get() {
                // The child asked for a token, which now carries the request
                // both ways. Boxed: rare, and it keeps this future small (it
                // is part of every child's task).
                return Box::pin(token.clone().cancelled_owned()).await;
            }
            let mut notified = std::pin::pin!(self.0.notify.notified());
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            // Woken by `cancel`, or by `token` being made.
            notified.await;
        }
    }

    /// Whether the supervisor has asked this child to stop.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst) || self.0.token.get().is_some_and(CancellationToken::is_cancelled)
    }

    /// The stop signal as a [`CancellationToken`], to hand to code that takes
    /// one. It is cancelled when the supervisor asks this child to stop and
    /// when the incarnation ends, whatever the cause, and cancelling it
    /// counts as a stop request for [`cancelled`](Ctx::cancelled).
    #[must_use]
    pub fn token(&self) -> CancellationToken {
        let token = self.0.token.get_or_init(CancellationToken::new).clone();
        // Waiters start watching the token; a cancel that raced with its
        // creation still reaches it.
        self.0.notify.notify_waiters();
        if self.0.cancelled.load(Ordering::SeqCst) {
            token.cancel();
        }
        token
    }

    /// Answers this start with *ignore*, OTP's way for a child to say it
    /// should not run (switched off by configuration, say); return right
    /// after calling it. The supervisor keeps the spec and reports the child
    /// as [`ChildState::Ignored`](crate::ChildState::Ignored): not running,
    /// not restarted, and its end is no failure. A temporary child is
    /// forgotten, and a dynamic `start_child` returns `Ok` with no child
    /// left. For a child that is waited for
    /// ([`ChildSpec::wait_ready`](crate::ChildSpec::wait_ready)) this
    /// answers the start itself, so the next child starts; for others it
    /// takes effect when the child returns.
    ///
    /// ```
    /// use supervisor_core::{ChildSpec, ChildState, Ctx, SupervisorSpec};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let enabled = false;
    /// let spec = SupervisorSpec::builder("app")
    ///     .child(ChildSpec::worker("optional", move |ctx: Ctx| async move {
    ///         if !enabled {
    ///             return ctx.ignore();
    ///         }
    ///         ctx.ready();
    ///         ctx.cancelled().await
    ///     }).wait_ready(std::time::Duration::from_secs(1)))
    ///     .build()?;
    /// let running = spec.start().await?;
    /// assert_eq!(running.handle().which_children().await?[0].state, ChildState::Ignored);
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub fn ignore(&self) {
        self.0.ignored.store(true, Ordering::SeqCst);
    }

    /// Spawns a helper task owned by this incarnation: a reader or writer
    /// half, a heartbeat, a flusher. It runs in the incarnation's span; it
    /// is asked to stop (through [`cancelled`](Ctx::cancelled) on a clone
    /// of this `Ctx`, or [`token`](Ctx::token)) when the incarnation is, and
    /// when the incarnation's own future ends for any reason. The
    /// incarnation has ended only once its helpers have too, under the
    /// child's shutdown setting: a helper still running at the deadline is
    /// aborted. A helper that returns an error or panics fails its
    /// incarnation, as a linked process does in OTP, with the helper named
    /// in the reason. It may return what a child may ([`ChildReturn`]).
    ///
    /// Unlike `tokio::spawn`, nothing outlives the incarnation: dropping the
    /// returned handle does not detach the helper.
    ///
    /// # Panics
    /// Outside a tokio runtime, as `tokio::spawn` does.
    ///
    /// ```
    /// use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let child = ChildSpec::worker("conn", |ctx: Ctx| async move {
    ///     let heartbeat = ctx.clone();
    ///     ctx.spawn(async move {
    ///         loop {
    ///             tokio::select! {
    ///                 _ = heartbeat.cancelled() => return,
    ///                 _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
    ///             }
    ///         }
    ///     });
    ///     ctx.cancelled().await
    /// });
    /// let running = SupervisorSpec::builder("app").child(child).build()?.start().await?;
    /// running.shutdown().await?; // the heartbeat has ended too
    /// # Ok(()) }
    /// ```
    pub fn spawn<F>(&self, future: F) -> tokio::task::AbortHandle
    where
        F: Future + Send + 'static,
        F::Output: ChildReturn,
    {
        self.helpers_or_new().spawn(None, future)
    }

    /// [`spawn`](Ctx::spawn), with a name for the helper: its path is the
    /// child's path and the name (`app/conn/reader`), and reasons and
    /// reports use it.
    ///
    /// # Panics
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn spawn_named<F>(&self, name: &str, future: F) -> tokio::task::AbortHandle
    where
        F: Future + Send + 'static,
        F::Output: ChildReturn,
    {
        self.helpers_or_new().spawn(Some(name), future)
    }

    /// Runs blocking `work` on tokio's blocking pool as a helper of this
    /// incarnation (see [`spawn`](Ctx::spawn)). Be honest about it: blocking
    /// code cannot be aborted. It should check
    /// [`is_cancelled`](Ctx::is_cancelled) on a clone of this `Ctx` and
    /// return; one that does not end by the incarnation's deadline is
    /// reported as not ended, by path, and no longer waited for.
    ///
    /// # Panics
    /// Outside a tokio runtime, as `tokio::task::spawn_blocking` does.
    pub fn spawn_blocking<W, R>(&self, name: &str, work: W)
    where
        W: FnOnce() -> R + Send + 'static,
        R: ChildReturn,
    {
        self.helpers_or_new().spawn_blocking(Some(name), work);
    }

    /// The fencing token of the lease this incarnation holds, for a
    /// [singleton](crate::lease) child; `None` for any other child, and
    /// for a singleton once its lease is in doubt. Guard side effects in
    /// other systems with it (see [`Fence`]).
    ///
    /// ```
    /// use supervisor_core::Ctx;
    ///
    /// assert_eq!(Ctx::detached("test/worker").fence(), None);
    /// ```
    #[must_use]
    pub fn fence(&self) -> Option<Fence> {
        self.helpers().and_then(|helpers| helpers.lease()).flatten()
    }

    /// A singleton's incarnation holds `fence`, or (`None`) waits for its
    /// lease.
    pub(crate) fn set_lease(&self, fence: Option<Fence>) {
        self.helpers_or_new().set_lease(fence);
    }

    /// Whether this is a singleton's incarnation waiting for its lease.
    pub(crate) fn awaits_lease(&self) -> bool {
        self.helpers().and_then(|helpers| helpers.lease()).is_some_and(|fence| fence.is_none())
    }

    fn helpers_or_new(&self) -> &Arc<Helpers> {
        self.0.helpers.get_or_init(|| Arc::new(Helpers::new(self.0.path.clone())))
    }

    /// This incarnation's helpers, if it ever spawned one.
    pub(crate) fn helpers(&self) -> Option<&Arc<Helpers>> {
        self.0.helpers.get()
    }

    /// Whether this incarnation answered its start with *ignore*.
    pub(crate) fn is_ignored(&self) -> bool {
        self.0.ignored.load(Ordering::SeqCst)
    }

    /// The child's path in the tree, such as `app/consumers/orders`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// The child's id: the last segment of its path.
    #[must_use]
    pub fn id(&self) -> &str {
        self.0.path.rsplit('/').next().unwrap_or(&self.0.path)
    }

    /// Which incarnation this is: 0 for the first start, then one more for
    /// every restart.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.0.generation
    }

    /// Tells the supervisor this child has started. Only children declared
    /// with [`ChildSpec::wait_ready`](crate::ChildSpec::wait_ready) are
    /// waited for; for the others this does nothing. Calling it again does
    /// nothing.
    pub fn ready(&self) {
        if self.0.waited {
            self.send(Message::Ready);
        }
    }

    /// Tells this incarnation's supervisor, if it has one, `message` about it.
    pub(crate) fn send(&self, message: fn(Ready) -> Message) {
        self.send_with(message);
    }

    pub(crate) fn send_with(&self, message: impl FnOnce(Ready) -> Message) {
        if let Some(signal) = &self.0.signal {
            // A closed inbox means the supervisor is gone; nothing to tell.
            let _ = signal.tx.send(message(signal.ready));
        }
    }
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("path", &self.0.path)
            .field("generation", &self.0.generation)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn cancel_wakes_waiters_and_reaches_tokens_made_before_or_after() {
        let ctx = Ctx::detached("t/w");
        let early = ctx.token();
        let waiter = tokio::spawn({
            let ctx = ctx.clone();
            async move { ctx.cancelled().await }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(!waiter.is_finished());
        ctx.cancel();
        waiter.await.unwrap();
        assert!(early.is_cancelled());
        assert!(ctx.token().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_switches_to_a_token_made_while_it_waits() {
        let ctx = Ctx::detached("t/w");
        let waiter = tokio::spawn({
            let ctx = ctx.clone();
            async move { ctx.cancelled().await }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        ctx.token().cancel();
        waiter.await.unwrap();
        assert!(ctx.is_cancelled());
    }
}
