//! Auto-shutdown: when significant children's exits end their supervisor
//! (OTP 24's `auto_shutdown` and `significant`).
//!
//! Only an exit a significant child makes on its own, and after which it is
//! not restarted, counts: a child stopped by `terminate_child` or by a
//! sibling's restart never triggers it, and neither does a transient child's
//! abnormal exit (it is restarted).

/// When a supervisor stops itself because significant children ended.
///
/// ```
/// use supervisor_core::AutoShutdown;
///
/// // The last active significant child just ended on its own.
/// assert!(AutoShutdown::AllSignificant.triggers(true, false));
/// // Another significant child is still running.
/// assert!(!AutoShutdown::AllSignificant.triggers(true, true));
/// assert!(AutoShutdown::AnySignificant.triggers(true, true));
/// assert!(!AutoShutdown::Never.triggers(true, false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AutoShutdown {
    /// Never; significant flags are ignored. The default.
    #[default]
    Never,
    /// As soon as any significant child ends without being restarted.
    AnySignificant,
    /// Once every significant child has ended without being restarted.
    AllSignificant,
}

impl AutoShutdown {
    /// Whether a child that ended on its own, and will not be restarted,
    /// shuts its supervisor down. `significant`: that child is significant;
    /// `others_active`: another significant child is running or restarting.
    #[must_use]
    pub fn triggers(self, significant: bool, others_active: bool) -> bool {
        match self {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => significant,
            AutoShutdown::AllSignificant => significant && !others_active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination() {
        for significant in [false, true] {
            for others_active in [false, true] {
                assert!(!AutoShutdown::Never.triggers(significant, others_active));
                assert_eq!(AutoShutdown::AnySignificant.triggers(significant, others_active), significant);
                assert_eq!(
                    AutoShutdown::AllSignificant.triggers(significant, others_active),
                    significant && !others_active
                );
            }
        }
    }
}
