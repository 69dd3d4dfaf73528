//! The imperative shell: one tokio task per supervisor.
//!
//! | file | what it holds |
//! |---|---|
//! | [`supervisor`] | the loop: its state, its `select!`, how steps advance |
//! | [`lifecycle`] | starting, stopping, aborting one child; reading its exit |
//! | [`command`] | control calls: queries at once, changes as plan steps |
//! | [`inbox`] | the one channel everything reaches the loop by |
//! | [`decide`] | what an exit leads to: the policy turned into a plan |
//! | [`shutdown`] | stopping the whole supervisor and its report |
//! | [`plan`] | the sequence of stops and starts in progress |
//! | [`slots`] | the table of children |
//! | [`timers`] | shutdown deadlines, ready deadlines, backoff delays, abort grace |
//! | [`task`] | the spawned task of one incarnation: panic capture, reporting its end |

pub(crate) mod command;
pub(crate) mod decide;
pub(crate) mod inbox;
pub(crate) mod lifecycle;
pub(crate) mod plan;
pub(crate) mod shutdown;
pub(crate) mod slots;
pub(crate) mod supervisor;
pub(crate) mod task;
pub(crate) mod timers;

use crate::error::{StartError, SupervisorError};
use crate::exit::ExitReport;

/// How a supervisor loop ended.
#[derive(Debug, Clone)]
pub(crate) enum LoopEnd {
    /// Stopped on request (or by auto-shutdown); every child has ended.
    Stopped(ExitReport),
    /// A child failed to start; those started were stopped.
    StartFailed(StartError),
    /// It gave up (intensity) after stopping every child.
    GaveUp(SupervisorError),
}

/// Work the loop does when no plan is in progress, in arrival order.
#[derive(Debug)]
pub(crate) enum Work {
    /// A child ended on its own: apply its restart type and the strategy.
    Exit { slot: usize, epoch: u64 },
    /// A backoff delay is over: start the child again.
    Start { slot: usize, epoch: u64 },
    /// A control call that changes children, held until no plan runs.
    Command(Box<command::Command>),
}
