//! The loop's timers: one heap, validated lazily.
//!
//! Timers are never removed; each carries the incarnation (`epoch`) it was
//! set for, and the loop ignores a timer whose slot has moved on. The heap
//! stays small because a slot has at most one live timer of each kind.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tokio::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    /// The child's shutdown timeout ran out: abort it.
    StopDeadline,
    /// The child did not call `Ctx::ready` in time: the start failed.
    ReadyDeadline,
    /// A backoff delay is over: start the child again.
    RestartDue,
    /// An aborted task has still not ended (it blocks its thread): stop
    /// waiting for it and report it as not ended.
    AbortGrace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timer {
    pub(crate) at: Instant,
    /// Breaks ties in the order timers were set.
    seq: u64,
    pub(crate) slot: usize,
    pub(crate) epoch: u64,
    pub(crate) kind: TimerKind,
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<Timer>>,
    seq: u64,
}

impl Timers {
    pub(crate) fn set(&mut self, at: Instant, slot: usize, epoch: u64, kind: TimerKind) {
        self.seq += 1;
        self.heap.push(Reverse(Timer { at, seq: self.seq, slot, epoch, kind }));
    }

    /// The earliest deadline, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(timer)| timer.at)
    }

    /// Removes and returns the earliest timer due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        if self.next()? <= now { self.heap.pop().map(|Reverse(timer)| timer) } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_timers_come_out_in_time_then_set_order() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        timers.set(t0 + Duration::from_secs(2), 1, 0, TimerKind::RestartDue);
        timers.set(t0 + Duration::from_secs(1), 2, 0, TimerKind::RestartDue);
        timers.set(t0 + Duration::from_secs(1), 3, 0, TimerKind::StopDeadline);
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(1)));
        assert!(timers.pop_due(t0).is_none());
        let now = t0 + Duration::from_secs(1);
        assert_eq!(timers.pop_due(now).map(|t| t.slot), Some(2));
        assert_eq!(timers.pop_due(now).map(|t| t.slot), Some(3));
        assert!(timers.pop_due(now).is_none());
        assert_eq!(timers.pop_due(t0 + Duration::from_secs(5)).map(|t| t.slot), Some(1));
    }
}
