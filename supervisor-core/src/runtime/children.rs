//! The table of a supervisor's children, in start order, and the count of
//! their tasks.
//!
//! Children are addressed by a stable index. Removing one leaves a hole that
//! a later insert reuses; the start order keeps `(index, stamp)` pairs and
//! skips stale ones, compacting once half of it is stale, so insert, remove
//! and lookup by id are all amortized O(1).
//!
//! The table also owns the invariant "`alive` counts the tasks spawned whose
//! end has not been reported", and keeps the handles of tasks that have
//! reported, so the loop can await them before it returns.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::child::Child;

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

    fn write_usize(&mut self, n: usize) {
        self.write(&n.to_le_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// How many reaped handles pile up before the finished ones are dropped.
const REAP_BATCH: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Children {
    entries: Vec<Option<Child>>,
    free: Vec<usize>,
    order: Vec<(usize, u64)>,
    stale_in_order: usize,
    by_id: FnvMap<Arc<str>, usize>,
    next_stamp: u64,
    next_epoch: u64,
    /// Tasks spawned whose end has not been reported yet.
    alive: usize,
    /// Incarnations reported as not ended, whose end may still arrive.
    abandoned: HashSet<(usize, u64)>,
    /// Handles of tasks that reported their end, awaited before the loop
    /// returns, so that no task of the tree outlives it even for the moment
    /// between its report and its return.
    reaping: Vec<JoinHandle<()>>,
}

impl Children {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Children {
            entries: Vec::with_capacity(capacity),
            free: Vec::new(),
            order: Vec::with_capacity(capacity),
            stale_in_order: 0,
            by_id: FnvMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            next_stamp: 0,
            next_epoch: 0,
            alive: 0,
            abandoned: HashSet::new(),
            reaping: Vec::new(),
        }
    }

    /// Appends a child at the end of the start order.
    pub(crate) fn insert(&mut self, mut child: Child) -> usize {
        self.next_stamp += 1;
        child.stamp = self.next_stamp;
        let id = child.spec.id.clone();
        let index = match self.free.pop() {
            Some(index) => {
                self.entries[index] = Some(child);
                index
            }
            None => {
                self.entries.push(Some(child));
                self.entries.len() - 1
            }
        };
        self.order.push((index, self.next_stamp));
        self.by_id.insert(id, index);
        index
    }

    /// Forgets a child. Dropping its spec runs the user's destructors, so a
    /// panic there is caught: it must not end the loop.
    pub(crate) fn remove(&mut self, index: usize) {
        let Some(child) = self.entries.get_mut(index).and_then(Option::take) else { return };
        self.by_id.remove(&child.spec.id);
        self.free.push(index);
        self.stale_in_order += 1;
        if self.stale_in_order * 2 > self.order.len() {
            let entries = &self.entries;
            self.order.retain(|&(i, stamp)| entries[i].as_ref().is_some_and(|c| c.stamp == stamp));
            self.stale_in_order = 0;
        }
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| drop(child)));
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Child> {
        self.entries.get(index)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Child> {
        self.entries.get_mut(index)?.as_mut()
    }

    pub(crate) fn find(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// How many children there are.
    pub(crate) fn count(&self) -> usize {
        self.by_id.len()
    }

    /// Indices in start order.
    pub(crate) fn in_order(&self) -> impl DoubleEndedIterator<Item = usize> + '_ {
        self.order
            .iter()
            .filter(|&&(i, stamp)| self.entries[i].as_ref().is_some_and(|c| c.stamp == stamp))
            .map(|&(i, _)| i)
    }

    /// Every child, in start order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Child> + '_ {
        self.in_order().filter_map(|i| self.get(i))
    }

    /// A fresh epoch for a new incarnation or wait of the child at `index`.
    pub(crate) fn new_epoch(&mut self, index: usize) -> u64 {
        self.next_epoch += 1;
        let epoch = self.next_epoch;
        if let Some(child) = self.get_mut(index) {
            child.epoch = epoch;
        }
        epoch
    }

    // ===== the tasks =====

    pub(crate) fn alive(&self) -> usize {
        self.alive
    }

    pub(crate) fn spawned(&mut self) {
        self.alive += 1;
    }

    /// Counts a reported end; `false` if the incarnation had been abandoned
    /// (reported as not ended) and its end is to be ignored.
    pub(crate) fn reported(&mut self, index: usize, epoch: u64) -> bool {
        if !self.abandoned.is_empty() && self.abandoned.remove(&(index, epoch)) {
            return false;
        }
        self.alive -= 1;
        true
    }

    /// Stops waiting for an aborted task that has not ended.
    pub(crate) fn abandon(&mut self, index: usize, epoch: u64) {
        self.alive -= 1;
        self.abandoned.insert((index, epoch));
    }

    /// Keeps the handle of a task that reported its end, to await it before
    /// the loop returns; handles of tasks that have finished are dropped.
    pub(crate) fn reap(&mut self, task: JoinHandle<()>) {
        self.reaping.push(task);
        if self.reaping.len() >= REAP_BATCH {
            self.reaping.retain(|task| !task.is_finished());
        }
    }

    /// Awaits every task that has reported its end.
    pub(crate) async fn join_reaped(&mut self) {
        for task in self.reaping.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Children {
    /// Only if the loop itself is lost mid-run (a bug, or the runtime
    /// shutting down): abort every task still alive, so none outlives it.
    fn drop(&mut self) {
        if self.alive == 0 {
            return;
        }
        for child in self.entries.iter().flatten() {
            if let Some(live) = child.state.live() {
                live.task.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChildSpec, Ctx};

    fn child(id: &str) -> Child {
        let spec = ChildSpec::worker(id, |_ctx: Ctx| async {});
        Child::new(spec, Arc::from(id))
    }

    #[test]
    fn order_survives_removal_and_reuse() {
        let mut children = Children::default();
        let a = children.insert(child("a"));
        let b = children.insert(child("b"));
        let c = children.insert(child("c"));
        children.remove(b);
        let d = children.insert(child("d"));
        assert_eq!(d, b, "the hole is reused");
        let ids: Vec<_> = children.iter().map(|c| c.spec.id.to_string()).collect();
        assert_eq!(ids, ["a", "c", "d"]);
        assert_eq!(children.find("d"), Some(d));
        assert_eq!(children.find("b"), None);
        assert_eq!(children.in_order().collect::<Vec<_>>(), [a, c, d]);
    }

    #[test]
    fn churn_keeps_the_order_compact() {
        let mut children = Children::default();
        for round in 0..10_000 {
            let i = children.insert(child(&format!("c{round}")));
            children.remove(i);
        }
        assert!(children.order.len() <= 2);
        assert_eq!(children.iter().count(), 0);
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
        // 272 since the snapshot says when each child started and last
        // exited (two `Instant`s): 961 bytes per child in S2mem.
        assert!(size_of::<super::Child>() <= 272, "Child is {} bytes", size_of::<super::Child>());
        assert!(size_of::<crate::ChildSpec>() <= 80, "ChildSpec is {} bytes", size_of::<crate::ChildSpec>());
        assert_eq!(size_of::<crate::Ctx>(), 8, "a Ctx is one pointer in every child's task");
        assert!(size_of::<crate::runtime::inbox::Message>() <= 48, "every exit is copied through the inbox");
    }

    #[test]
    fn a_simple_childs_task_fits_tokios_256_byte_class() {
        // tokio rounds a task up to a multiple of 128 bytes; its header and
        // trailer take about 104, so the future must stay under 152.
        let (inbox, _rx) = tokio::sync::mpsc::unbounded_channel();
        let signal = crate::ctx::ReadySignal { tx: inbox, ready: crate::ctx::Ready { slot: 0, epoch: 0 } };
        let ctx = crate::Ctx::new(std::sync::Arc::from("a/b"), 0, Some(signal), false);
        let report = crate::runtime::task::Report(ctx.clone());
        let child = |ctx: crate::Ctx| async move { ctx.cancelled().await };
        let task = crate::runtime::task::ChildTask::<_, crate::runtime::task::WorkerOutcome>::new(child(ctx), report);
        assert!(std::mem::size_of_val(&task) <= 152, "the task's future is {} bytes", std::mem::size_of_val(&task));
    }
}
