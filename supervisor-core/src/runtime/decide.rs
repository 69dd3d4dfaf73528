//! What an end leads to: the pure [`decision`](crate::policy::decision)
//! asked, and its answer carried out. Also what a failed start and an
//! *ignore* lead to.

use std::time::Duration;

use super::agenda::{Pending, Sequence};
use super::child::{Queue, StartedBy, State};
use super::supervisor::{Ending, Phase, SupervisorLoop};
use super::timers::TimerKind;
use crate::control::ControlError;
use crate::error::StartError;
use crate::event::Event;
use crate::exit::ExitReason;
use crate::policy::decision::{self, BackoffInput, Decision, Exited, Facts, Member};
use crate::policy::restart::Restart;

impl SupervisorLoop {
    /// A child ended on its own (or was killed): restart it and the
    /// siblings its strategy takes down, leave it, or give up. A `retry` is
    /// a failed start tried again: it always restarts, and counts.
    pub(crate) fn exited(&mut self, index: usize, retry: bool) {
        if self.agenda.sequence.is_some() {
            let epoch = self.children.get(index).map_or(0, |c| c.epoch);
            return self.agenda.exits.push_back(Pending { index, epoch, retry });
        }
        let Some(child) = self.children.get_mut(index) else { return };
        if retry {
            child.state = State::Stopped;
        }
        let reason = child.last_exit.clone().unwrap_or(ExitReason::Returned);
        let exited = Exited {
            reason: &reason,
            restart: if retry { Restart::Permanent } else { child.spec.restart },
            significant: child.spec.significant,
        };
        let backoff = child.spec.backoff_setting().copied();
        let mut run = child.backoff.take();
        let input = backoff.as_ref().zip(run.as_deref_mut()).map(|(backoff, run)| BackoffInput {
            backoff,
            started_at: run.started_at,
            state: &mut run.state,
        });
        let children = &self.children;
        let mut order = Vec::new();
        let facts = Facts {
            group: || {
                order = children.in_order().collect();
                members(children, &order, index)
            },
            others_significant_active: || {
                children.iter().any(|c| c.spec.significant && !matches!(c.state, State::Stopped | State::Ignored))
            },
        };
        let wake = &mut self.wake;
        let decision = decision::decide(&exited, self.rules.for_decision(), input, || wake.now(), facts);
        if let Some(child) = self.children.get_mut(index) {
            child.backoff = run;
        }
        self.apply(index, decision, &order, reason);
    }

    fn apply(&mut self, index: usize, decision: Decision, order: &[usize], reason: ExitReason) {
        match decision {
            Decision::Leave { forget, shut_down } => {
                if forget || self.rules.is_dynamic() {
                    self.forget(index);
                }
                if shut_down {
                    self.begin_shutdown(Ending::Requested);
                }
            }
            Decision::GiveUp => {
                let Some(child) = self.children.get(index) else { return };
                let child = child.path.clone();
                let limit = self.rules.intensity();
                let supervisor = self.path.clone();
                self.events.emit(|| Event::IntensityExceeded { supervisor, max: limit.max(), period: limit.period() });
                self.begin_shutdown(Ending::GaveUp { child, reason });
            }
            Decision::Restart { delay } => {
                self.scheduled(index, delay);
                if delay.is_zero() {
                    self.start(index, StartedBy::Restart);
                } else {
                    let now = self.wake.now();
                    self.queue(index, now + delay, Queue::Alone);
                    self.set_timer(now + delay, index, TimerKind::RestartDue);
                }
            }
            Decision::RestartGroup { stop, start, delay } => self.restart_group(order, &stop, &start, delay),
        }
    }

    /// An exit that waited for a sequence to be over, if it still stands.
    pub(crate) fn decide_pending(&mut self, pending: Pending) {
        let stands = self.children.get(pending.index).is_some_and(|c| {
            c.epoch == pending.epoch
                && matches!(
                    (&c.state, pending.retry),
                    (State::Stopped, false) | (State::Queued { by: Queue::Retry, .. }, true)
                )
        });
        if stands {
            self.exited(pending.index, pending.retry);
        }
    }

    /// Stops `stop` one at a time, then starts `start` one at a time after
    /// `delay` (positions in `order`).
    fn restart_group(&mut self, order: &[usize], stop: &[usize], start: &[usize], delay: Duration) {
        let now = self.wake.now();
        let due = now + delay;
        let mut stops = std::collections::VecDeque::with_capacity(stop.len());
        // A child being terminated is waited for, but not started again.
        let mut terminating = Vec::new();
        for &p in stop {
            let joins = self.doom(order[p]);
            if self.is_alive(order[p]) {
                stops.push_back(order[p]);
                if !joins {
                    terminating.push(order[p]);
                }
            }
        }
        let mut starts = std::collections::VecDeque::with_capacity(start.len());
        for &p in start {
            let i = order[p];
            if terminating.contains(&i) {
                continue;
            }
            self.queue(i, due, Queue::Sequence);
            self.scheduled(i, delay);
            starts.push_back(i);
        }
        self.agenda.sequence = Some(Sequence { stops, starts, due: (!delay.is_zero()).then_some(due) });
        if !delay.is_zero() {
            self.set_timer(due, 0, TimerKind::SequenceDue);
        }
        self.advance();
    }

    fn is_alive(&self, index: usize) -> bool {
        self.children.get(index).is_some_and(|c| c.state.is_alive())
    }

    /// Announces that a child will be started again after `delay`.
    fn scheduled(&mut self, index: usize, delay: Duration) {
        if let Some(child) = self.children.get(index) {
            self.events.emit(|| Event::RestartScheduled { path: child.path.clone(), generation: child.starts, delay });
        }
    }

    /// An incarnation ended (or its ready deadline passed) before it had
    /// started.
    pub(crate) fn start_failed(&mut self, index: usize, by: StartedBy, timed_out: bool) {
        let Some(child) = self.children.get(index) else { return };
        let reason = child.last_exit.clone().unwrap_or(ExitReason::Aborted);
        match by {
            StartedBy::Call => {
                if let Some(reply) = self.agenda.take_start_reply(index) {
                    let _ = reply.tx.send(Err(ControlError::StartFailed { id: child.id(), reason }));
                    // As OTP discards a spec whose `start_child` fails.
                    if reply.discard || self.rules.is_dynamic() {
                        self.forget(index);
                    }
                }
            }
            StartedBy::Sequence if matches!(self.phase, Phase::Starting) => {
                let error = match child.spec.wait_ready {
                    Some(Some(timeout)) if timed_out => StartError::ReadyTimeout { child: child.path.clone(), timeout },
                    _ => StartError::ChildFailed { child: child.path.clone(), reason },
                };
                self.begin_shutdown(Ending::StartFailed(error));
            }
            StartedBy::Sequence => {
                // OTP: the rest of the group is not started; the failed child
                // is tried again, and the retry restarts the group.
                if let Some(sequence) = self.agenda.sequence.take() {
                    for i in sequence.starts {
                        if let Some(child) = self.children.get_mut(i) {
                            if matches!(child.state, State::Queued { .. }) {
                                child.state = State::Stopped;
                            }
                        }
                    }
                }
                self.retry(index);
            }
            StartedBy::Restart => self.retry(index),
        }
    }

    /// A failed start is tried again: queued as restarting, and decided
    /// again in a later turn, so calls and exits are served in between.
    fn retry(&mut self, index: usize) {
        let now = self.wake.now();
        self.queue(index, now, Queue::Retry);
        self.set_timer(now, index, TimerKind::RetryDue);
    }

    /// The start answered *ignore*: the spec is kept, not running (a
    /// temporary or dynamic child is forgotten), and a call waiting for the
    /// start is answered `Ok`.
    pub(crate) fn ignored(&mut self, index: usize) {
        let Some(child) = self.children.get_mut(index) else { return };
        child.state = State::Ignored;
        let forget = child.spec.restart == Restart::Temporary || self.rules.is_dynamic();
        if let Some(reply) = self.agenda.take_start_reply(index) {
            let _ = reply.tx.send(Ok(reply.reply));
        }
        if forget {
            self.forget(index);
        }
    }
}

/// The position of `index` in `order`.
fn position(order: &[usize], index: usize) -> usize {
    order.iter().position(|&i| i == index).unwrap_or(0)
}

/// The children in `order` as a group restart sees them, and the position
/// of `index` among them.
fn members(children: &super::children::Children, order: &[usize], index: usize) -> (usize, Vec<Member>) {
    let members = order
        .iter()
        .map(|&i| {
            children.get(i).map_or(Member { alive: false, temporary: true }, |c| Member {
                alive: c.state.is_alive(),
                temporary: c.spec.restart == Restart::Temporary,
            })
        })
        .collect();
    (position(order, index), members)
}
