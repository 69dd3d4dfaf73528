//! Control commands: messages to a supervisor loop, each with a oneshot
//! reply. Queries are answered at once; changes wait until no plan is in
//! progress (as OTP handles calls after a restart completes), and reply when
//! they are done.

use std::any::Any;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::Work;
use super::inbox::Message;
use super::plan::Step;
use super::slots::{Slot, State};
use super::supervisor::SupervisorLoop;
use crate::child_spec::{ChildKind, ChildSpec};
use crate::control::{ChildCounts, ChildInfo, ChildState, ControlError};
use crate::supervisor_spec::check_child;

pub(crate) type ReplyTx = oneshot::Sender<Result<Reply, ControlError>>;

/// A control call on the supervisor at `scope` below the one receiving it.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) scope: Arc<[Arc<str>]>,
    pub(crate) depth: usize,
    pub(crate) op: Op,
    pub(crate) reply: ReplyTx,
}

pub(crate) enum Op {
    WhichChildren,
    CountChildren,
    Restart(Arc<str>),
    Terminate(Arc<str>),
    Delete(Arc<str>),
    Start(ChildSpec),
    StartDynamic { args: Box<dyn Any + Send>, given: &'static str },
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::WhichChildren => f.write_str("WhichChildren"),
            Op::CountChildren => f.write_str("CountChildren"),
            Op::Restart(id) => write!(f, "Restart({id})"),
            Op::Terminate(id) => write!(f, "Terminate({id})"),
            Op::Delete(id) => write!(f, "Delete({id})"),
            Op::Start(spec) => write!(f, "Start({})", spec.id),
            Op::StartDynamic { given, .. } => write!(f, "StartDynamic({given})"),
        }
    }
}

#[derive(Debug)]
pub(crate) enum Reply {
    Children(Vec<ChildInfo>),
    Counts(ChildCounts),
    Done,
    Started(Arc<str>),
}

impl SupervisorLoop {
    pub(crate) fn on_command(&mut self, mut command: Box<Command>) {
        if command.depth < command.scope.len() {
            return self.forward(command);
        }
        let result = match command.op {
            Op::WhichChildren | Op::CountChildren => Ok(self.query(&command.op)),
            _ if self.is_stopping() => Err(self.shutting_down()),
            _ if !self.plan.is_idle() || !self.work.is_empty() => {
                self.work.push_back(Work::Command(command));
                return;
            }
            op => {
                command.op = op;
                return self.run_command(*command);
            }
        };
        let _ = command.reply.send(result);
    }

    /// Passes a command down to the nested supervisor it names.
    fn forward(&mut self, mut command: Box<Command>) {
        let id = &command.scope[command.depth];
        let inbox = self.slots.find(id).and_then(|i| self.slots.get(i)).and_then(|slot| {
            let nested = slot.live.as_ref()?.nested.as_ref()?;
            Some(nested.inbox.clone())
        });
        let path = super::supervisor::child_path(&self.path, id);
        command.depth += 1;
        if let Some(inbox) = inbox {
            if let Err(failed) = inbox.send(Message::Command(command)) {
                if let Message::Command(command) = failed.0 {
                    let _ = command.reply.send(Err(ControlError::NotASupervisor { path }));
                }
            }
        } else {
            let _ = command.reply.send(Err(ControlError::NotASupervisor { path }));
        }
    }

    /// Carries out a change; called only while no plan is in progress.
    pub(crate) fn run_command(&mut self, command: Command) {
        let Command { op, reply, .. } = command;
        let handled = match op {
            Op::WhichChildren | Op::CountChildren => Handled::Now(reply, Ok(self.query(&op))),
            Op::Restart(id) => self.restart_child(id, reply),
            Op::Terminate(id) => self.terminate_child(id, reply),
            Op::Delete(id) => Handled::Now(reply, self.delete_child(id).map(|()| Reply::Done)),
            Op::Start(spec) => self.start_child(spec, reply),
            Op::StartDynamic { args, given } => self.start_dynamic(args, given, reply),
        };
        if let Handled::Now(reply, result) = handled {
            let _ = reply.send(result);
        }
    }

    fn query(&self, op: &Op) -> Reply {
        match op {
            Op::CountChildren => Reply::Counts(self.count_children()),
            _ => Reply::Children(self.slots.iter().map(child_info).collect()),
        }
    }

    fn restart_child(&mut self, id: Arc<str>, reply: ReplyTx) -> Handled {
        if self.template.is_some() {
            return Handled::Now(
                reply,
                Err(self.unsupported("dynamic children are restarted only by their restart type")),
            );
        }
        let Some(index) = self.slots.find(&id) else {
            return Handled::Now(reply, Err(ControlError::NotFound { id }));
        };
        match self.slots.get(index).map(|s| s.state) {
            Some(State::Stopped) => {
                self.plan.steps.push_back(Step::Start(index));
                self.plan.steps.push_back(Step::reply(reply, Reply::Done, None));
                Handled::Later
            }
            Some(State::Restarting { .. }) => Handled::Now(reply, Err(ControlError::Restarting { id })),
            _ => Handled::Now(reply, Err(ControlError::Running { id })),
        }
    }

    fn terminate_child(&mut self, id: Arc<str>, reply: ReplyTx) -> Handled {
        let Some(index) = self.slots.find(&id) else {
            return Handled::Now(reply, Err(ControlError::NotFound { id }));
        };
        let Some(slot) = self.slots.get_mut(index) else {
            return Handled::Now(reply, Err(ControlError::NotFound { id }));
        };
        // Temporary and dynamic children are forgotten once terminated.
        let forget = slot.spec.restart == crate::Restart::Temporary || self.template.is_some();
        if slot.state.is_alive() {
            slot.doomed = true;
            self.plan.steps.push_back(Step::StopOne(index));
            if forget {
                self.plan.steps.push_back(Step::Forget(index));
            }
            self.plan.steps.push_back(Step::reply(reply, Reply::Done, None));
            return Handled::Later;
        }
        slot.state = State::Stopped;
        if forget {
            self.slots.remove(index);
        }
        Handled::Now(reply, Ok(Reply::Done))
    }

    fn delete_child(&mut self, id: Arc<str>) -> Result<(), ControlError> {
        if self.template.is_some() {
            return Err(self.unsupported("dynamic children are deleted by terminate_child"));
        }
        let index = self.slots.find(&id).ok_or_else(|| ControlError::NotFound { id: id.clone() })?;
        match self.slots.get(index).map(|s| s.state) {
            Some(State::Stopped) => {
                self.slots.remove(index);
                Ok(())
            }
            Some(State::Restarting { .. }) => Err(ControlError::Restarting { id }),
            _ => Err(ControlError::Running { id }),
        }
    }

    fn start_child(&mut self, spec: ChildSpec, reply: ReplyTx) -> Handled {
        if self.template.is_some() {
            return Handled::Now(
                reply,
                Err(self.unsupported("start dynamic children with DynamicHandle::start_child")),
            );
        }
        if let Err(error) = check_child(&spec) {
            return Handled::Now(reply, Err(error.into()));
        }
        if let Some(existing) = self.slots.find(&spec.id).and_then(|i| self.slots.get(i)) {
            let id = spec.id.clone();
            let error = if existing.state == State::Stopped {
                ControlError::AlreadyPresent { id }
            } else {
                ControlError::AlreadyStarted { id }
            };
            return Handled::Now(reply, Err(error));
        }
        self.insert_and_start(spec, reply)
    }

    fn start_dynamic(&mut self, args: Box<dyn Any + Send>, given: &'static str, reply: ReplyTx) -> Handled {
        let Some(template) = self.template.clone() else {
            return Handled::Now(reply, Err(self.unsupported("it is not dynamic: start children with a ChildSpec")));
        };
        // Arguments of the wrong type are a mistake whether or not there is room.
        let id: Arc<str> = Arc::from((self.next_dynamic_id + 1).to_string());
        let Some(spec) = template.instantiate(id, args) else {
            return Handled::Now(reply, Err(ControlError::WrongArguments { supervisor: self.path.clone(), given }));
        };
        if self.slots.count() >= template.max_children {
            let error = ControlError::Full { supervisor: self.path.clone(), max: template.max_children };
            return Handled::Now(reply, Err(error));
        }
        self.next_dynamic_id += 1;
        self.insert_and_start(spec, reply)
    }

    fn insert_and_start(&mut self, spec: ChildSpec, reply: ReplyTx) -> Handled {
        let id = spec.id.clone();
        let path = super::supervisor::child_path(&self.path, &id);
        let index = self.slots.insert(Slot::new(spec, path));
        self.plan.steps.push_back(Step::Start(index));
        self.plan.steps.push_back(Step::reply(reply, Reply::Started(id), Some(index)));
        Handled::Later
    }

    fn count_children(&self) -> ChildCounts {
        let mut counts = ChildCounts::default();
        for slot in self.slots.iter() {
            counts.specs += 1;
            counts.active += usize::from(slot.state.is_alive());
            match slot.spec.kind() {
                ChildKind::Worker => counts.workers += 1,
                ChildKind::Supervisor => counts.supervisors += 1,
            }
        }
        counts
    }

    pub(crate) fn shutting_down(&self) -> ControlError {
        ControlError::ShuttingDown { supervisor: self.path.clone() }
    }

    fn unsupported(&self, why: &'static str) -> ControlError {
        ControlError::Unsupported { supervisor: self.path.clone(), why }
    }
}

/// Whether a change was answered at once, or will be by a plan step.
enum Handled {
    Now(ReplyTx, Result<Reply, ControlError>),
    Later,
}

pub(crate) fn child_info(slot: &Slot) -> ChildInfo {
    ChildInfo {
        id: slot.spec.id.clone(),
        path: slot.path.clone(),
        kind: slot.spec.kind(),
        state: match slot.state {
            State::Starting => ChildState::Starting,
            State::Running => ChildState::Running,
            State::Stopping { .. } => ChildState::Stopping,
            State::Restarting { at } => ChildState::Restarting { at },
            State::Stopped => ChildState::Stopped,
        },
        generation: slot.generation,
        restarts: slot.generation,
        last_exit: slot.last_exit.clone(),
    }
}
