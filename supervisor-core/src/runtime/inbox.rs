//! The loop's one input: everything that reaches a supervisor arrives as a
//! message on one channel, so each turn of the loop registers one waker.

use super::command::Command;
use super::task::TaskExit;
use crate::ctx::Ready;

#[derive(Debug)]
pub(crate) enum Message {
    /// A child's task ended (returned, failed, panicked or was aborted).
    Exit(TaskExit),
    /// A child called `Ctx::ready`, or a nested supervisor started.
    Ready(Ready),
    /// A child's own future ended and its helpers are ending: it is held
    /// to its shutdown setting, as if asked to stop.
    Draining(Ready),
    /// A control call (boxed: calls are rare and large, exits are many).
    Command(Box<Command>),
    /// Stop every child in order, then end (from the owner, or the parent).
    Stop,
    /// Abort every child now and end once all have ended (the parent's
    /// shutdown deadline for this supervisor passed, or the parent is gone).
    Kill,
}
