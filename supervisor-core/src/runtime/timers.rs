//! The loop's timers: one heap, validated lazily.
//!
//! A timer is not removed when its incarnation moves on (a stopped child's
//! deadline, say); it carries the incarnation (`epoch`) it was set for, and
//! the loop ignores it when it comes due. So that such stale timers cannot
//! pile up under churn, the loop compacts the heap, keeping only timers that
//! still matter, whenever it has doubled since the last compaction:
//! amortized O(1), and never more than about twice the live timers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tokio::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    /// The child's shutdown timeout ran out: abort it.
    StopDeadline,
    /// The child did not call `Ctx::ready` in time: the start failed.
    ReadyDeadline,
    /// A one-for-one restart is due: start the child again.
    RestartDue,
    /// A failed start is to be tried again: decide its exit again.
    RetryDue,
    /// The start sequence's delay is over: carry it on.
    SequenceDue,
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

#[derive(Debug)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<Timer>>,
    seq: u64,
    /// The size at which the next compaction is due.
    compact_at: usize,
}

impl Default for Timers {
    fn default() -> Self {
        Timers { heap: BinaryHeap::new(), seq: 0, compact_at: MIN_COMPACT }
    }
}

/// Below this many timers the heap is never compacted.
const MIN_COMPACT: usize = 64;

impl Timers {
    pub(crate) fn set(&mut self, at: Instant, slot: usize, epoch: u64, kind: TimerKind) {
        self.seq += 1;
        self.heap.push(Reverse(Timer { at, seq: self.seq, slot, epoch, kind }));
    }

    /// Whether enough timers have accumulated since the last compaction.
    pub(crate) fn needs_compaction(&self) -> bool {
        self.heap.len() >= self.compact_at
    }

    /// Keeps only the timers `live` accepts.
    pub(crate) fn compact(&mut self, live: impl FnMut(&Timer) -> bool) {
        let mut live = live;
        self.heap.retain(|Reverse(timer)| live(timer));
        self.compact_at = (self.heap.len() * 2).max(MIN_COMPACT);
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

    #[test]
    fn compaction_keeps_live_timers_and_bounds_the_heap() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        for slot in 0..10_000usize {
            timers.set(t0 + Duration::from_secs(5), slot, 0, TimerKind::StopDeadline);
            if timers.needs_compaction() {
                // Only the last ten slots' timers still matter.
                timers.compact(|timer| timer.slot + 10 >= slot);
            }
            assert!(timers.heap.len() <= 2 * MIN_COMPACT, "{} timers", timers.heap.len());
        }
        let due: Vec<usize> =
            std::iter::from_fn(|| timers.pop_due(t0 + Duration::from_secs(5)).map(|t| t.slot)).collect();
        assert!(due.iter().rev().take(10).all(|&slot| slot >= 9990), "{due:?}");
    }
}
