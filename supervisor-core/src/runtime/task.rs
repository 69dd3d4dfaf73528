//! The spawned task of one incarnation, which reports its own end.
//!
//! The task reports on the supervisor's exit channel exactly once: when the
//! child returns, when it panics (the panic message is kept), or, if the task
//! is aborted, from its `Drop`, after the child's future has been dropped. So
//! an exit always arrives after the child's own code is gone.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use super::LoopEnd;
use crate::child_spec::ChildFuture;
use crate::error::SupervisorError;
use crate::exit::ExitReport;

/// What an incarnation's task reports to its supervisor.
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
    /// The task was aborted before it ended.
    Aborted,
}

/// The future of a child: a worker's, or a nested supervisor's loop.
pub(crate) enum Body {
    Worker(ChildFuture),
    Supervisor(Pin<Box<dyn Future<Output = LoopEnd> + Send>>),
}

impl Body {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<TaskResult> {
        match self {
            Body::Worker(future) => future.as_mut().poll(cx).map(TaskResult::Worker),
            Body::Supervisor(future) => future.as_mut().poll(cx).map(|end| match end {
                LoopEnd::Stopped(report) => TaskResult::Supervisor(Ok(report)),
                LoopEnd::GaveUp(error) => TaskResult::Supervisor(Err(error)),
                LoopEnd::StartFailed(error) => TaskResult::Worker(Err(Arc::from(error.to_string()))),
            }),
        }
    }
}

/// Where a task reports its end.
pub(crate) struct Report {
    pub(crate) exits: mpsc::UnboundedSender<TaskExit>,
    pub(crate) slot: usize,
    pub(crate) epoch: u64,
}

impl Report {
    fn send(self, result: TaskResult) {
        // A closed channel means the supervisor is gone; nobody to tell.
        let _ = self.exits.send(TaskExit { slot: self.slot, epoch: self.epoch, result });
    }
}

/// The future spawned for one incarnation.
pub(crate) struct ChildTask {
    body: Option<Body>,
    report: Option<Report>,
}

impl ChildTask {
    pub(crate) fn new(body: Body, report: Report) -> Self {
        ChildTask { body: Some(body), report: Some(report) }
    }

    fn end(&mut self, result: TaskResult) {
        self.body = None;
        if let Some(report) = self.report.take() {
            report.send(result);
        }
    }
}

impl Future for ChildTask {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(body) = self.body.as_mut() else { return Poll::Ready(()) };
        let result = match std::panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => result,
            Err(payload) => TaskResult::Panicked(panic_message(payload)),
        };
        // The child's future is dropped before its end is reported.
        self.end(result);
        Poll::Ready(())
    }
}

impl Drop for ChildTask {
    fn drop(&mut self) {
        if self.report.is_some() {
            // Aborted: drop the child's future first (a panic while dropping
            // it must not keep the supervisor from hearing of the end).
            let body = self.body.take();
            let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(body)));
            self.end(TaskResult::Aborted);
        }
    }
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

    fn report() -> (Report, mpsc::UnboundedReceiver<TaskExit>) {
        let (exits, rx) = mpsc::unbounded_channel();
        (Report { exits, slot: 3, epoch: 9 }, rx)
    }

    #[tokio::test]
    async fn reports_a_return_a_panic_and_an_abort_exactly_once() {
        let (r, mut rx) = report();
        ChildTask::new(Body::Worker(Box::pin(async { Err(Arc::from("no")) })), r).await;
        let exit = rx.recv().await.unwrap();
        assert!(matches!((exit.slot, exit.epoch, exit.result), (3, 9, TaskResult::Worker(Err(e))) if &*e == "no"));

        let (r, mut rx) = report();
        ChildTask::new(Body::Worker(Box::pin(async { panic!("kaput") })), r).await;
        assert!(matches!(rx.recv().await.unwrap().result, TaskResult::Panicked(m) if &*m == "kaput"));

        let (r, mut rx) = report();
        let task = tokio::spawn(ChildTask::new(Body::Worker(Box::pin(std::future::pending())), r));
        task.abort();
        let _ = task.await;
        assert!(matches!(rx.recv().await.unwrap().result, TaskResult::Aborted));
        assert!(rx.try_recv().is_err(), "exactly once");
    }

    #[tokio::test]
    async fn catches_str_and_string_panics() {
        let caught = CatchUnwind(Box::pin(async { panic!("plain") })).await;
        assert_eq!(caught.unwrap_err().as_ref(), "plain");
        let n = 3;
        let caught = CatchUnwind(Box::pin(async move { panic!("formatted {n}") })).await;
        assert_eq!(caught.unwrap_err().as_ref(), "formatted 3");
    }
}
