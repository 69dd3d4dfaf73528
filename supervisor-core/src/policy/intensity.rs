//! Restart intensity: when a supervisor gives up.
//!
//! OTP's rule, exactly: on every restart decision append `now`; drop every
//! entry older than `now - period`; if more than `max` entries remain, give
//! up. Entries are kept in a queue, so each decision costs amortized O(1),
//! and the queue never holds more than `max + 1` entries.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// At most `max` restarts within any `period` (OTP's `intensity` and
/// `period`). One more and the supervisor stops all its children and exits
/// with an error, which its own supervisor sees as a child failure.
///
/// The default is OTP's: 1 restart in 5 seconds.
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::Intensity;
///
/// let intensity = Intensity::new(3, Duration::from_secs(10));
/// assert_eq!(intensity.max(), 3);
/// assert_eq!(Intensity::default(), Intensity::new(1, Duration::from_secs(5)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Intensity {
    max: u32,
    period: Duration,
}

impl Intensity {
    /// `max` restarts within `period`. A zero `period` is rejected when the
    /// supervisor spec is built.
    #[must_use]
    pub const fn new(max: u32, period: Duration) -> Self {
        Intensity { max, period }
    }

    /// No limit at all: the supervisor never gives up. Use with backoff, or
    /// for benchmarks; a crash loop without either burns a core.
    #[must_use]
    pub const fn unlimited() -> Self {
        Intensity { max: u32::MAX, period: Duration::from_secs(1) }
    }

    /// The most restarts allowed within one period.
    #[must_use]
    pub const fn max(&self) -> u32 {
        self.max
    }

    /// The length of the sliding window.
    #[must_use]
    pub const fn period(&self) -> Duration {
        self.period
    }
}

impl Default for Intensity {
    fn default() -> Self {
        Intensity::new(1, Duration::from_secs(5))
    }
}

/// The sliding window of recent restarts of one supervisor.
#[derive(Debug, Clone)]
pub struct IntensityWindow {
    limit: Intensity,
    restarts: VecDeque<Instant>,
}

/// What a supervisor does after recording a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit: go ahead with the restart.
    Restart,
    /// More than `max` restarts within the period: give up.
    GiveUp,
}

impl IntensityWindow {
    /// An empty window for `limit`.
    #[must_use]
    pub fn new(limit: Intensity) -> Self {
        IntensityWindow { limit, restarts: VecDeque::new() }
    }

    /// Records one restart decision at `now` (a group restart is one
    /// decision) and says whether it may go ahead.
    pub fn record(&mut self, now: Instant) -> Verdict {
        if self.is_unlimited() {
            return Verdict::Restart;
        }
        if let Some(threshold) = now.checked_sub(self.limit.period) {
            while self.restarts.front().is_some_and(|&t| t < threshold) {
                self.restarts.pop_front();
            }
        }
        self.restarts.push_back(now);
        if self.restarts.len() > self.limit.max as usize { Verdict::GiveUp } else { Verdict::Restart }
    }

    /// Whether it never gives up ([`Intensity::unlimited`]): then no
    /// decision needs the time.
    pub(crate) fn is_unlimited(&self) -> bool {
        self.limit.max == u32::MAX
    }

    /// The limit this window enforces.
    #[must_use]
    pub fn limit(&self) -> Intensity {
        self.limit
    }

    /// How many restarts are inside the window at `now` (the entries no
    /// older than `now - period`); what the next decision would count.
    #[must_use]
    pub fn within(&self, now: Instant) -> usize {
        let threshold = now.checked_sub(self.limit.period);
        self.restarts.iter().filter(|&&t| threshold.is_none_or(|threshold| t >= threshold)).count()
    }

    /// How many restarts are inside the window as of the last decision.
    #[must_use]
    pub fn recent(&self) -> usize {
        self.restarts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(max: u32, secs: u64) -> (IntensityWindow, Instant) {
        (IntensityWindow::new(Intensity::new(max, Duration::from_secs(secs))), Instant::now())
    }

    #[test]
    fn the_restart_that_exceeds_max_gives_up_and_the_one_before_does_not() {
        let (mut w, t0) = window(3, 10);
        for i in 0..3 {
            assert_eq!(w.record(t0 + Duration::from_secs(i)), Verdict::Restart);
        }
        assert_eq!(w.record(t0 + Duration::from_secs(3)), Verdict::GiveUp);
    }

    #[test]
    fn entries_older_than_the_period_are_dropped() {
        let (mut w, t0) = window(1, 5);
        assert_eq!(w.record(t0), Verdict::Restart);
        // Exactly `period` later the old entry is still inside (OTP keeps
        // entries >= now - period).
        assert_eq!(w.record(t0 + Duration::from_secs(5)), Verdict::GiveUp);

        let (mut w, t0) = window(1, 5);
        assert_eq!(w.record(t0), Verdict::Restart);
        assert_eq!(w.record(t0 + Duration::from_millis(5001)), Verdict::Restart);
        assert_eq!(w.recent(), 1);
    }

    #[test]
    fn zero_max_gives_up_on_the_first_restart() {
        let (mut w, t0) = window(0, 5);
        assert_eq!(w.record(t0), Verdict::GiveUp);
    }

    #[test]
    fn the_window_stays_bounded_by_max_plus_one() {
        let (mut w, t0) = window(4, 1);
        for i in 0..10_000u64 {
            // One restart every 300 ms: at most 4 within any second.
            assert_eq!(w.record(t0 + Duration::from_millis(300 * i)), Verdict::Restart);
            assert!(w.recent() <= 5);
        }
    }

    #[test]
    fn unlimited_never_gives_up() {
        let mut w = IntensityWindow::new(Intensity::unlimited());
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert_eq!(w.record(t0), Verdict::Restart);
        }
        assert_eq!(w.recent(), 0);
    }
}
