//! The spawned task of one incarnation, which reports its own end.
//!
//! The task reports on its supervisor's inbox exactly once: when the child
//! returns, when it panics (the panic message is kept), or, if the task is
//! aborted, from its `Drop`, after the child's future has been dropped. So
//! an exit always arrives after the child's own code is gone. The child's
//! future is stored inline, not boxed: a restart allocates one task.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::sync::mpsc;

use super::LoopEnd;
use super::inbox::Message;
use crate::child_return::ChildReturn;
use crate::error::SupervisorError;
use crate::exit::ExitReport;

/// What an incarnation's task reports to its supervisor.
#[derive(Debug)]
pub(crate) struct TaskExit {
    pub(crate) slot: usize,
    pub(crate) epoch: u64,
    pub(crate) result: TaskResult,
}

#[derive(Debug)]
pub(crate) enum TaskResult {
    /// A worker's own result.
    Worker(Result<(), Arc<str>>),
    /// A nested supervisor's result (boxed: rare, and large).
    Supervisor(Box<Result<ExitReport, SupervisorError>>),
    /// A panic, with its message.
    Panicked(Arc<str>),
    /// The task was aborted before it ended.
    Aborted,
    /// The task was aborted and had still not ended when the grace period
    /// ran out: the supervisor stopped waiting for it.
    NotEnded,
}

/// How a task's output becomes what it reports. A type, not a stored
/// function pointer: it takes no room in every child's task.
pub(crate) trait Outcome<T> {
    fn of(output: T) -> TaskResult;
}

/// A worker's output: anything a child may return.
pub(crate) struct WorkerOutcome;

impl<R: ChildReturn> Outcome<R> for WorkerOutcome {
    fn of(output: R) -> TaskResult {
        TaskResult::Worker(output.into_child_result())
    }
}

/// A nested supervisor's output: how its loop ended.
pub(crate) struct SupervisorOutcome;

impl Outcome<LoopEnd> for SupervisorOutcome {
    fn of(end: LoopEnd) -> TaskResult {
        match end {
            LoopEnd::Stopped(report) => TaskResult::Supervisor(Box::new(Ok(report))),
            LoopEnd::GaveUp(error) => TaskResult::Supervisor(Box::new(Err(error))),
            LoopEnd::StartFailed(error) => TaskResult::Worker(Err(Arc::from(error.to_string()))),
        }
    }
}

/// Where a task reports its end.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) inbox: mpsc::UnboundedSender<Message>,
    pub(crate) slot: usize,
    pub(crate) epoch: u64,
}

impl Report {
    fn send(self, result: TaskResult) {
        // A closed inbox means the supervisor is gone; nobody to tell.
        let _ = self.inbox.send(Message::Exit(TaskExit { slot: self.slot, epoch: self.epoch, result }));
    }
}

pin_project! {
    /// The future spawned for one incarnation.
    pub(crate) struct ChildTask<F: Future, O> {
        #[pin]
        future: Option<F>,
        report: Option<Report>,
        outcome: PhantomData<fn() -> O>,
    }

    impl<F: Future, O> PinnedDrop for ChildTask<F, O> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(report) = this.report.take() {
                // Aborted: drop the child's future first (a panic while
                // dropping it must not keep the supervisor from hearing).
                let mut future = this.future;
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| future.set(None)));
                report.send(TaskResult::Aborted);
            }
        }
    }
}

impl<F: Future, O: Outcome<F::Output>> ChildTask<F, O> {
    pub(crate) fn new(future: F, report: Report) -> Self {
        ChildTask { future: Some(future), report: Some(report), outcome: PhantomData }
    }
}

impl<F: Future, O: Outcome<F::Output>> Future for ChildTask<F, O> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else { return Poll::Ready(()) };
        let result = match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            // Turning the output into a result runs user code (an error's
            // `Display`): a panic there is the child's, too.
            Ok(Poll::Ready(output)) => match std::panic::catch_unwind(AssertUnwindSafe(|| O::of(output))) {
                Ok(result) => result,
                Err(payload) => TaskResult::Panicked(panic_message(payload)),
            },
            Err(payload) => TaskResult::Panicked(panic_message(payload)),
        };
        // The child's future is dropped before its end is reported.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
        if let Some(report) = this.report.take() {
            report.send(result);
        }
        Poll::Ready(())
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

    fn report() -> (Report, mpsc::UnboundedReceiver<Message>) {
        let (inbox, rx) = mpsc::unbounded_channel();
        (Report { inbox, slot: 3, epoch: 9 }, rx)
    }

    async fn exit(rx: &mut mpsc::UnboundedReceiver<Message>) -> TaskExit {
        match rx.recv().await {
            Some(Message::Exit(exit)) => exit,
            other => panic!("expected an exit, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn reports_a_return_a_panic_and_an_abort_exactly_once() {
        let (r, mut rx) = report();
        ChildTask::<_, WorkerOutcome>::new(async { Err::<(), _>("no") }, r).await;
        let e = exit(&mut rx).await;
        assert!(matches!((e.slot, e.epoch, e.result), (3, 9, TaskResult::Worker(Err(m))) if &*m == "no"));

        let (r, mut rx) = report();
        ChildTask::<_, WorkerOutcome>::new(async { std::panic::panic_any::<&str>("kaput") as () }, r).await;
        assert!(matches!(exit(&mut rx).await.result, TaskResult::Panicked(m) if &*m == "kaput"));

        let (r, mut rx) = report();
        let task = tokio::spawn(ChildTask::<_, WorkerOutcome>::new(std::future::pending::<()>(), r));
        task.abort();
        let _ = task.await;
        assert!(matches!(exit(&mut rx).await.result, TaskResult::Aborted));
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
