//! Restart strategies: which children a failure takes down with it.

use std::ops::Range;

/// How a supervisor restarts its children when one of them must be restarted
/// (OTP's `strategy` supervisor flag).
///
/// ```
/// use supervisor_core::Strategy;
///
/// // Five children; the one at position 2 failed.
/// assert_eq!(Strategy::OneForOne.affected(2, 5), 2..3);
/// assert_eq!(Strategy::OneForAll.affected(2, 5), 0..5);
/// assert_eq!(Strategy::RestForOne.affected(2, 5), 2..5);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Restart only the child that exited. The default.
    #[default]
    OneForOne,
    /// Stop every other child in reverse start order, then restart all of them
    /// in start order.
    OneForAll,
    /// Stop the children started after the one that exited, in reverse order,
    /// then restart it and them in start order.
    RestForOne,
}

impl Strategy {
    /// The positions, in start order, of the children restarted when the child
    /// at `failed` (of `len` children) is restarted. The range always contains
    /// `failed`; every other child in it is stopped first.
    #[must_use]
    pub fn affected(self, failed: usize, len: usize) -> Range<usize> {
        debug_assert!(failed < len);
        match self {
            Strategy::OneForOne => failed..failed + 1,
            Strategy::OneForAll => 0..len,
            Strategy::RestForOne => failed..len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_position_of_every_size() {
        for len in 1..8 {
            for failed in 0..len {
                for strategy in [Strategy::OneForOne, Strategy::OneForAll, Strategy::RestForOne] {
                    let range = strategy.affected(failed, len);
                    assert!(range.contains(&failed));
                    assert!(range.end <= len);
                    let expected: Vec<usize> = (0..len)
                        .filter(|&i| match strategy {
                            Strategy::OneForOne => i == failed,
                            Strategy::OneForAll => true,
                            Strategy::RestForOne => i >= failed,
                        })
                        .collect();
                    assert_eq!(range.collect::<Vec<_>>(), expected);
                }
            }
        }
    }
}
