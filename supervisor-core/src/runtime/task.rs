//! The spawned task of one incarnation, which reports its own end.
//!
//! The task reports on its supervisor's inbox exactly once: when the child
//! returns, when it panics (the panic message is kept), or, if the task is
//! aborted, from its `Drop`, after the child's future has been dropped. So
//! an exit always arrives after the child's own code is gone, its helpers
//! ([`Ctx::spawn`](crate::Ctx::spawn)) included: once the child's future
//! has ended the task cancels them, gives them one turn to end, and if any
//! has not, tells its supervisor it is draining
//! (the supervisor then holds it to its shutdown setting), and reports when
//! the last has ended; an aborted task aborts them and reports from a small
//! task that waits for them. The child's future is stored inline, not
//! boxed: a restart allocates one task.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::LoopEnd;
use super::inbox::Message;
use crate::child_return::ChildReturn;
use crate::ctx::Ctx;
use crate::error::SupervisorError;
use crate::exit::{ExitReason, ExitReport};

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
    /// One of its helpers failed or panicked, which failed the incarnation.
    Helper(ExitReason),
    /// A singleton's lease was lost, or in doubt: it was stopped.
    LeaseLost,
}

/// How a task's output becomes what it reports. A type, not a stored
/// function pointer: it takes no room in every child's task.
pub(crate) trait Outcome<T> {
    /// The future watches its incarnation's helpers itself (a singleton's
    /// hold, which must keep its lease until they have ended): the task
    /// does not end it when one fails.
    const WATCHES_HELPERS: bool = false;

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

/// The incarnation a task runs, through which it reports its end (one
/// pointer: the incarnation knows its supervisor's inbox and its epoch).
#[derive(Debug)]
pub(crate) struct Report(pub(crate) Ctx);

impl Report {
    fn send(self, result: TaskResult) {
        self.0.send_with(|ready| Message::Exit(TaskExit { slot: ready.slot, epoch: ready.epoch, result }));
    }

    /// The incarnation's own future has ended: its helpers are asked to
    /// stop. Whether any is still alive.
    fn own_end(&self) -> bool {
        let ctx = &self.0;
        ctx.cancel();
        ctx.helpers().is_some_and(|h| h.any_alive())
    }
}

/// An incarnation whose own future has ended, waiting for its helpers.
#[derive(Debug)]
pub(crate) struct Draining {
    result: TaskResult,
    /// Its supervisor was told, and holds it to its shutdown setting. Not
    /// at once: helpers asked to stop mostly end within a turn, and then
    /// there is no need to wake the supervisor twice.
    told: bool,
}

/// The result to report once the helpers have ended: a helper's failure
/// fails an incarnation that would otherwise have ended well.
pub(crate) fn with_helpers(result: TaskResult, failed: Option<ExitReason>) -> TaskResult {
    match (result, failed) {
        (TaskResult::Worker(Ok(())), Some(failure)) => TaskResult::Helper(failure),
        (result, _) => result,
    }
}

pin_project! {
    /// The future spawned for one incarnation.
    pub(crate) struct ChildTask<F: Future, O> {
        #[pin]
        future: Option<F>,
        report: Option<Report>,
        // The child's result while its helpers end (boxed: rare).
        draining: Option<Box<Draining>>,
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
                let result = this.draining.take().map_or(TaskResult::Aborted, |draining| draining.result);
                abort_helpers_then_send(report, result);
            }
        }
    }
}

/// Aborts the incarnation's helpers, and reports once they have ended: from
/// a small task that waits for them, if any is still alive (its supervisor
/// bounds that wait by its abort grace).
fn abort_helpers_then_send(report: Report, result: TaskResult) {
    report.0.cancel();
    let Some(helpers) = report.0.helpers().cloned() else { return report.send(result) };
    if !helpers.abort_all() {
        return report.send(result);
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return report.send(result) };
    runtime.spawn(async move {
        let failed = std::future::poll_fn(|cx| helpers.poll_ended(cx)).await;
        report.send(with_helpers(result, failed));
    });
}

impl<F: Future, O: Outcome<F::Output>> ChildTask<F, O> {
    pub(crate) fn new(future: F, report: Report) -> Self {
        ChildTask { future: Some(future), report: Some(report), draining: None, outcome: PhantomData }
    }
}

impl<F: Future, O: Outcome<F::Output>> Future for ChildTask<F, O> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let helpers = this.report.as_ref().and_then(|r| r.0.helpers());
        if let Some(mut draining) = this.draining.take() {
            let failed = match helpers.map(|helpers| helpers.poll_ended(cx)) {
                Some(Poll::Ready(failed)) => failed,
                // No helpers at all: nothing to wait for.
                None => None,
                Some(Poll::Pending) => {
                    if !draining.told {
                        draining.told = true;
                        if let Some(report) = this.report.as_ref() {
                            report.0.send(Message::Draining);
                        }
                    }
                    *this.draining = Some(draining);
                    return Poll::Pending;
                }
            };
            if let Some(report) = this.report.take() {
                report.send(with_helpers(draining.result, failed));
            }
            return Poll::Ready(());
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else { return Poll::Ready(()) };
        // A helper that failed ends its incarnation.
        let failed = helpers.filter(|_| !O::WATCHES_HELPERS).and_then(|helpers| helpers.poll_failed(cx));
        let result = match failed {
            Some(failure) => TaskResult::Helper(failure),
            None => match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                Ok(Poll::Pending) => {
                    // Helpers spawned by this poll: hear of their failure.
                    let helpers = this.report.as_ref().and_then(|r| r.0.helpers()).filter(|_| !O::WATCHES_HELPERS);
                    if helpers.is_some_and(|h| h.poll_failed(cx).is_some()) {
                        cx.waker().wake_by_ref();
                    }
                    return Poll::Pending;
                }
                // Turning the output into a result runs user code (an error's
                // `Display`): a panic there is the child's, too.
                Ok(Poll::Ready(output)) => match std::panic::catch_unwind(AssertUnwindSafe(|| O::of(output))) {
                    Ok(result) => result,
                    Err(payload) => TaskResult::Panicked(panic_message(payload)),
                },
                Err(payload) => TaskResult::Panicked(panic_message(payload)),
            },
        };
        // The child's future is dropped before its end is reported.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
        if this.report.as_ref().is_some_and(Report::own_end) {
            // Its helpers are ending: give them a turn, then wait for them.
            *this.draining = Some(Box::new(Draining { result, told: false }));
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
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

    fn report() -> (Report, tokio::sync::mpsc::UnboundedReceiver<Message>) {
        let (inbox, rx) = tokio::sync::mpsc::unbounded_channel();
        let signal = crate::ctx::ReadySignal { tx: inbox, ready: crate::ctx::Ready { slot: 3, epoch: 9 } };
        (Report(Ctx::new(Arc::from("t/w"), 0, Some(signal), false)), rx)
    }

    async fn exit(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Message>) -> TaskExit {
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
