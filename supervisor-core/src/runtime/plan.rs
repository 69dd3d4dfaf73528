//! The plan: the sequence of stops and starts the loop is carrying out.
//!
//! OTP does a restart synchronously: stop these children one at a time, then
//! start those one at a time. The loop must not block, so it keeps that
//! sequence as data and moves to the next step when the current one is done
//! (a stopped child's task has ended; a started child is ready), answering
//! everything else meanwhile.

use std::collections::VecDeque;

use tokio::time::Instant;

use super::command::{Reply, ReplyTx};
use crate::control::ControlError;

#[derive(Debug)]
pub(crate) enum Step {
    /// Stop this child; done once its task has ended.
    StopOne(usize),
    /// Stop these children concurrently; done once all their tasks ended.
    Stop(Box<[usize]>),
    /// Start this child (if it is not running); done once it is ready.
    Start(usize),
    /// Put these children in the restarting state until `at`, which counts
    /// from the exit that caused the restart (time spent stopping siblings
    /// is part of the delay). Done at once: a backoff delay never holds up
    /// anything else.
    Delay(Box<(Instant, Vec<usize>)>),
    /// Forget this child if it is stopped (a terminated dynamic child).
    Forget(usize),
    /// Answer a control call: the steps before it are done.
    Reply(Box<ReplyStep>),
}

/// A control call's answer, once the steps before it are done. If the start
/// just before it fails, the call gets the error instead and the child
/// `discard` (added by that call) is forgotten.
#[derive(Debug)]
pub(crate) struct ReplyStep {
    pub(crate) tx: ReplyTx,
    pub(crate) reply: Reply,
    pub(crate) discard: Option<usize>,
}

impl Step {
    pub(crate) fn reply(tx: ReplyTx, reply: Reply, discard: Option<usize>) -> Step {
        Step::Reply(Box::new(ReplyStep { tx, reply, discard }))
    }
}

/// What the current step is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Waiting {
    #[default]
    Nothing,
    /// `left` children of stop step number `step` still have a live task.
    Stops { step: u64, left: usize },
    /// This starting incarnation to be ready.
    Ready { slot: usize, epoch: u64 },
}

#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) steps: VecDeque<Step>,
    pub(crate) waiting: Waiting,
}

impl Plan {
    /// Whether the current step is over (or there is none).
    pub(crate) fn step_done(&self) -> bool {
        matches!(self.waiting, Waiting::Nothing | Waiting::Stops { left: 0, .. })
    }

    /// Whether there is nothing left to do.
    pub(crate) fn is_idle(&self) -> bool {
        self.step_done() && self.steps.is_empty()
    }

    /// Drops every step not yet begun, answering the control calls among
    /// them with `error`; the current step still completes.
    pub(crate) fn abandon_rest(&mut self, error: &ControlError) {
        for step in self.steps.drain(..) {
            if let Step::Reply(reply) = step {
                let _ = reply.tx.send(Err(error.clone()));
            }
        }
    }
}
