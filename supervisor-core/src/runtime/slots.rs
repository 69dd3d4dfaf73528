//! The loop's table of children: one slot per child spec, in start order.
//!
//! Slots are addressed by a stable index. Removing a slot leaves a hole that
//! a later insert reuses; the start order keeps `(index, stamp)` pairs and
//! skips stale ones, compacting once half of it is stale, so insert, remove
//! and lookup by id are all amortized O(1).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::inbox::Message;
use crate::child_spec::ChildSpec;
use crate::ctx::Ctx;
use crate::exit::{ExitReason, ExitReport};
use crate::policy::backoff::BackoffState;

/// Where a child is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Spawned, waiting for it to call `Ctx::ready`.
    Starting,
    Running,
    /// Asked to stop (or aborted), its task not yet ended.
    Stopping {
        aborted: bool,
    },
    /// Waiting out a backoff delay.
    Restarting {
        at: Instant,
    },
    /// Not running.
    Stopped,
}

impl State {
    pub(crate) fn is_alive(self) -> bool {
        matches!(self, State::Starting | State::Running | State::Stopping { .. })
    }
}

/// The handles of a running incarnation.
#[derive(Debug)]
pub(crate) struct Live {
    /// Its context, through which the supervisor asks it to stop.
    pub(crate) ctx: Ctx,
    pub(crate) task: JoinHandle<()>,
    /// For a nested supervisor: how to reach its loop.
    pub(crate) nested: Option<Nested>,
}

/// The link to a running nested supervisor's loop.
#[derive(Debug)]
pub(crate) struct Nested {
    /// Its inbox: control calls, and stop and kill from its parent.
    pub(crate) inbox: mpsc::UnboundedSender<Message>,
}

impl Drop for Nested {
    /// A parent that lets go of a running nested supervisor (it panicked, or
    /// its task was dropped) takes the subtree down with it. Once the nested
    /// loop has ended this finds its inbox closed and does nothing.
    fn drop(&mut self) {
        let _ = self.inbox.send(Message::Kill);
    }
}

/// A child's backoff: restarts in a row, and when its incarnation started.
#[derive(Debug, Default)]
pub(crate) struct BackoffRun {
    pub(crate) state: BackoffState,
    pub(crate) started_at: Option<Instant>,
}

/// When a stop began; once it is over, how long it took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum StopClock {
    #[default]
    Idle,
    Since(Instant),
    Took(Duration),
}

impl StopClock {
    pub(crate) fn took(self) -> Option<Duration> {
        match self {
            StopClock::Took(took) => Some(took),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) spec: ChildSpec,
    pub(crate) path: Arc<str>,
    stamp: u64,
    pub(crate) state: State,
    /// Unique per supervisor for every incarnation and every backoff wait:
    /// timers, readiness and exits carry it, and stale ones are ignored.
    pub(crate) epoch: u64,
    /// 0 for the first incarnation, one more for every restart.
    pub(crate) generation: u64,
    pub(crate) ever_started: bool,
    pub(crate) last_exit: Option<ExitReason>,
    /// Only for a child with a backoff (boxed: most have none).
    pub(crate) backoff: Option<Box<BackoffRun>>,
    pub(crate) live: Option<Live>,
    /// The last incarnation's context, when nothing else holds it: the
    /// next start reuses its allocation.
    pub(crate) spare: Option<Ctx>,
    /// A step of the current plan will stop it; an exit of its own is then
    /// part of that plan, not a new failure.
    pub(crate) doomed: bool,
    /// The stop step (by number) waiting for its task to end; 0 for none.
    pub(crate) awaited_by: u64,
    pub(crate) ready_timed_out: bool,
    /// This incarnation was announced as started (event, metrics).
    pub(crate) announced: bool,
    pub(crate) stop: StopClock,
    pub(crate) subtree: Option<Box<ExitReport>>,
}

impl Slot {
    pub(crate) fn new(spec: ChildSpec, path: Arc<str>) -> Self {
        crate::metrics::declared(&path);
        Slot {
            spec,
            path,
            stamp: 0,
            state: State::Stopped,
            epoch: 0,
            generation: 0,
            ever_started: false,
            last_exit: None,
            backoff: None,
            live: None,
            spare: None,
            doomed: false,
            awaited_by: 0,
            ready_timed_out: false,
            announced: false,
            stop: StopClock::Idle,
            subtree: None,
        }
    }
}

/// FNV-1a: child ids are short and chosen by the program, not by an
/// attacker, so SipHash's protection is not needed and its cost is.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for byte in bytes {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug, Default)]
pub(crate) struct Slots {
    entries: Vec<Option<Slot>>,
    free: Vec<usize>,
    order: Vec<(usize, u64)>,
    stale_in_order: usize,
    by_id: HashMap<Arc<str>, usize, BuildHasherDefault<Fnv>>,
    next_stamp: u64,
}

impl Slots {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Slots {
            entries: Vec::with_capacity(capacity),
            order: Vec::with_capacity(capacity),
            by_id: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            ..Slots::default()
        }
    }

    /// Appends a child at the end of the start order.
    pub(crate) fn insert(&mut self, mut slot: Slot) -> usize {
        self.next_stamp += 1;
        slot.stamp = self.next_stamp;
        let id = slot.spec.id.clone();
        let index = match self.free.pop() {
            Some(index) => {
                self.entries[index] = Some(slot);
                index
            }
            None => {
                self.entries.push(Some(slot));
                self.entries.len() - 1
            }
        };
        self.order.push((index, self.next_stamp));
        self.by_id.insert(id, index);
        index
    }

    pub(crate) fn remove(&mut self, index: usize) -> Option<Slot> {
        let slot = self.entries.get_mut(index)?.take()?;
        self.by_id.remove(&slot.spec.id);
        self.free.push(index);
        self.stale_in_order += 1;
        if self.stale_in_order * 2 > self.order.len() {
            let entries = &self.entries;
            self.order.retain(|&(i, stamp)| entries[i].as_ref().is_some_and(|s| s.stamp == stamp));
            self.stale_in_order = 0;
        }
        Some(slot)
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Slot> {
        self.entries.get(index)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Slot> {
        self.entries.get_mut(index)?.as_mut()
    }

    pub(crate) fn find(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// How many children there are.
    pub(crate) fn count(&self) -> usize {
        self.by_id.len()
    }

    /// Slot indices in start order.
    pub(crate) fn in_order(&self) -> impl DoubleEndedIterator<Item = usize> + '_ {
        self.order
            .iter()
            .filter(|&&(i, stamp)| self.entries[i].as_ref().is_some_and(|s| s.stamp == stamp))
            .map(|&(i, _)| i)
    }

    /// Every live slot, in start order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Slot> + '_ {
        self.in_order().filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ctx;

    fn slot(id: &str) -> Slot {
        let spec = ChildSpec::worker(id, |_ctx: Ctx| async {});
        Slot::new(spec, Arc::from(id))
    }

    #[test]
    fn order_survives_removal_and_reuse() {
        let mut slots = Slots::default();
        let a = slots.insert(slot("a"));
        let b = slots.insert(slot("b"));
        let c = slots.insert(slot("c"));
        slots.remove(b);
        let d = slots.insert(slot("d"));
        assert_eq!(d, b, "the hole is reused");
        let ids: Vec<_> = slots.iter().map(|s| s.spec.id.to_string()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
        assert_eq!(slots.find("d"), Some(d));
        assert_eq!(slots.find("b"), None);
        assert_eq!(slots.in_order().collect::<Vec<_>>(), [a, c, d]);
    }

    #[test]
    fn churn_keeps_the_order_compact() {
        let mut slots = Slots::default();
        for round in 0..10_000 {
            let i = slots.insert(slot(&format!("c{round}")));
            slots.remove(i);
        }
        assert!(slots.order.len() <= 2);
        assert_eq!(slots.iter().count(), 0);
    }
}
#[cfg(test)]
mod size_budget {
    //! The per-child memory budget (under 1 KiB at 100,000 children, see
    //! BENCHMARKS.md) rests on these sizes; a change that grows one should
    //! be a decision, not an accident.
    use std::mem::size_of;

    #[test]
    fn per_child_structures_stay_small() {
        assert!(size_of::<super::Slot>() <= 248, "Slot is {} bytes", size_of::<super::Slot>());
        assert!(size_of::<crate::ChildSpec>() <= 80, "ChildSpec is {} bytes", size_of::<crate::ChildSpec>());
        assert_eq!(size_of::<crate::Ctx>(), 8, "a Ctx is one pointer in every child's task");
        assert!(size_of::<crate::runtime::plan::Step>() <= 24);
        assert!(size_of::<crate::runtime::inbox::Message>() <= 48, "every exit is copied through the inbox");
    }

    #[test]
    fn a_simple_childs_task_fits_tokios_256_byte_class() {
        // tokio rounds a task up to a multiple of 128 bytes; its header and
        // trailer take about 104, so the future must stay under 152.
        let (inbox, _rx) = tokio::sync::mpsc::unbounded_channel();
        let report = crate::runtime::task::Report { inbox, slot: 0, epoch: 0 };
        let ctx = crate::Ctx::detached("a/b");
        let child = |ctx: crate::Ctx| async move { ctx.cancelled().await };
        let task = crate::runtime::task::ChildTask::<_, crate::runtime::task::WorkerOutcome>::new(child(ctx), report);
        assert!(std::mem::size_of_val(&task) <= 152, "the task's future is {} bytes", std::mem::size_of_val(&task));
    }
}
