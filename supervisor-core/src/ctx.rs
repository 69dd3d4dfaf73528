//! The context a child runs with: its stop signal, identity and readiness.

use std::fmt;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

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
    token: CancellationToken,
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
    pub(crate) tx: mpsc::UnboundedSender<Ready>,
    pub(crate) ready: Ready,
}

impl Ctx {
    pub(crate) fn new(token: CancellationToken, path: Arc<str>, generation: u64, ready: Option<ReadySignal>) -> Self {
        Ctx { token, path, generation, ready }
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
        Ctx::new(CancellationToken::new(), Arc::from(path), 0, None)
    }

    /// Completes when the supervisor asks this child to stop.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// Whether the supervisor has asked this child to stop.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The stop signal itself, to hand to code that takes a
    /// [`CancellationToken`].
    #[must_use]
    pub fn token(&self) -> &CancellationToken {
        &self.token
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
            let _ = signal.tx.send(signal.ready);
        }
    }
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .field("cancelled", &self.token.is_cancelled())
            .finish()
    }
}
