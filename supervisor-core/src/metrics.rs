//! Optional metrics (cargo feature `metrics`), through the `metrics` facade:
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `supervisor_restarts_total` | counter | `path` |
//! | `supervisor_child_exits_total` | counter | `path`, `reason` |
//! | `supervisor_running_children` | gauge | `supervisor` |
//!
//! Every series is registered at zero when its child is declared, so an
//! alert on the first restart or failure can fire. Without the feature these
//! functions compile to nothing.

#[cfg(feature = "metrics")]
use crate::exit::ExitReason;

#[cfg(feature = "metrics")]
const REASONS: [&str; 9] =
    ["returned", "failed", "panicked", "stopped", "aborted", "not_ended", "killed", "gave_up", "lease_lost"];

#[cfg(feature = "metrics")]
fn reason_label(reason: &ExitReason) -> &'static str {
    match reason {
        ExitReason::Returned => REASONS[0],
        ExitReason::Failed(_) => REASONS[1],
        ExitReason::Panicked(_) => REASONS[2],
        ExitReason::Stopped => REASONS[3],
        ExitReason::Aborted => REASONS[4],
        ExitReason::NotEnded => REASONS[5],
        ExitReason::Killed => REASONS[6],
        ExitReason::GaveUp(_) => REASONS[7],
        ExitReason::LeaseLost => REASONS[8],
    }
}

#[cfg(feature = "metrics")]
fn supervisor_of(path: &str) -> String {
    path.rsplit_once('/').map_or(path, |(parent, _)| parent).to_string()
}

/// A child was declared (at start, or by `start_child`).
pub(crate) fn declared(_path: &str) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!("supervisor_restarts_total", "path" => _path.to_string()).absolute(0);
        for reason in REASONS {
            metrics::counter!("supervisor_child_exits_total", "path" => _path.to_string(), "reason" => reason)
                .absolute(0);
        }
        metrics::gauge!("supervisor_running_children", "supervisor" => supervisor_of(_path)).increment(0.0);
    }
}

/// An incarnation counts as started.
pub(crate) fn started(_path: &str) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("supervisor_running_children", "supervisor" => supervisor_of(_path)).increment(1.0);
}

/// An incarnation ended; `was_started`: it had been counted as started.
pub(crate) fn ended(_path: &str, _reason: &crate::ExitReason, _was_started: bool) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!("supervisor_child_exits_total", "path" => _path.to_string(), "reason" => reason_label(_reason))
            .increment(1);
        if _was_started {
            metrics::gauge!("supervisor_running_children", "supervisor" => supervisor_of(_path)).decrement(1.0);
        }
    }
}

/// A restart was decided.
pub(crate) fn restarted(_path: &str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("supervisor_restarts_total", "path" => _path.to_string()).increment(1);
}
