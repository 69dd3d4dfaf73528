//! The loop's table of children: one slot per child spec, in start order.
//!
//! Slots are addressed by a stable index. Removing a slot leaves a hole that
//! a later insert reuses; the start order keeps `(index, stamp)` pairs and
//! skips stale ones, compacting once half of it is stale, so insert, remove
//! and lookup by id are all amortized O(1).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::inbox::Message;
use crate::child_spec::ChildSpec;
use crate::ctx::Signal;
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
    /// Its stop signal (what its `Ctx::cancelled` waits for).
    pub(crate) signal: Signal,
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
    pub(crate) restarts: u64,
    pub(crate) last_exit: Option<ExitReason>,
    pub(crate) backoff: BackoffState,
    pub(crate) started_at: Instant,
    pub(crate) live: Option<Live>,
    /// A step of the current plan will stop it; an exit of its own is then
    /// part of that plan, not a new failure.
    pub(crate) doomed: bool,
    /// The stop step (by number) waiting for its task to end; 0 for none.
    pub(crate) awaited_by: u64,
    pub(crate) ready_timed_out: bool,
    /// This incarnation was announced as started (event, metrics).
    pub(crate) announced: bool,
    pub(crate) stop_began: Option<Instant>,
    pub(crate) stop_took: Option<Duration>,
    pub(crate) subtree: Option<Box<ExitReport>>,
}

impl Slot {
    pub(crate) fn new(spec: ChildSpec, path: Arc<str>, now: Instant) -> Self {
        crate::metrics::declared(&path);
        Slot {
            spec,
            path,
            stamp: 0,
            state: State::Stopped,
            epoch: 0,
            generation: 0,
            ever_started: false,
            restarts: 0,
            last_exit: None,
            backoff: BackoffState::default(),
            started_at: now,
            live: None,
            doomed: false,
            awaited_by: 0,
            ready_timed_out: false,
            announced: false,
            stop_began: None,
            stop_took: None,
            subtree: None,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Slots {
    entries: Vec<Option<Slot>>,
    free: Vec<usize>,
    order: Vec<(usize, u64)>,
    stale_in_order: usize,
    by_id: HashMap<Arc<str>, usize>,
    next_stamp: u64,
}

impl Slots {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Slots {
            entries: Vec::with_capacity(capacity),
            order: Vec::with_capacity(capacity),
            by_id: HashMap::with_capacity(capacity),
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
        Slot::new(spec, Arc::from(id), Instant::now())
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
