//! What an exit leads to: the restart type, the intensity window, the
//! backoff and the strategy, turned into a plan of stops and starts.

use std::time::Duration;

use tokio::time::Instant;

use super::Work;
use super::plan::Step;
use super::slots::State;
use super::supervisor::{Ending, SupervisorLoop};
use crate::event::Event;
use crate::policy::intensity::{Intensity, Verdict};
use crate::policy::restart::Restart;
use crate::policy::strategy::Strategy;

impl SupervisorLoop {
    pub(crate) fn handle_work(&mut self, work: Work) {
        match work {
            Work::Exit { slot, epoch } => self.decide_exit(slot, epoch),
            Work::Command(command) => self.run_command(*command),
            Work::Start { slot, epoch } => {
                let due = self
                    .slots
                    .get(slot)
                    .is_some_and(|s| s.epoch == epoch && matches!(s.state, State::Restarting { .. }));
                if due {
                    self.plan.steps.push_back(Step::Start(slot));
                }
            }
        }
    }

    /// A child ended on its own: restart it (and the siblings its strategy
    /// takes down), forget it, or give up.
    pub(crate) fn decide_exit(&mut self, index: usize, epoch: u64) {
        let Some(slot) = self.slots.get(index) else {
            return;
        };
        if slot.epoch != epoch || slot.state != State::Stopped {
            return;
        }
        let Some(reason) = slot.last_exit.clone() else {
            return;
        };
        if !slot.spec.restart.restarts_after(&reason) {
            let significant = slot.spec.significant;
            if slot.spec.restart == Restart::Temporary {
                self.slots.remove(index);
            }
            // Only a significant child's exit can trigger it: skip the scan
            // for every other exit.
            let others_active = || self.slots.iter().any(|s| s.spec.significant && s.state != State::Stopped);
            if significant && self.auto_shutdown.triggers(significant, others_active()) {
                self.begin_shutdown(Ending::Requested);
            }
            return;
        }
        // The clock is read only where a policy needs it.
        let needs_clock = self.limit != Intensity::unlimited() || slot.spec.backoff.is_some();
        let now = needs_clock.then(|| self.clock.now());
        if now.is_some_and(|now| self.intensity.record(now) == Verdict::GiveUp) {
            let child = slot.path.clone();
            self.events.emit(|| Event::IntensityExceeded {
                supervisor: self.path.clone(),
                max: self.limit.max(),
                period: self.limit.period(),
            });
            self.begin_shutdown(Ending::GaveUp { child, reason });
            return;
        }
        let delay = now.map_or(Duration::ZERO, |now| self.backoff_delay(index, now));
        let at = now.map(|now| now + delay);
        if self.strategy == Strategy::OneForOne {
            self.restart(index, delay, at);
            return;
        }
        let members = self.affected(index);

        for &member in members.iter().rev() {
            let Some(sibling) = self.slots.get_mut(member) else {
                continue;
            };
            if member != index && sibling.state.is_alive() {
                sibling.doomed = true;
                self.plan.steps.push_back(Step::StopOne(member));
            }
        }
        let starts: Vec<usize> = members
            .into_iter()
            .filter(|&m| self.slots.get(m).is_some_and(|s| s.spec.restart != Restart::Temporary))
            .collect();
        for &member in &starts {
            if let Some(s) = self.slots.get(member) {
                let generation = if s.ever_started { s.generation + 1 } else { 0 };
                self.events.emit(|| Event::RestartScheduled { path: s.path.clone(), generation, delay });
            }
        }
        match at {
            Some(at) if !delay.is_zero() => self.plan.steps.push_back(Step::Delay(Box::new((at, starts)))),
            _ => self.plan.steps.extend(starts.into_iter().map(Step::Start)),
        }
    }

    /// Restarts one child (one-for-one): no sibling is touched.
    fn restart(&mut self, index: usize, delay: Duration, at: Option<Instant>) {
        if let Some(s) = self.slots.get(index) {
            let generation = if s.ever_started { s.generation + 1 } else { 0 };
            self.events.emit(|| Event::RestartScheduled { path: s.path.clone(), generation, delay });
        }
        match at {
            Some(at) if !delay.is_zero() => self.plan.steps.push_back(Step::Delay(Box::new((at, vec![index])))),
            _ => self.plan.steps.push_back(Step::Start(index)),
        }
    }

    /// The failed child's backoff delay, moving its backoff state on.
    fn backoff_delay(&mut self, index: usize, now: Instant) -> Duration {
        let Some(slot) = self.slots.get_mut(index) else { return Duration::ZERO };
        let Some(backoff) = slot.spec.backoff.as_deref().copied() else { return Duration::ZERO };
        let run = slot.backoff.get_or_insert_with(Box::default);
        let ran = run.started_at.map_or(Duration::ZERO, |started| now.saturating_duration_since(started));
        run.state.next_delay(&backoff, ran, &mut self.rng)
    }

    /// The children restarted with the one at `index`, in start order.
    fn affected(&self, index: usize) -> Vec<usize> {
        let order: Vec<usize> = self.slots.in_order().collect();
        match order.iter().position(|&i| i == index) {
            Some(position) => order[self.strategy.affected(position, order.len())].to_vec(),
            None => vec![index],
        }
    }
}
