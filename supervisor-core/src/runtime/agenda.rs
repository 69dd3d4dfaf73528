//! The agenda: work the loop is ahead of, never inside.
//!
//! OTP carries out a start sequence and a group restart synchronously; the
//! loop keeps them here as data and moves them on whenever a child it waits
//! for has stopped or started, answering everything else in between. It
//! also holds the answers of control calls that wait for a child.

use std::collections::VecDeque;

use tokio::time::Instant;

use super::children::FnvMap;
use super::command::ReplyTx;
use crate::policy::shutdown::Stage;

/// Starting children one at a time, each once the one before it has
/// started: the supervisor's own start, or a group restart (whose stops,
/// one at a time in the order given, come first).
#[derive(Debug, Default)]
pub(crate) struct Sequence {
    pub(crate) stops: VecDeque<usize>,
    pub(crate) starts: VecDeque<usize>,
    /// When the starts may begin (a backoff delay).
    pub(crate) due: Option<Instant>,
}

/// A control call waiting for a child to have started.
#[derive(Debug)]
pub(crate) struct StartReply {
    pub(crate) tx: ReplyTx,
    /// The answer once it has started.
    pub(crate) reply: super::command::Reply,
    /// The call added the child: if the start fails, it is forgotten.
    pub(crate) discard: bool,
}

/// An exit to decide: the child's index and epoch (stale once it changes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pending {
    pub(crate) index: usize,
    pub(crate) epoch: u64,
    pub(crate) retry: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Agenda {
    pub(crate) sequence: Option<Sequence>,
    /// The shutdown's stages still to stop; the front one is under way.
    pub(crate) shutdown: VecDeque<Stage<usize>>,
    /// How many children of the front stage have still to end.
    pub(crate) stage_left: usize,
    /// Exits (and retries) that came during a sequence, decided in order
    /// once it is over, as OTP handles them after a synchronous restart.
    pub(crate) exits: VecDeque<Pending>,
    /// Calls waiting for a child's start, by index.
    pub(crate) start_replies: FnvMap<usize, StartReply>,
    /// Calls waiting for a child's stop, by index.
    pub(crate) stop_replies: FnvMap<usize, Vec<ReplyTx>>,
}

impl Agenda {
    /// The call waiting for the start of the child at `index`, if any
    /// (no hashing on the common path, where no call waits).
    pub(crate) fn take_start_reply(&mut self, index: usize) -> Option<StartReply> {
        if self.start_replies.is_empty() { None } else { self.start_replies.remove(&index) }
    }

    /// The calls waiting for the stop of the child at `index`.
    pub(crate) fn take_stop_replies(&mut self, index: usize) -> Option<Vec<ReplyTx>> {
        if self.stop_replies.is_empty() { None } else { self.stop_replies.remove(&index) }
    }

    /// Forgets a child that is removed from the table: no step may start it
    /// again, or stop its index's next occupant.
    pub(crate) fn forget(&mut self, index: usize) {
        if let Some(sequence) = &mut self.sequence {
            sequence.stops.retain(|&i| i != index);
            sequence.starts.retain(|&i| i != index);
        }
    }

    /// Takes a child out of the start sequence (it was terminated).
    pub(crate) fn unqueue(&mut self, index: usize) {
        if let Some(sequence) = &mut self.sequence {
            sequence.starts.retain(|&i| i != index);
        }
    }
}
