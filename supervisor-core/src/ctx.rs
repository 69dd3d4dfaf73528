//! The context a child runs with: its stop signal, identity and readiness.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

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
pub struct Ctx {
    signal: Signal,
    path: Arc<str>,
    generation: u64,
    ready: Option<ReadySignal>,
}

/// A readiness message for a supervisor loop: which incarnation is ready.
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
    pub(crate) fn new(signal: Signal, path: Arc<str>, generation: u64, ready: Option<ReadySignal>) -> Self {
        Ctx { signal, path, generation, ready }
    }

    /// A context that belongs to no supervisor: for calling a child's
    /// function directly, in a test for instance. Cancel it through
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
        Ctx::new(Signal::new(), Arc::from(path), 0, None)
    }

    /// Completes when the supervisor asks this child to stop.
    pub fn cancelled(&self) -> impl Future<Output = ()> + Send + '_ {
        self.signal.cancelled()
    }

    /// Whether the supervisor has asked this child to stop.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.signal.is_cancelled()
    }

    /// The stop signal as a [`CancellationToken`], to hand to code that takes
    /// one. It is cancelled when the supervisor asks this child to stop, and
    /// cancelling it counts as that request for [`cancelled`](Ctx::cancelled).
    #[must_use]
    pub fn token(&self) -> CancellationToken {
        self.signal.token()
    }

    /// The child's path in the tree, such as `app/consumers/orders`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The child's id: the last segment of its path.
    #[must_use]
    pub fn id(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Which incarnation this is: 0 for the first start, then one more for
    /// every restart.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Tells the supervisor this child has started. Only children declared
    /// with [`ChildSpec::wait_ready`](crate::ChildSpec::wait_ready) are
    /// waited for; for the others this does nothing. Calling it again does
    /// nothing.
    pub fn ready(&self) {
        if let Some(signal) = &self.ready {
            // A closed channel means the supervisor is gone; nothing to tell.
            let _ = signal.tx.send(Message::Ready(signal.ready));
        }
    }
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .field("cancelled", &self.signal.is_cancelled())
            .finish()
    }
}

/// The stop signal of one incarnation: a flag and a `Notify`, with a
/// `CancellationToken` made only when the child asks for one. Cheaper than a
/// token per incarnation, whose every clone and drop takes a lock.
#[derive(Clone, Debug, Default)]
pub(crate) struct Signal(Arc<SignalState>);

#[derive(Debug, Default)]
struct SignalState {
    cancelled: AtomicBool,
    notify: Notify,
    token: OnceLock<CancellationToken>,
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal::default()
    }

    pub(crate) fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
        if let Some(token) = self.0.token.get() {
            token.cancel();
        }
    }

    fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst) || self.0.token.get().is_some_and(CancellationToken::is_cancelled)
    }

    async fn cancelled(&self) {
        loop {
            let mut notified = std::pin::pin!(self.0.notify.notified());
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            match self.0.token.get() {
                Some(token) => tokio::select! {
                    () = notified => {}
                    () = token.cancelled() => return,
                },
                None => notified.await,
            }
        }
    }

    fn token(&self) -> CancellationToken {
        let token = self.0.token.get_or_init(CancellationToken::new).clone();
        // Waiters start watching the token too; a cancel that raced with
        // its creation still reaches it.
        self.0.notify.notify_waiters();
        if self.0.cancelled.load(Ordering::SeqCst) {
            token.cancel();
        }
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn cancel_wakes_waiters_and_reaches_tokens_made_before_or_after() {
        let signal = Signal::new();
        let early = signal.token();
        let waiter = tokio::spawn({
            let signal = signal.clone();
            async move { signal.cancelled().await }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(!waiter.is_finished());
        signal.cancel();
        waiter.await.unwrap();
        assert!(early.is_cancelled());
        assert!(signal.token().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_the_token_counts_as_the_request() {
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
