//! Partitioned dynamic supervisors (Elixir's `PartitionSupervisor`): N
//! independent dynamic loops under one name, so that starts, exits and
//! restarts of many children spread over the runtime's workers.
//!
//! - **Shape**: a supervisor named as asked, one-for-one, whose children
//!   are the partitions `p0` ... `p{N-1}`, each a dynamic supervisor with
//!   the template and its own restart intensity. A partition that gives up
//!   is restarted by that parent (1 restart in 5 s, OTP's default); past
//!   that the parent gives up and escalates like any child. The partitions
//!   stop concurrently, in one shutdown stage, under the parent's deadline.
//! - **Routing**: a [`DynamicHandle`](crate::DynamicHandle) sends a keyed
//!   call to partition `fnv1a(key) % N` (the same partition for a key, in
//!   every process and release), an unkeyed start round robin, straight to
//!   the partition's loop. A child's id is its partition and its id there:
//!   `p1/17`, `p0/10.0.0.7:5000`.
//! - **`max_children`** holds for the whole: one counter shared by the
//!   partitions, which a start reserves before its child is made and a
//!   child's end releases, so the whole never holds more, whatever the
//!   partitions do at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::mpsc::UnboundedSender;

use crate::control::ControlError;
use crate::handle::SupervisorHandle;
use crate::runtime::command::{Command, Op, Reply};
use crate::runtime::inbox::Message;

/// How many partitions a dynamic supervisor has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    Fixed(usize),
    /// One per worker of the runtime it is built in.
    Workers,
}

impl Count {
    pub(crate) fn resolve(self) -> usize {
        match self {
            Count::Fixed(n) => n,
            Count::Workers => tokio::runtime::Handle::try_current().map_or_else(
                |_| std::thread::available_parallelism().map_or(1, usize::from),
                |runtime| runtime.metrics().num_workers(),
            ),
        }
    }
}

/// What a spec says of its partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) n: usize,
    /// `max_children` of the whole; `usize::MAX` for none.
    pub(crate) max: usize,
}

/// The whole's `max_children`, shared by its partitions.
#[derive(Debug)]
pub(crate) struct Budget {
    /// The partitioned supervisor's path, for the error.
    pub(crate) whole: Arc<str>,
    max: usize,
    used: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(whole: Arc<str>, max: usize) -> Self {
        Budget { whole, max, used: AtomicUsize::new(0) }
    }

    /// Takes a place for one child, or says the whole is full.
    pub(crate) fn reserve(&self) -> Result<(), usize> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| (used < self.max).then_some(used + 1))
            .map(|_| ())
            .map_err(|_| self.max)
    }

    /// Gives back the places of `n` children that have gone.
    pub(crate) fn release(&self, n: usize) {
        let _ = self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| Some(used.saturating_sub(n)));
    }
}

/// The partition of a key: FNV-1a over its text, so it is the same in
/// every process and every release.
pub(crate) fn of_key(key: &str, partitions: usize) -> usize {
    (fnv1a(key) % partitions as u64) as usize
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The name of partition `i`.
pub(crate) fn name(i: usize) -> String {
    format!("p{i}")
}

/// Where a handle's calls go: one loop, or the partitions' own loops.
#[derive(Debug)]
pub(crate) enum Route {
    Single,
    Partitioned(Arc<Partitions>),
}

/// The partitions of one running partitioned supervisor: made by its loop
/// when it starts, shared by every handle (one round robin, one cache of
/// inboxes) and by the partitions (one budget).
#[derive(Debug)]
pub(crate) struct Partitions {
    next: AtomicUsize,
    /// Each partition's inbox, once known; a partition started again has a
    /// new one, found again on the first call that fails to reach it.
    inboxes: Box<[RwLock<Option<UnboundedSender<Message>>>]>,
    budget: Option<Budget>,
}

impl Route {
    /// Asks the supervisor `handle` addresses whether it is partitioned.
    pub(crate) async fn find(handle: &SupervisorHandle) -> Result<Route, ControlError> {
        match handle.call(Op::Partitions).await? {
            Reply::Partitions(None) => Ok(Route::Single),
            Reply::Partitions(Some(partitions)) => Ok(Route::Partitioned(partitions)),
            _ => Err(handle.shutting_down()),
        }
    }
}

impl Partitions {
    pub(crate) fn new(whole: &Arc<str>, shape: Shape) -> Self {
        Partitions {
            next: AtomicUsize::new(0),
            inboxes: (0..shape.n).map(|_| RwLock::new(None)).collect(),
            budget: (shape.max < usize::MAX).then(|| Budget::new(whole.clone(), shape.max)),
        }
    }

    /// The whole's `max_children`, if it has one.
    pub(crate) fn budget(&self) -> Option<&Budget> {
        self.budget.as_ref()
    }

    pub(crate) fn len(&self) -> usize {
        self.inboxes.len()
    }

    /// The partition for the next unkeyed start.
    pub(crate) fn round_robin(&self) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed) % self.len()
    }

    /// Calls partition `i` of the supervisor `handle` addresses, straight
    /// to its loop when its inbox is known.
    pub(crate) async fn call(&self, handle: &SupervisorHandle, i: usize, op: Op) -> Result<Reply, ControlError> {
        self.send(handle, i, op).await.unwrap_or_else(|(_, error)| Err(error))
    }

    /// Sends `op` to partition `i`, and waits for its answer; gives `op`
    /// back, with the reason, if that partition is not running (it gave up,
    /// and the whole has not started it again yet, or has stopped it).
    pub(crate) async fn send(
        &self,
        handle: &SupervisorHandle,
        i: usize,
        op: Op,
    ) -> Result<Result<Reply, ControlError>, (Op, ControlError)> {
        let slot = &self.inboxes[i];
        let (reply, answer) = tokio::sync::oneshot::channel();
        let command = Box::new(Command { scope: Arc::new([]), depth: 0, op, reply });
        // Sent under the lock: no clone of the sender, no contention on its
        // counts.
        let unsent = match slot.read() {
            Ok(inbox) => match inbox.as_ref() {
                Some(inbox) => deliver(inbox, command),
                None => Some(command),
            },
            Err(_) => Some(command),
        };
        let partition = || handle.nested(&name(i));
        if let Some(command) = unsent {
            let partition = partition();
            // Not known yet, or that partition has ended: ask the whole for
            // the one that may have taken its place, and learn its inbox.
            let inbox = match partition.call(Op::Inbox).await {
                Ok(Reply::Inbox(inbox)) => inbox,
                Ok(_) => return Err((command.op, partition.shutting_down())),
                Err(error) => return Err((command.op, error)),
            };
            if let Some(command) = deliver(&inbox, command) {
                return Err((command.op, partition.shutting_down()));
            }
            if let Ok(mut slot) = slot.write() {
                *slot = Some(inbox);
            }
        }
        Ok(answer.await.unwrap_or_else(|_| Err(partition().shutting_down())))
    }
}

/// Sends `command` to a loop's inbox; gives it back if that loop has ended.
fn deliver(inbox: &UnboundedSender<Message>, command: Box<Command>) -> Option<Box<Command>> {
    match inbox.send(Message::Command(command)) {
        Ok(()) => None,
        Err(failed) => match failed.0 {
            Message::Command(command) => Some(command),
            // Only a command was sent: dropped, its caller hears the loop ended.
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_always_lands_in_the_same_partition_and_keys_spread() {
        assert_eq!(of_key("10.0.0.7:5000", 4), of_key("10.0.0.7:5000", 4));
        // FNV-1a's own test vector: the routing is part of the contract.
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!([of_key("a", 4), of_key("b", 4), of_key("c", 4), of_key("d", 4)], [0, 1, 2, 3]);
        let mut seen = [0usize; 4];
        for i in 0..4000 {
            seen[of_key(&format!("session-{i}"), 4)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    #[test]
    fn the_budget_never_lets_more_in_than_its_max() {
        let budget = Budget::new("app/conns".into(), 2);
        assert_eq!((budget.reserve(), budget.reserve(), budget.reserve()), (Ok(()), Ok(()), Err(2)));
        budget.release(1);
        assert_eq!(budget.reserve(), Ok(()));
        budget.release(5);
        assert_eq!(budget.used.load(Ordering::Relaxed), 0, "never below zero");
    }
}
