//! Backoff between restarts, with jitter and a reset after a stable run.
//!
//! The delay before the `n`-th consecutive restart (counting from 0) is
//! Akka's: `min(max, min * 2^n) * (1 + U * jitter)` with `U` uniform in
//! `[0, 1)`. A child that ran at least `reset_after` before it exited counts
//! as stable: its count goes back to 0.

use std::time::Duration;

use super::rng::JitterRng;

/// Exponential backoff between restarts of one child.
///
/// Without a backoff a child is restarted at once, as in OTP.
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::Backoff;
///
/// let backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5))
///     .jitter(0.2)
///     .reset_after(Duration::from_secs(30));
/// // With U = 0 (no jitter drawn) the delays double up to the cap.
/// assert_eq!(backoff.delay(0, 0.0), Duration::from_millis(50));
/// assert_eq!(backoff.delay(3, 0.0), Duration::from_millis(400));
/// assert_eq!(backoff.delay(20, 0.0), Duration::from_secs(5));
/// // Jitter stretches a delay by up to `jitter` of itself.
/// assert_eq!(backoff.delay(0, 0.5), Duration::from_millis(55));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use]
pub struct Backoff {
    min: Duration,
    max: Duration,
    jitter: f64,
    reset_after: Option<Duration>,
}

impl Backoff {
    /// Delays from `min` doubling up to `max`, no jitter, reset after a run of
    /// `max`. `min > max`, a zero `min` and jitter outside `[0, 1]` are
    /// rejected when the supervisor spec is built.
    pub const fn new(min: Duration, max: Duration) -> Self {
        Backoff { min, max, jitter: 0.0, reset_after: None }
    }

    /// Stretch every delay by a random fraction of up to `jitter` (0 to 1),
    /// so that children failing together do not come back together.
    pub const fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// A child that ran at least this long before exiting starts again from
    /// the `min` delay. Defaults to `max`.
    pub const fn reset_after(mut self, stable: Duration) -> Self {
        self.reset_after = Some(stable);
        self
    }

    /// The shortest delay.
    #[must_use]
    pub const fn min(&self) -> Duration {
        self.min
    }

    /// The longest delay before jitter.
    #[must_use]
    pub const fn max(&self) -> Duration {
        self.max
    }

    /// The jitter factor.
    #[must_use]
    pub const fn jitter_factor(&self) -> f64 {
        self.jitter
    }

    /// How long a run must last to reset the delay.
    #[must_use]
    pub fn stable_after(&self) -> Duration {
        self.reset_after.unwrap_or(self.max)
    }

    /// The delay before restart number `attempt` (0-based) given a uniform
    /// draw `unit` in `[0, 1)`.
    #[must_use]
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let doubled = 2u32.checked_pow(attempt).and_then(|factor| self.min.checked_mul(factor)).unwrap_or(self.max);
        doubled.min(self.max).mul_f64(1.0 + unit * self.jitter)
    }

    /// Why this backoff is invalid, if it is.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if self.min.is_zero() {
            Some("backoff min must be greater than zero")
        } else if self.min > self.max {
            Some("backoff min must not exceed max")
        } else if !(0.0..=1.0).contains(&self.jitter) {
            Some("backoff jitter must be between 0 and 1")
        } else {
            None
        }
    }
}

/// The backoff state of one child: how many restarts in a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackoffState {
    attempt: u32,
}

impl BackoffState {
    /// The delay before the next restart of a child that ran for `ran`, and
    /// the state moved on by one restart.
    pub fn next_delay(&mut self, backoff: &Backoff, ran: Duration, rng: &mut JitterRng) -> Duration {
        if ran >= backoff.stable_after() {
            self.attempt = 0;
        }
        let delay = backoff.delay(self.attempt, rng.next_unit());
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// Restarts in a row so far.
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn doubles_from_min_and_caps_at_max() {
        let b = Backoff::new(MS(10), MS(100));
        let delays: Vec<_> = (0..6).map(|n| b.delay(n, 0.0)).collect();
        assert_eq!(delays, [MS(10), MS(20), MS(40), MS(80), MS(100), MS(100)]);
        assert_eq!(b.delay(u32::MAX, 0.0), MS(100));
    }

    #[test]
    fn jitter_multiplies_after_the_cap() {
        let b = Backoff::new(MS(10), MS(100)).jitter(1.0);
        assert_eq!(b.delay(10, 0.5), MS(150));
        assert!(b.delay(0, 0.999_999) < MS(20));
    }

    #[test]
    fn a_stable_run_resets_the_attempt_count() {
        let b = Backoff::new(MS(10), MS(1000)).reset_after(MS(500));
        let mut rng = JitterRng::seeded(1);
        let mut state = BackoffState::default();
        assert_eq!(state.next_delay(&b, MS(1), &mut rng), MS(10));
        assert_eq!(state.next_delay(&b, MS(1), &mut rng), MS(20));
        assert_eq!(state.next_delay(&b, MS(499), &mut rng), MS(40));
        assert_eq!(state.next_delay(&b, MS(500), &mut rng), MS(10));
        assert_eq!(state.attempt(), 1);
    }

    #[test]
    fn problems_are_named() {
        assert!(Backoff::new(MS(10), MS(5)).problem().is_some());
        assert!(Backoff::new(MS(0), MS(5)).problem().is_some());
        assert!(Backoff::new(MS(1), MS(5)).jitter(1.5).problem().is_some());
        assert!(Backoff::new(MS(1), MS(5)).jitter(f64::NAN).problem().is_some());
        assert!(Backoff::new(MS(5), MS(5)).jitter(1.0).problem().is_none());
    }
}
