//! The rules a supervisor follows, as pure functions and small state machines.
//!
//! Nothing here touches a runtime: every function takes the current time as a
//! value, so each rule can be tested exhaustively on its own. The runtime loop
//! asks these modules what to do and then does it.
//!
//! | file | rule |
//! |---|---|
//! | [`restart`] | which exits a restart type restarts |
//! | [`strategy`] | which siblings a failure takes down with it |
//! | [`intensity`] | when a supervisor gives up |
//! | [`backoff`] | how long to wait before a restart |
//! | [`auto_shutdown`] | when significant children's exits end their supervisor |
//! | `decision` | the OTP decision on one exit, combining all of the above |
//! | `shutdown` | the order in which a supervisor stops its children |
//! | [`rng`] | the seedable jitter source |

pub mod auto_shutdown;
pub mod backoff;
pub(crate) mod decision;
pub mod intensity;
pub mod restart;
pub mod rng;
pub(crate) mod shutdown;
pub mod strategy;
