//! The OTP decision, as a value: what a supervisor does about one exit of a
//! child that nobody asked to stop.
//!
//! It combines the other rules in OTP's order: the restart type says
//! whether the child comes back; if it does not, auto-shutdown may end the
//! supervisor; if it does, the intensity window may make the supervisor
//! give up, and otherwise the strategy says which siblings are stopped (in
//! reverse start order) and started again (in start order), after the
//! child's backoff delay. A singleton's lost lease is no crash: it skips
//! the intensity window and restarts the child alone. The runtime loop
//! carries the result out; it never decides.

use std::time::Duration;

use tokio::time::Instant;

use super::auto_shutdown::AutoShutdown;
use super::backoff::{Backoff, BackoffState};
use super::intensity::{IntensityWindow, Verdict};
use super::restart::Restart;
use super::rng::JitterRng;
use super::strategy::Strategy;
use crate::exit::ExitReason;

/// The child that exited, as the decision sees it.
#[derive(Debug)]
pub(crate) struct Exited<'a> {
    pub(crate) reason: &'a ExitReason,
    pub(crate) restart: Restart,
    pub(crate) significant: bool,
}

/// One sibling in start order, as a group restart sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    /// Its task is alive: it must be stopped before the group starts again.
    pub(crate) alive: bool,
    /// Temporary: stopped, never started again, and forgotten.
    pub(crate) temporary: bool,
}

/// A child's backoff, for the restart decision.
#[derive(Debug)]
pub(crate) struct BackoffInput<'a> {
    pub(crate) backoff: &'a Backoff,
    pub(crate) state: &'a mut BackoffState,
    /// When the incarnation that exited started, to tell how long it ran.
    pub(crate) started_at: Option<Instant>,
}

/// What the supervisor does about the exit.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Not restarted: forget it if it is temporary, and shut the supervisor
    /// down if auto-shutdown says so.
    Leave { forget: bool, shut_down: bool },
    /// One restart too many: stop every child and exit.
    GiveUp,
    /// Start the child again after `delay`; no sibling is touched.
    Restart { delay: Duration },
    /// Stop `stop` (positions in start order, given in the order to stop
    /// them), then start `start` (positions, in start order) after `delay`.
    /// Temporary members are stopped and not started again.
    RestartGroup { stop: Vec<usize>, start: Vec<usize>, delay: Duration },
}

/// The facts a decision may need, read only if it needs them.
pub(crate) struct Facts<G, S> {
    /// The exited child's position and its siblings in start order (itself
    /// included); read only for a group strategy.
    pub(crate) group: G,
    /// Whether another significant child is still active; read only when a
    /// significant child is left alone under `AllSignificant`.
    pub(crate) others_significant_active: S,
}

/// The supervisor's rules that a decision reads and moves on.
pub(crate) struct Rules<'a> {
    pub(crate) strategy: Strategy,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) window: &'a mut IntensityWindow,
    pub(crate) rng: &'a mut JitterRng,
}

/// Decides what the exit of `exited` leads to. The time is read from
/// `clock` only if a rule needs it (a limited intensity, a backoff): on
/// the hot path of a child restarted at once without limit it is not.
pub(crate) fn decide<G, S>(
    exited: &Exited<'_>,
    rules: Rules<'_>,
    backoff: Option<BackoffInput<'_>>,
    mut clock: impl FnMut() -> Instant,
    facts: Facts<G, S>,
) -> Decision
where
    G: FnOnce() -> (usize, Vec<Member>),
    S: FnOnce() -> bool,
{
    if !exited.restart.restarts_after(exited.reason) {
        let forget = exited.restart == Restart::Temporary;
        // Only a significant child's exit can trigger auto-shutdown: the
        // scan of its siblings is skipped for every other exit.
        let shut_down = exited.significant
            && match rules.auto_shutdown {
                AutoShutdown::AllSignificant => rules.auto_shutdown.triggers(true, (facts.others_significant_active)()),
                other => other.triggers(true, false),
            };
        return Decision::Leave { forget, shut_down };
    }
    // A lost lease is not a crash: it does not count, and the child alone
    // campaigns again.
    let lease_lost = *exited.reason == ExitReason::LeaseLost;
    if !lease_lost && !rules.window.is_unlimited() && rules.window.record(clock()) == Verdict::GiveUp {
        return Decision::GiveUp;
    }
    let delay = backoff.map_or(Duration::ZERO, |b| {
        let ran = b.started_at.map_or(Duration::ZERO, |started| clock().saturating_duration_since(started));
        b.state.next_delay(b.backoff, ran, rules.rng)
    });
    if lease_lost || rules.strategy == Strategy::OneForOne {
        return Decision::Restart { delay };
    }
    let (failed, members) = (facts.group)();
    let (stop, start) = group(rules.strategy, failed, &members);
    Decision::RestartGroup { stop, start, delay }
}

/// The group the strategy restarts from position `from`: the live members
/// to stop, in reverse start order, and the members to start again, in
/// start order (every one but the temporary ones).
pub(crate) fn group(strategy: Strategy, from: usize, members: &[Member]) -> (Vec<usize>, Vec<usize>) {
    let range = strategy.affected(from, members.len());
    let stop = range.clone().rev().filter(|&p| members[p].alive).collect();
    let start = range.filter(|&p| !members[p].temporary).collect();
    (stop, start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::intensity::Intensity;

    const LIVE: Member = Member { alive: true, temporary: false };
    const DEAD: Member = Member { alive: false, temporary: false };
    const TEMP: Member = Member { alive: true, temporary: true };

    fn failed() -> ExitReason {
        ExitReason::Failed("boom".into())
    }

    struct Case {
        strategy: Strategy,
        auto_shutdown: AutoShutdown,
        window: IntensityWindow,
        rng: JitterRng,
    }

    impl Case {
        fn new(strategy: Strategy) -> Self {
            Case {
                strategy,
                auto_shutdown: AutoShutdown::Never,
                window: IntensityWindow::new(Intensity::new(10, Duration::from_secs(1))),
                rng: JitterRng::seeded(1),
            }
        }

        fn decide(&mut self, exited: &Exited<'_>, failed: usize, members: &[Member], others: bool) -> Decision {
            let rules = Rules {
                strategy: self.strategy,
                auto_shutdown: self.auto_shutdown,
                window: &mut self.window,
                rng: &mut self.rng,
            };
            let facts = Facts { group: || (failed, members.to_vec()), others_significant_active: || others };
            decide(exited, rules, None, Instant::now, facts)
        }
    }

    fn exit(reason: &ExitReason, restart: Restart) -> Exited<'_> {
        Exited { reason, restart, significant: false }
    }

    #[test]
    fn a_lost_lease_restarts_the_child_alone_and_never_counts() {
        let lost = ExitReason::LeaseLost;
        let mut case = Case::new(Strategy::OneForAll);
        case.window = IntensityWindow::new(Intensity::new(0, Duration::from_secs(1)));
        for _ in 0..3 {
            let decision = case.decide(&exit(&lost, Restart::Permanent), 0, &[LIVE, LIVE], false);
            assert_eq!(decision, Decision::Restart { delay: Duration::ZERO });
        }
        // The same window gives up at the first crash.
        assert_eq!(case.decide(&exit(&failed(), Restart::Permanent), 0, &[DEAD, LIVE], false), Decision::GiveUp);
        let temporary = case.decide(&exit(&lost, Restart::Temporary), 0, &[DEAD], false);
        assert_eq!(temporary, Decision::Leave { forget: true, shut_down: false });
    }

    #[test]
    fn every_restart_type_against_normal_and_abnormal_exits() {
        let normal = ExitReason::Returned;
        let abnormal = failed();
        for (restart, reason, restarts) in [
            (Restart::Permanent, &normal, true),
            (Restart::Permanent, &abnormal, true),
            (Restart::Transient, &normal, false),
            (Restart::Transient, &abnormal, true),
            (Restart::Temporary, &normal, false),
            (Restart::Temporary, &abnormal, false),
        ] {
            let decision = Case::new(Strategy::OneForOne).decide(&exit(reason, restart), 0, &[DEAD], false);
            if restarts {
                assert_eq!(decision, Decision::Restart { delay: Duration::ZERO }, "{restart:?} {reason}");
            } else {
                let forget = restart == Restart::Temporary;
                assert_eq!(decision, Decision::Leave { forget, shut_down: false }, "{restart:?} {reason}");
            }
        }
    }

    #[test]
    fn a_nested_supervisor_that_gave_up_is_restarted_only_by_a_permanent_parent() {
        let gave_up = ExitReason::GaveUp("too many restarts".into());
        let mut case = Case::new(Strategy::OneForOne);
        assert_eq!(
            case.decide(&exit(&gave_up, Restart::Permanent), 0, &[DEAD], false),
            Decision::Restart { delay: Duration::ZERO }
        );
        assert!(matches!(case.decide(&exit(&gave_up, Restart::Transient), 0, &[DEAD], false), Decision::Leave { .. }));
    }

    #[test]
    fn one_for_all_stops_every_live_sibling_in_reverse_and_starts_all_but_temporaries() {
        let members = [LIVE, DEAD, TEMP, DEAD, LIVE];
        let reason = failed();
        let decision = Case::new(Strategy::OneForAll).decide(&exit(&reason, Restart::Permanent), 3, &members, false);
        assert_eq!(
            decision,
            Decision::RestartGroup { stop: vec![4, 2, 0], start: vec![0, 1, 3, 4], delay: Duration::ZERO }
        );
    }

    #[test]
    fn rest_for_one_takes_only_the_later_siblings() {
        let members = [LIVE, LIVE, DEAD, TEMP, LIVE];
        let reason = failed();
        let decision = Case::new(Strategy::RestForOne).decide(&exit(&reason, Restart::Permanent), 2, &members, false);
        assert_eq!(decision, Decision::RestartGroup { stop: vec![4, 3], start: vec![2, 4], delay: Duration::ZERO });
    }

    #[test]
    fn a_group_taken_over_from_an_earlier_position_stops_that_member_too() {
        // A restart under way whose next start is at 1, taken over by an
        // exit at 3: the group runs from 1, and the live member there stops.
        let members = [LIVE, LIVE, LIVE, DEAD, LIVE];
        assert_eq!(group(Strategy::RestForOne, 1, &members), (vec![4, 2, 1], vec![1, 2, 3, 4]));
        assert_eq!(group(Strategy::OneForAll, 1, &members), (vec![4, 2, 1, 0], vec![0, 1, 2, 3, 4]));
    }

    #[test]
    fn a_group_restart_counts_once_against_the_intensity() {
        let mut case = Case::new(Strategy::OneForAll);
        case.window = IntensityWindow::new(Intensity::new(1, Duration::from_secs(5)));
        let reason = failed();
        let members = [LIVE, DEAD, LIVE];
        assert!(matches!(
            case.decide(&exit(&reason, Restart::Permanent), 1, &members, false),
            Decision::RestartGroup { .. }
        ));
        assert_eq!(case.decide(&exit(&reason, Restart::Permanent), 1, &members, false), Decision::GiveUp);
    }

    #[test]
    fn a_child_left_alone_does_not_count_against_the_intensity() {
        let mut case = Case::new(Strategy::OneForOne);
        case.window = IntensityWindow::new(Intensity::new(0, Duration::from_secs(5)));
        let reason = ExitReason::Returned;
        for _ in 0..3 {
            assert!(matches!(
                case.decide(&exit(&reason, Restart::Transient), 0, &[DEAD], false),
                Decision::Leave { .. }
            ));
        }
        assert_eq!(case.decide(&exit(&failed(), Restart::Transient), 0, &[DEAD], false), Decision::GiveUp);
    }

    #[test]
    fn auto_shutdown_only_for_a_significant_child_left_alone() {
        let reason = ExitReason::Returned;
        for auto_shutdown in [AutoShutdown::Never, AutoShutdown::AnySignificant, AutoShutdown::AllSignificant] {
            for significant in [false, true] {
                for others in [false, true] {
                    let mut case = Case::new(Strategy::OneForOne);
                    case.auto_shutdown = auto_shutdown;
                    let exited = Exited { reason: &reason, restart: Restart::Transient, significant };
                    let expected = match auto_shutdown {
                        AutoShutdown::Never => false,
                        AutoShutdown::AnySignificant => significant,
                        AutoShutdown::AllSignificant => significant && !others,
                    };
                    assert_eq!(
                        case.decide(&exited, 0, &[DEAD], others),
                        Decision::Leave { forget: false, shut_down: expected },
                        "{auto_shutdown:?} significant={significant} others={others}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_backoff_delay_is_the_childs_next() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let mut state = BackoffState::default();
        let mut case = Case::new(Strategy::OneForOne);
        let reason = failed();
        let delays: Vec<Decision> = (0..3)
            .map(|_| {
                let rules = Rules {
                    strategy: case.strategy,
                    auto_shutdown: case.auto_shutdown,
                    window: &mut case.window,
                    rng: &mut case.rng,
                };
                let input = BackoffInput { backoff: &backoff, state: &mut state, started_at: None };
                let facts = Facts { group: || (0, vec![DEAD]), others_significant_active: || false };
                decide(&exit(&reason, Restart::Permanent), rules, Some(input), Instant::now, facts)
            })
            .collect();
        let expected: Vec<Decision> =
            [100, 200, 400].map(|ms| Decision::Restart { delay: Duration::from_millis(ms) }).into();
        assert_eq!(delays, expected);
    }
}
