//! The deadline arithmetic of a held lease: when a child must have ended,
//! and when it must be asked to stop to end by then.
//!
//! The store may hand the lease on once `ttl` has passed since the last
//! successful renewal was *sent* (`valid_from`). The child must have ended
//! `margin` before that (`hard`), and is asked to stop its own shutdown
//! time before `hard` (`stop_at`). Renewals are sent every `renew_every`,
//! so a lease that cannot leave one renewal's room before `stop_at` is
//! refused when the tree is built.

use std::time::Duration;

use tokio::time::Instant;

use super::Singleton;
use crate::child_spec::Shutdown;

/// The longest lease TTL a singleton may ask for: a year, so that every
/// deadline counted from now is a time the clock can hold.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The two deadlines of a lease renewed at `valid_from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deadlines {
    /// Ask the child to stop: its shutdown time before `hard`.
    pub(crate) stop_at: Instant,
    /// The child must have ended: `margin` before the lease may lapse.
    pub(crate) hard: Instant,
}

impl Deadlines {
    pub(crate) fn new(valid_from: Instant, ttl: Duration, margin: Duration, shutdown: Duration) -> Self {
        let hard = valid_from + ttl.saturating_sub(margin);
        let stop_at = hard.checked_sub(shutdown).unwrap_or(valid_from).max(valid_from);
        Deadlines { stop_at, hard }
    }
}

/// How long a child takes to stop at most, under its shutdown setting;
/// `None` for `Infinity`, which no lease can outlast.
pub(crate) fn stop_time(shutdown: Shutdown) -> Option<Duration> {
    match shutdown {
        Shutdown::Brutal => Some(Duration::ZERO),
        Shutdown::Timeout(timeout) => Some(timeout),
        Shutdown::Infinity => None,
    }
}

/// What is wrong with `singleton` for a child stopped under `shutdown`.
pub(crate) fn problem(singleton: &Singleton, shutdown: Shutdown) -> Option<String> {
    if singleton.key.is_empty() {
        return Some("a singleton's lease key is empty: name the key, such as `jobs/scheduler`".into());
    }
    if singleton.renew_every.is_zero() {
        return Some("a singleton's lease is renewed every 0s: renew it at least every 1ms".into());
    }
    let Some(stop) = stop_time(shutdown) else {
        return Some(
            "a singleton's shutdown is infinity, so it cannot be stopped before its lease lapses: give it a shutdown timeout"
                .into(),
        );
    };
    if singleton.ttl > MAX_TTL {
        return Some(format!(
            "a singleton's lease TTL of {ttl:?} is longer than the longest allowed, a year ({MAX_TTL:?}): shorten it",
            ttl = singleton.ttl
        ));
    }
    // The TTL bounds the sum, so an overflow is a TTL too short.
    let needed = singleton.renew_every.saturating_add(singleton.margin).saturating_add(stop);
    (singleton.ttl <= needed).then(|| {
        format!(
            "a singleton's lease TTL of {ttl:?} is too short: it must exceed the renewal interval ({renew:?}) plus the margin ({margin:?}) plus the shutdown timeout ({stop:?}), {needed:?} in all; lengthen the TTL or shorten the others",
            ttl = singleton.ttl,
            renew = singleton.renew_every,
            margin = singleton.margin,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_child_ends_a_margin_before_expiry_and_is_asked_its_shutdown_before_that() {
        let t0 = Instant::now();
        let d = Deadlines::new(t0, 10 * S, 2 * S, 3 * S);
        assert_eq!(d.hard, t0 + 8 * S);
        assert_eq!(d.stop_at, t0 + 5 * S);
        // A margin larger than the TTL leaves no time at all.
        let d = Deadlines::new(t0, S, 2 * S, S);
        assert_eq!((d.hard, d.stop_at), (t0, t0));
    }

    #[test]
    fn a_ttl_must_exceed_renewal_margin_and_shutdown() {
        let lease = Singleton::new("k").ttl(10 * S).renew_every(2 * S).margin(S);
        assert_eq!(problem(&lease, Shutdown::Timeout(6 * S)), None);
        let short = problem(&lease, Shutdown::Timeout(7 * S)).unwrap();
        assert!(short.contains("TTL of 10s is too short") && short.contains("10s in all"), "{short}");
        assert!(problem(&lease, Shutdown::Infinity).unwrap().contains("infinity"));
        assert_eq!(problem(&lease.clone().ttl(4 * S), Shutdown::Brutal), None);
        assert!(problem(&lease.clone().renew_every(Duration::ZERO), Shutdown::Brutal).is_some());
        assert!(problem(&Singleton::new(""), Shutdown::Brutal).unwrap().contains("empty"));
        // Durations too large to add up are refused, not a panic.
        let huge = problem(&lease.clone().ttl(Duration::MAX), Shutdown::Brutal).unwrap();
        assert!(huge.contains("longest allowed"), "{huge}");
        assert!(problem(&lease, Shutdown::Timeout(Duration::MAX)).unwrap().contains("too short"));
        assert!(problem(&lease.clone().renew_every(Duration::MAX), Shutdown::Brutal).unwrap().contains("too short"));
        assert_eq!(problem(&lease.clone().ttl(MAX_TTL), Shutdown::Brutal), None);
    }
}
