//! Stopping the whole supervisor: the shutdown plan and the exit report.

use std::sync::Arc;

use super::plan::{Step, Waiting};
use super::slots::State;
use super::supervisor::{Ending, Phase, SupervisorLoop};
use super::{LoopEnd, Work};
use crate::error::SupervisorError;
use crate::event::Event;
use crate::exit::{ChildReport, ExitReport};

impl SupervisorLoop {
    /// Stops every child: the explicit shutdown stages if the spec has them
    /// (children added at run time first, newest first), otherwise one at a
    /// time in reverse start order. Pending restarts are dropped; a stop
    /// already under way carries on under its own deadline.
    pub(crate) fn begin_shutdown(&mut self, ending: Ending) {
        if self.is_stopping() {
            return;
        }
        self.phase = Phase::Stopping(ending);
        self.drop_pending();
        if matches!(self.plan.waiting, Waiting::Ready { .. }) {
            self.plan.waiting = Waiting::Nothing;
        }
        let order: Vec<usize> = self.slots.in_order().collect();
        for &index in &order {
            if let Some(slot) = self.slots.get_mut(index) {
                if let State::Restarting { .. } = slot.state {
                    slot.state = State::Stopped;
                }
            }
        }
        match &self.stages {
            // A dynamic supervisor's children stop all at once.
            None if self.template.is_some() => self.plan.steps.push_back(Step::Stop(order.into())),
            None => self.plan.steps.extend(order.into_iter().rev().map(Step::StopOne)),
            Some(stages) => {
                let staged: Vec<Vec<usize>> =
                    stages.iter().map(|stage| stage.iter().filter_map(|id| self.slots.find(id)).collect()).collect();
                let unstaged = order.into_iter().rev().filter(|i| !staged.iter().any(|stage| stage.contains(i)));
                self.plan.steps.extend(unstaged.map(Step::StopOne));
                self.plan.steps.extend(staged.into_iter().map(|stage| Step::Stop(stage.into())));
            }
        }
    }

    /// Drops the plan's remaining steps and the queued work, answering
    /// every control call among them.
    pub(crate) fn drop_pending(&mut self) {
        let error = self.shutting_down();
        self.plan.abandon_rest(&error);
        for work in self.work.drain(..) {
            if let Work::Command(command) = work {
                let _ = command.reply.send(Err(error.clone()));
            }
        }
    }

    /// The loop's result, once every child has ended.
    pub(crate) fn finish(&mut self, ending: Ending) -> LoopEnd {
        let report = self.report();
        let end = match ending {
            Ending::Requested => LoopEnd::Stopped(report),
            Ending::StartFailed(error) => LoopEnd::StartFailed(error),
            Ending::GaveUp { child, reason } => LoopEnd::GaveUp(SupervisorError::IntensityExceeded {
                supervisor: self.path.clone(),
                max: self.limit.max(),
                period: self.limit.period(),
                child,
                reason,
                report: Box::new(report),
            }),
        };
        let error: Option<Arc<str>> = match &end {
            LoopEnd::Stopped(_) => None,
            LoopEnd::StartFailed(error) => Some(Arc::from(error.to_string())),
            LoopEnd::GaveUp(error) => Some(Arc::from(error.to_string())),
        };
        self.events.emit(|| Event::SupervisorStopped { supervisor: self.path.clone(), error });
        end
    }

    fn report(&self) -> ExitReport {
        let children = self
            .slots
            .iter()
            .map(|slot| ChildReport {
                path: slot.path.clone(),
                exit: slot.last_exit.clone(),
                stop_took: slot.stop.took(),
                subtree: slot.subtree.clone(),
            })
            .collect();
        ExitReport { path: self.path.clone(), children }
    }
}
