//! Restart types: which exits bring a child back.

use crate::exit::ExitReason;

/// When a child is restarted after it exits (OTP's `restart` child option).
///
/// ```
/// use supervisor_core::{ExitReason, Restart};
///
/// assert!(Restart::Permanent.restarts_after(&ExitReason::Returned));
/// assert!(!Restart::Transient.restarts_after(&ExitReason::Returned));
/// assert!(Restart::Transient.restarts_after(&ExitReason::Failed("boom".into())));
/// assert!(!Restart::Temporary.restarts_after(&ExitReason::Panicked("boom".into())));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Restart {
    /// Always restarted, whatever the exit. The default, as in OTP.
    #[default]
    Permanent,
    /// Restarted only after an abnormal exit (an error, a panic or an
    /// abort), or after a singleton lost its lease: its work is not done.
    Transient,
    /// Never restarted; forgotten by its supervisor once it has exited.
    Temporary,
}

impl Restart {
    /// Whether a child of this restart type is restarted after `reason`.
    #[must_use]
    pub fn restarts_after(self, reason: &ExitReason) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => reason.is_abnormal() || *reason == ExitReason::LeaseLost,
            Restart::Temporary => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_reasons() -> Vec<ExitReason> {
        vec![
            ExitReason::Returned,
            ExitReason::Failed("e".into()),
            ExitReason::Panicked("p".into()),
            ExitReason::Stopped,
            ExitReason::Aborted,
            ExitReason::LeaseLost,
        ]
    }

    #[test]
    fn every_restart_type_against_every_reason() {
        for reason in all_reasons() {
            assert!(Restart::Permanent.restarts_after(&reason), "{reason:?}");
            assert!(!Restart::Temporary.restarts_after(&reason), "{reason:?}");
            let again = matches!(
                reason,
                ExitReason::Failed(_) | ExitReason::Panicked(_) | ExitReason::Aborted | ExitReason::LeaseLost
            );
            assert_eq!(Restart::Transient.restarts_after(&reason), again, "{reason:?}");
        }
    }
}
