//! Stopping the whole supervisor: the shutdown plan set in motion, the kill,
//! and the exit report.

use std::sync::Arc;

use super::LoopEnd;
use super::child::{State, Why};
use super::supervisor::{Ending, Phase, SupervisorLoop};
use crate::error::{StartError, SupervisorError};
use crate::event::Event;
use crate::exit::{ChildReport, ExitReport};
use crate::policy::shutdown::shutdown_plan;

impl SupervisorLoop {
    /// Stops every child by the shutdown plan. Pending starts and restarts
    /// are dropped, and the calls that waited for them answered; a stop
    /// already under way carries on under its own deadline.
    pub(crate) fn begin_shutdown(&mut self, ending: Ending) {
        if self.is_stopping() {
            return;
        }
        let ending = match (ending, &self.phase) {
            // Giving up while starting is a failed start.
            (Ending::GaveUp { child, reason }, Phase::Starting) => {
                Ending::StartFailed(StartError::ChildFailed { child, reason })
            }
            (ending, _) => ending,
        };
        self.phase = Phase::Stopping { ending, killed: false };
        let error = self.shutting_down();
        for (_, reply) in self.agenda.start_replies.drain() {
            let _ = reply.tx.send(Err(error.clone()));
        }
        self.agenda.sequence = None;
        let order: Vec<usize> = self.children.in_order().collect();
        for &index in &order {
            if let Some(child) = self.children.get_mut(index) {
                if let State::Queued { .. } = child.state {
                    child.state = State::Stopped;
                }
            }
        }
        let stages: Option<Vec<Vec<usize>>> = self.rules.stages.as_ref().map(|stages| {
            stages.iter().map(|stage| stage.iter().filter_map(|id| self.children.find(id)).collect()).collect()
        });
        self.agenda.shutdown = shutdown_plan(&order, stages.as_deref(), self.rules.is_dynamic()).into();
        self.advance();
    }

    /// The parent's deadline passed, or `kill` was called: abort every
    /// child now and end once all have ended.
    pub(crate) fn on_kill(&mut self) {
        self.begin_shutdown(Ending::Requested);
        if let Phase::Stopping { killed, .. } = &mut self.phase {
            *killed = true;
        }
        let alive: Vec<usize> =
            self.children.in_order().filter(|&i| self.children.get(i).is_some_and(|c| c.state.is_alive())).collect();
        for index in alive {
            self.abort(index, Some(Why::Shutdown));
        }
    }

    /// The loop's result, once every child has ended.
    pub(crate) fn finish(&mut self, ending: Ending) -> LoopEnd {
        let report = self.report();
        let end = match ending {
            Ending::Requested => LoopEnd::Stopped(report),
            Ending::StartFailed(error) => LoopEnd::StartFailed(error),
            Ending::GaveUp { child, reason } => {
                let limit = self.rules.intensity();
                LoopEnd::GaveUp(SupervisorError::IntensityExceeded {
                    supervisor: self.path.clone(),
                    max: limit.max(),
                    period: limit.period(),
                    child,
                    reason,
                    report: Box::new(report),
                })
            }
        };
        let error: Option<Arc<str>> = match &end {
            LoopEnd::Stopped(_) => None,
            LoopEnd::StartFailed(error) => Some(Arc::from(error.to_string())),
            LoopEnd::GaveUp(error) => Some(Arc::from(error.to_string())),
        };
        let supervisor = self.path.clone();
        self.events.emit(|| Event::SupervisorStopped { supervisor, error });
        end
    }

    fn report(&self) -> ExitReport {
        let children = self
            .children
            .iter()
            .map(|child| ChildReport {
                path: child.path.clone(),
                exit: child.last_exit.clone(),
                stop_took: child.stop_took,
                subtree: child.subtree.clone(),
            })
            .collect();
        ExitReport { path: self.path.clone(), children }
    }
}
