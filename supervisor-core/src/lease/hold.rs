//! `Hold`: a singleton's incarnation. It campaigns for the lease, polls the
//! child's future only while the lease is held and renewed in time, and
//! stops the child before the lease can pass on.
//!
//! Before each poll of the child it reads the clock: past `stop_at` (no
//! renewal came back in time) the child is asked to stop; past `hard` it is
//! dropped without another poll and its helpers are aborted. So a process
//! paused for longer than its lease stops its child the moment it resumes,
//! before the child's future runs another step (its helpers, tasks of their
//! own, are aborted then). A helper's failure is heard here too, not by
//! the task around it: the lease must outlive the helpers that are still
//! ending, for at most the child's shutdown time.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::deadline::{Deadlines, stop_time};
use super::{Grant, Lease, LeaseError, LeaseFuture, Singleton};
use crate::child_return::ChildReturn;
use crate::child_spec::{SPENT, Shutdown};
use crate::ctx::Ctx;
use crate::runtime::task::{Outcome, TaskResult, WorkerOutcome, panic_message, with_helpers};

/// The first wait between campaigns against a store out of reach; it
/// doubles up to the renewal interval.
const FIRST_RETRY: Duration = Duration::from_millis(50);

/// How long a holder that has ended waits for its release to be heard.
const RELEASE_WAIT: Duration = Duration::from_secs(1);

/// A singleton's lease, resolved for one start: its settings, its store,
/// and the child's stop time.
#[derive(Clone, Debug)]
pub(crate) struct Holder {
    singleton: Singleton,
    store: Arc<dyn Lease>,
    stop: Duration,
}

impl Holder {
    pub(crate) fn new(singleton: &Singleton, tree: Option<&Arc<dyn Lease>>, shutdown: Shutdown) -> Box<Self> {
        // `build` refused an infinite shutdown.
        let stop = stop_time(shutdown).unwrap_or(Duration::ZERO);
        Box::new(Holder { singleton: singleton.clone(), store: singleton.resolve(tree), stop })
    }

    fn deadlines(&self, valid_from: Instant, ttl: Duration) -> Deadlines {
        Deadlines::new(valid_from, ttl.min(self.singleton.ttl), self.singleton.margin, self.stop)
    }
}

/// The output of a singleton's incarnation is already what it reports.
pub(crate) struct Held;

impl Outcome<TaskResult> for Held {
    const WATCHES_HELPERS: bool = true;

    fn of(result: TaskResult) -> TaskResult {
        result
    }
}

/// Makes a singleton's future once its lease is held: its factory, given
/// the `Ctx`; `None` for a child that can start only once and has.
pub(crate) type Make<F> = Box<dyn FnOnce(Ctx) -> Option<F> + Send>;

/// One incarnation of a singleton child.
pub(crate) struct Hold<F> {
    ctx: Ctx,
    holder: Box<Holder>,
    /// The child's factory, called once the lease is held: nothing of the
    /// child, its helpers included, runs before.
    make: Option<Make<F>>,
    /// The child's future, made once the lease is held (boxed: singletons
    /// are few, and it keeps `Hold` `Unpin`).
    child: Option<Pin<Box<F>>>,
    phase: Phase,
    /// Wakes the next deadline, renewal or retry.
    timer: Pin<Box<Sleep>>,
}

enum Phase {
    Campaign {
        call: Option<LeaseFuture<Grant>>,
        called_at: Instant,
        retry_at: Option<Instant>,
        delay: Duration,
        unreachable_since: Option<Instant>,
        /// A lease granted too late to run, being given back.
        giving_back: Option<LeaseFuture<()>>,
        /// Completes when the supervisor asks the child to stop.
        cancelled: Pin<Box<dyn Future<Output = ()> + Send>>,
    },
    Holding(Box<Holding>),
    /// Ended: the lease is being given up (`call`, for at most `until`),
    /// then `result` is reported.
    Releasing {
        call: Option<LeaseFuture<()>>,
        until: Instant,
        result: TaskResult,
    },
    Reported,
}

impl Phase {
    /// Ended, with no lease to give up.
    fn ended(result: TaskResult) -> Phase {
        Phase::Releasing { call: None, until: Instant::now(), result }
    }
}

struct Holding {
    grant: Grant,
    deadlines: Deadlines,
    next_renewal: Instant,
    /// A renewal on its way, and when it was sent.
    renewal: Option<(Instant, LeaseFuture<()>)>,
    /// The lease is in doubt: the child has been asked to stop.
    doubt: bool,
    /// The child's own result, once its future has ended (its helpers
    /// may still be ending).
    ended: Option<TaskResult>,
    /// When its helpers are aborted if they have not ended.
    drain_until: Option<Instant>,
}

impl Holding {
    fn new(holder: &Holder, grant: Grant) -> Self {
        let deadlines = holder.deadlines(grant.valid_from, grant.ttl);
        let next_renewal = grant.valid_from + holder.singleton.renew_every;
        Holding { grant, deadlines, next_renewal, renewal: None, doubt: false, ended: None, drain_until: None }
    }

    /// Keeps the lease renewed; past `stop_at` without a renewal, in doubt.
    fn renew(&mut self, holder: &Holder, cx: &mut Context<'_>) {
        loop {
            let now = Instant::now();
            if let Some((sent, call)) = &mut self.renewal {
                let sent = *sent;
                match call.as_mut().poll(cx) {
                    // A store that does not answer gets a fresh renewal on
                    // time; the one that hangs is dropped.
                    Poll::Pending if now < sent + holder.singleton.renew_every => break,
                    Poll::Pending => {}
                    Poll::Ready(Ok(())) => {
                        if !self.doubt {
                            self.deadlines = holder.deadlines(sent, self.grant.ttl);
                        }
                        self.next_renewal = sent + holder.singleton.renew_every;
                    }
                    Poll::Ready(Err(LeaseError::Lost)) => self.doubt = true,
                    // Tried again soon: the deadlines stand meanwhile.
                    Poll::Ready(Err(LeaseError::Unreachable(_))) => {
                        self.next_renewal = now + (holder.singleton.renew_every / 4).max(FIRST_RETRY);
                    }
                }
                self.renewal = None;
            }
            if self.doubt || self.next_renewal > now {
                break;
            }
            self.renewal = Some((now, holder.store.renew(&self.grant)));
        }
        if Instant::now() >= self.deadlines.stop_at {
            self.doubt = true;
        }
    }

    /// When the holder must next wake.
    fn next_wake(&self, renew_every: Duration) -> Instant {
        if self.doubt {
            return self.deadlines.hard;
        }
        let next = self.deadlines.stop_at.min(self.deadlines.hard);
        match &self.renewal {
            None => next.min(self.next_renewal),
            // To replace it if it hangs.
            Some((sent, _)) => next.min(*sent + renew_every),
        }
    }
}

/// Sleeps until `at`, waking the task then.
fn wake_at(timer: &mut Pin<Box<Sleep>>, at: Instant, cx: &mut Context<'_>) {
    if timer.deadline() != at {
        timer.as_mut().reset(at);
    }
    if timer.as_mut().poll(cx).is_ready() {
        cx.waker().wake_by_ref();
    }
}

/// Polls the child's future once, its panic caught as the child's.
fn poll_child<F: Future<Output: ChildReturn>>(child: Pin<&mut F>, cx: &mut Context<'_>) -> Option<TaskResult> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| child.poll(cx))) {
        Ok(Poll::Pending) => None,
        // Turning the output into a result runs user code, too.
        Ok(Poll::Ready(output)) => Some(
            std::panic::catch_unwind(AssertUnwindSafe(|| WorkerOutcome::of(output)))
                .unwrap_or_else(|payload| TaskResult::Panicked(panic_message(payload))),
        ),
        Err(payload) => Some(TaskResult::Panicked(panic_message(payload))),
    }
}

impl<F> Hold<F>
where
    F: Future<Output: ChildReturn> + Send + 'static,
{
    pub(crate) fn new(ctx: Ctx, holder: Box<Holder>, make: Make<F>) -> Self {
        ctx.set_lease(None);
        let watched = ctx.clone();
        let phase = Phase::Campaign {
            call: None,
            called_at: Instant::now(),
            retry_at: None,
            delay: FIRST_RETRY,
            unreachable_since: None,
            giving_back: None,
            cancelled: Box::pin(async move { watched.cancelled().await }),
        };
        let timer = Box::pin(tokio::time::sleep(Duration::ZERO));
        Hold { ctx, holder, make: Some(make), child: None, phase, timer }
    }

    fn campaign(&mut self, cx: &mut Context<'_>) -> Option<Phase> {
        let Hold { ctx, holder, make, child, phase, timer } = self;
        let Phase::Campaign { call, called_at, retry_at, delay, unreachable_since, giving_back, cancelled } = phase
        else {
            return None;
        };
        if cancelled.as_mut().poll(cx).is_ready() {
            // Asked to stop before it ever held the lease: it ends well.
            return Some(Phase::ended(TaskResult::Worker(Ok(()))));
        }
        // Driven to its end (a backend bounds its calls) beside what follows.
        if giving_back.as_mut().is_some_and(|back| back.as_mut().poll(cx).is_ready()) {
            *giving_back = None;
        }
        let now = Instant::now();
        if let Some(at) = retry_at.filter(|at| *at > now) {
            wake_at(timer, at, cx);
            return None;
        }
        let singleton = &holder.singleton;
        let first = retry_at.is_none();
        let campaign = call.get_or_insert_with(|| {
            if first {
                tracing::info!(key = %singleton.key, "waiting for its lease");
            }
            *called_at = now;
            holder.store.campaign(singleton.key.clone(), singleton.ttl)
        });
        let failure = match campaign.as_mut().poll(cx) {
            Poll::Pending => return None,
            Poll::Ready(Ok(grant)) => {
                let mut holding = Holding::new(holder, grant);
                if Instant::now() < holding.deadlines.stop_at {
                    tracing::info!(key = %holding.grant.key, token = holding.grant.token, "holds its lease");
                    ctx.set_lease(Some(holding.grant.fence()));
                    // Only now is the child made; a factory that fails
                    // ends the incarnation, and the lease is given up.
                    match make.take().map(|make| std::panic::catch_unwind(AssertUnwindSafe(|| make(ctx.clone())))) {
                        Some(Ok(Some(future))) => *child = Some(Box::pin(future)),
                        Some(Ok(None)) | None => holding.ended = Some(TaskResult::Worker(Err(Arc::from(SPENT)))),
                        Some(Err(payload)) => holding.ended = Some(TaskResult::Panicked(panic_message(payload))),
                    }
                    return Some(Phase::Holding(Box::new(holding)));
                }
                // Granted too late (or too short) to run before it must
                // stop: given back, and tried again after a pause.
                let mut release = holder.store.release(&holding.grant);
                if release.as_mut().poll(cx).is_pending() {
                    *giving_back = Some(release);
                }
                Arc::from("the lease was granted too late to run before its deadline")
            }
            Poll::Ready(Err(LeaseError::Lost)) => Arc::from("the lease was lost while campaigning"),
            Poll::Ready(Err(LeaseError::Unreachable(why))) => why,
        };
        *call = None;
        // A run of failures counts from when its first call was sent, and
        // is ended only by a call that waited longer than the run may last
        // (for the key, the store in reach meanwhile), which starts a new
        // one now.
        let waited_long = now.saturating_duration_since(*called_at) > singleton.unreachable_after;
        if waited_long {
            *unreachable_since = None;
        }
        if unreachable_since.is_none() {
            tracing::warn!(key = %singleton.key, reason = %failure, "its campaign for the lease failed: trying again");
        }
        let since = *unreachable_since.get_or_insert(if waited_long { now } else { *called_at });
        if now.saturating_duration_since(since) >= singleton.unreachable_after {
            let why = format!("lease store unreachable for {:?}: {failure}", singleton.unreachable_after);
            return Some(Phase::ended(TaskResult::Worker(Err(Arc::from(why)))));
        }
        let at = now + *delay;
        *retry_at = Some(at);
        *delay = (*delay * 2).min(singleton.renew_every.max(FIRST_RETRY));
        wake_at(timer, at, cx);
        None
    }

    fn holding(&mut self, cx: &mut Context<'_>) -> Option<Phase> {
        let Hold { ctx, holder, child, phase, timer, .. } = self;
        let Phase::Holding(holding) = phase else { return None };
        // The clock is read before the child is polled: a renewal that
        // came too late, or a process that was paused, stops it first.
        holding.renew(holder, cx);
        if holding.doubt && ctx.fence().is_some() {
            tracing::warn!(key = %holding.grant.key, token = holding.grant.token, "its lease is in doubt: stopping it");
            // Asked to stop, and no longer a holder to its own code.
            ctx.set_lease(None);
            ctx.cancel();
        }
        let now = Instant::now();
        let past_hard = now >= holding.deadlines.hard;
        if past_hard && child.take().is_some() {
            // Dropped without another poll.
            holding.ended = Some(TaskResult::LeaseLost);
        }
        let lost_or = |result| if holding.doubt { TaskResult::LeaseLost } else { result };
        // A helper that failed ends the incarnation (a lost lease is the
        // cause if it failed after the lease came into doubt).
        if let Some(failure) = child.as_ref().and(ctx.helpers()).and_then(|helpers| helpers.poll_failed(cx)) {
            *child = None;
            holding.ended = Some(lost_or(TaskResult::Helper(failure)));
        }
        if let Some(result) = child.as_mut().and_then(|child| poll_child(child.as_mut(), cx)) {
            *child = None;
            // Ending well once in doubt is stopping for the lease; an error stands.
            let ended_well = matches!(result, TaskResult::Worker(Ok(())));
            holding.ended = Some(if ended_well { lost_or(result) } else { result });
        }
        let Some(result) = holding.ended.take() else {
            if !past_hard {
                wake_at(timer, holding.next_wake(holder.singleton.renew_every), cx);
            }
            return None;
        };
        // Its helpers are asked to stop; the lease is kept, renewed, until
        // they have ended, for at most its shutdown time (and never past
        // `hard`), when they are aborted.
        ctx.cancel();
        let Some(helpers) = ctx.helpers() else { return Some(release(ctx, holder, holding, result)) };
        if let Poll::Ready(failed) = helpers.poll_ended(cx) {
            return Some(release(ctx, holder, holding, with_helpers(result, failed)));
        }
        let abort_at = (*holding.drain_until.get_or_insert(now + holder.stop)).min(holding.deadlines.hard);
        if now >= abort_at {
            helpers.abort_all();
            if now >= abort_at + RELEASE_WAIT {
                // Still alive: one blocks its thread. The lease is left to
                // lapse, and the task reports it as it drains.
                ctx.set_lease(None);
                return Some(Phase::ended(result));
            }
        }
        holding.ended = Some(result);
        let mut next = if now >= abort_at { abort_at + RELEASE_WAIT } else { abort_at };
        if !past_hard {
            next = next.min(holding.next_wake(holder.singleton.renew_every));
        }
        wake_at(timer, next, cx);
        None
    }
}

/// The holder has ended: it gives the lease up, then reports.
fn release(ctx: &Ctx, holder: &Holder, holding: &Holding, result: TaskResult) -> Phase {
    ctx.set_lease(None);
    let call = Some(holder.store.release(&holding.grant));
    Phase::Releasing { call, until: Instant::now() + RELEASE_WAIT, result }
}

impl<F> Future for Hold<F>
where
    F: Future<Output: ChildReturn> + Send + 'static,
{
    type Output = TaskResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<TaskResult> {
        let this = &mut *self;
        loop {
            let next = match &mut this.phase {
                Phase::Campaign { .. } => this.campaign(cx),
                Phase::Holding(_) => this.holding(cx),
                Phase::Releasing { call, until, .. } => {
                    let until = *until;
                    let pending = call.as_mut().is_some_and(|call| call.as_mut().poll(cx).is_pending());
                    if pending && Instant::now() < until {
                        wake_at(&mut this.timer, until, cx);
                        return Poll::Pending;
                    }
                    match std::mem::replace(&mut this.phase, Phase::Reported) {
                        Phase::Releasing { result, .. } => return Poll::Ready(result),
                        _ => None,
                    }
                }
                Phase::Reported => return Poll::Pending,
            };
            match next {
                Some(phase) => this.phase = phase,
                None => return Poll::Pending,
            }
        }
    }
}

impl<F> Drop for Hold<F> {
    fn drop(&mut self) {
        let Phase::Holding(holding) = &self.phase else { return };
        // Aborted while holding. The child goes first, its destructors
        // still under the lease (a panic there is not let out of a drop).
        if let Some(child) = self.child.take() {
            let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(child)));
        }
        // With helpers still alive the lease is left to lapse, so that no
        // new holder runs beside them; otherwise it is given up if the
        // store takes it at once (the in-process one does; etcd's revoke
        // would need another poll, so its lease lapses after its TTL).
        let helpers_alive = self.ctx.helpers().is_some_and(|helpers| helpers.abort_all());
        self.ctx.set_lease(None);
        if !helpers_alive {
            let mut call = self.holder.store.release(&holding.grant);
            let _ = call.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop()));
        }
    }
}
