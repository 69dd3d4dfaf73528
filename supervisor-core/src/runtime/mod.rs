//! The imperative shell: one tokio task per supervisor, which never decides
//! (that is [`policy`](crate::policy)'s) and never waits inside a piece of
//! work: it is a state machine ahead of its agenda.
//!
//! | file | what it holds |
//! |---|---|
//! | [`supervisor`] | the loop: its parts, its `select!`, one turn |
//! | [`child`] | one child: its state machine, one variant per phase of an incarnation |
//! | [`children`] | the table of children in start order, and the count of their tasks |
//! | [`agenda`] | the start sequence, the shutdown stages, calls waiting for a child |
//! | [`rules`] | the spec's policies and the state they carry |
//! | [`wake`] | the turn's clock, and the sleep for the next timer |
//! | [`lifecycle`] | starting, stopping, aborting one child; reading its end |
//! | [`decide`] | what an end leads to: the policy's decision carried out |
//! | [`progress`] | moving the start sequence and the shutdown on |
//! | [`command`] | control calls, each taken up in the turn it arrives in |
//! | [`shutdown`] | stopping the whole supervisor, and its report |
//! | [`inbox`] | the one channel everything reaches the loop by |
//! | [`timers`] | stop and ready deadlines, restarts, retries, abort grace |
//! | [`task`] | the spawned task of one incarnation: panic capture, reporting its end |

pub(crate) mod agenda;
pub(crate) mod child;
pub(crate) mod children;
pub(crate) mod command;
pub(crate) mod decide;
pub(crate) mod inbox;
pub(crate) mod lifecycle;
pub(crate) mod progress;
pub(crate) mod rules;
pub(crate) mod shutdown;
pub(crate) mod supervisor;
pub(crate) mod task;
pub(crate) mod timers;
pub(crate) mod wake;

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
