//! Spawning one child incarnation, and what its task returns.
//!
//! Panics are caught inside the task, so every task that is not aborted
//! returns a [`TaskExit`] naming its slot and incarnation; an aborted task
//! is matched back to its slot by task id.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::error::SupervisorError;
use crate::exit::ExitReport;

/// What an incarnation's task returns to its supervisor.
pub(crate) struct TaskExit {
    pub(crate) slot: usize,
    pub(crate) epoch: u64,
    pub(crate) result: TaskResult,
}

pub(crate) enum TaskResult {
    /// A worker's own result.
    Worker(Result<(), Arc<str>>),
    /// A nested supervisor's result.
    Supervisor(Result<ExitReport, SupervisorError>),
    /// A panic, with its message.
    Panicked(Arc<str>),
}

/// Polls a future, turning a panic into an `Err` with the panic's message.
pub(crate) struct CatchUnwind<F: ?Sized>(pub(crate) Pin<Box<F>>);

impl<F: Future + ?Sized> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Arc<str>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => Poll::Ready(Err(panic_message(payload))),
        }
    }
}

/// The text of a panic payload: the `&str` or `String` it carries.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> Arc<str> {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        Arc::from(*message)
    } else if let Some(message) = payload.downcast_ref::<String>() {
        Arc::from(message.as_str())
    } else {
        Arc::from("panic with a non-string payload")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn catches_str_and_string_panics() {
        let caught = CatchUnwind(Box::pin(async { panic!("plain") })).await;
        assert_eq!(caught.unwrap_err().as_ref(), "plain");
        let n = 3;
        let caught = CatchUnwind(Box::pin(async move { panic!("formatted {n}") })).await;
        assert_eq!(caught.unwrap_err().as_ref(), "formatted 3");
        let fine = CatchUnwind(Box::pin(async { 7 })).await;
        assert_eq!(fine, Ok(7));
    }
}
