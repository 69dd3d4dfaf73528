//! When the loop wakes: the time of the current turn, and the one sleep
//! armed for the earliest timer.

use std::pin::Pin;

use tokio::time::{Instant, Sleep};

use super::timers::{Timer, TimerKind, Timers};

#[derive(Debug)]
pub(crate) struct Wake {
    timers: Timers,
    sleep: Pin<Box<Sleep>>,
    sleep_at: Option<Instant>,
    /// The time of the current turn, read at most once per turn.
    now: Option<Instant>,
}

impl Wake {
    pub(crate) fn new() -> Self {
        Wake {
            timers: Timers::default(),
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            sleep_at: None,
            now: None,
        }
    }

    /// The time of this turn: a turn takes microseconds, and the stops and
    /// exits it handles share one reading of the clock.
    pub(crate) fn now(&mut self) -> Instant {
        *self.now.get_or_insert_with(Instant::now)
    }

    /// Sets a timer; `live` says which of the timers already set still
    /// matter, for when stale ones have piled up.
    pub(crate) fn set(
        &mut self,
        at: Instant,
        slot: usize,
        epoch: u64,
        kind: TimerKind,
        live: impl FnMut(&Timer) -> bool,
    ) {
        self.timers.set(at, slot, epoch, kind);
        if self.timers.needs_compaction() {
            self.timers.compact(live);
        }
    }

    /// Arms the sleep for the earliest timer; `false` if there is none.
    /// Re-registers the sleep only when that is earlier than what is armed:
    /// a sleep armed too early wakes once, finds nothing due and re-arms,
    /// which is cheaper than moving it at every stop of a long shutdown.
    pub(crate) fn arm(&mut self) -> bool {
        if let Some(at) = self.timers.next() {
            if self.sleep_at.is_none_or(|armed| at < armed) {
                self.sleep.as_mut().reset(at);
                self.sleep_at = Some(at);
            }
        }
        self.sleep_at.is_some()
    }

    /// Completes when the armed sleep is over.
    pub(crate) fn due(&mut self) -> &mut Pin<Box<Sleep>> {
        &mut self.sleep
    }

    /// A new turn begins: the clock is read afresh.
    pub(crate) fn new_turn(&mut self) {
        self.now = None;
    }

    /// The timers due now, earliest first; the sleep is re-armed afterwards.
    pub(crate) fn take_due(&mut self) -> Vec<Timer> {
        if self.sleep_at.is_none() || !self.sleep.is_elapsed() {
            return Vec::new();
        }
        let now = self.now();
        // Force a re-arm: the same instant may carry more timers later.
        self.sleep_at = None;
        std::iter::from_fn(|| self.timers.pop_due(now)).collect()
    }
}
