//! Moving the agenda on: after anything that may let it (a child stopped,
//! started, or a delay ran out), the start sequence or the shutdown goes as
//! far as it can without waiting.

use super::child::{Queue, StartedBy, State, Why};
use super::supervisor::{Phase, SupervisorLoop};
use crate::policy::shutdown::Stage;

impl SupervisorLoop {
    pub(crate) fn advance(&mut self) {
        loop {
            if self.is_stopping() {
                return self.advance_shutdown();
            }
            let Some(sequence) = &self.agenda.sequence else {
                match self.agenda.exits.pop_front() {
                    Some(pending) => self.decide_pending(pending),
                    None => return,
                }
                continue;
            };
            if let Some(&front) = sequence.stops.front() {
                match self.children.get(front).map(|c| &c.state) {
                    // Being stopped: wait for its end.
                    Some(State::Stopping { since: Some(_), .. }) => return,
                    Some(state) if state.is_alive() => {
                        self.ask_stop(front, Why::Group);
                        return;
                    }
                    _ => self.sequence_mut(|s| _ = s.stops.pop_front()),
                }
                continue;
            }
            if let Some(&front) = sequence.starts.front() {
                match self.children.get(front).map(|c| &c.state) {
                    Some(State::Queued { due, by: Queue::Sequence }) if *due > self.wake.now() => return,
                    Some(State::Queued { by: Queue::Sequence, .. }) => self.start(front, StartedBy::Sequence),
                    // Waiting for it to be ready, or for its stop.
                    Some(State::Starting { .. } | State::Stopping { .. }) => return,
                    // Started; or started, stopped or forgotten by someone else.
                    _ => self.sequence_mut(|s| _ = s.starts.pop_front()),
                }
                continue;
            }
            self.agenda.sequence = None;
            if matches!(self.phase, Phase::Starting) {
                self.signal_started();
            }
        }
    }

    fn sequence_mut(&mut self, change: impl FnOnce(&mut super::agenda::Sequence)) {
        if let Some(sequence) = &mut self.agenda.sequence {
            change(sequence);
        }
    }

    /// Begins each stage once the one before it has ended.
    fn advance_shutdown(&mut self) {
        while self.agenda.stage_left == 0 {
            let Some(stage) = self.agenda.shutdown.pop_front() else { return };
            let mut left = 0;
            match stage {
                Stage::One(index) => left += usize::from(self.ask_stop(index, Why::Shutdown)),
                Stage::All(indices) => {
                    for index in indices {
                        left += usize::from(self.ask_stop(index, Why::Shutdown));
                    }
                }
            }
            self.agenda.stage_left = left;
        }
    }
}
