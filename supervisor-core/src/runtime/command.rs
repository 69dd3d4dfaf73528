//! Control calls: messages to a supervisor loop, each with a oneshot reply.
//!
//! Every call is taken up in the turn it arrives in, whatever is in
//! progress. Queries are answered at once. A change acts at once and, as in
//! OTP, answers once its own child has stopped or started; where it meets
//! work in progress it takes OTP's side: terminating a restarting child
//! cancels its restart, a child a restart will start again is `Restarting`,
//! and a child terminated during a group restart stays stopped.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::agenda::StartReply;
use super::child::{Child, StartedBy, State, Why};
use super::inbox::Message;
use super::supervisor::SupervisorLoop;
use crate::child_spec::{ChildKind, ChildSpec};
use crate::control::{ChildCounts, ChildInfo, ControlError};
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
    GetSpec(Arc<str>),
    Find(Arc<str>),
    Snapshot,
    /// How many partitions it is (0: not partitioned).
    Partitions,
    /// Its own inbox, for a handle that routes to it directly.
    Inbox,
    Restart(Arc<str>),
    Terminate(Arc<str>),
    Kill(Arc<str>),
    Delete(Arc<str>),
    Start(ChildSpec),
    /// `key`: the child's id, chosen by the caller; `None` for the next free
    /// number.
    StartDynamic {
        args: Box<dyn Any + Send>,
        given: &'static str,
        key: Option<Arc<str>>,
    },
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::WhichChildren => f.write_str("WhichChildren"),
            Op::CountChildren => f.write_str("CountChildren"),
            Op::GetSpec(id) => write!(f, "GetSpec({id})"),
            Op::Find(id) => write!(f, "Find({id})"),
            Op::Snapshot => f.write_str("Snapshot"),
            Op::Partitions => f.write_str("Partitions"),
            Op::Inbox => f.write_str("Inbox"),
            Op::Restart(id) => write!(f, "Restart({id})"),
            Op::Terminate(id) => write!(f, "Terminate({id})"),
            Op::Kill(id) => write!(f, "Kill({id})"),
            Op::Delete(id) => write!(f, "Delete({id})"),
            Op::Start(spec) => write!(f, "Start({})", spec.id),
            Op::StartDynamic { given, key, .. } => write!(f, "StartDynamic({given}, key {key:?})"),
        }
    }
}

#[derive(Debug)]
pub(crate) enum Reply {
    Children(Vec<ChildInfo>),
    Counts(ChildCounts),
    Spec(Box<ChildSpec>),
    Child(Option<ChildInfo>),
    Snapshot(Box<crate::snapshot::TreeSnapshot>),
    Partitions(Option<Arc<crate::partition::Partitions>>),
    Inbox(tokio::sync::mpsc::UnboundedSender<Message>),
    Done,
    Started(Arc<str>),
}

impl SupervisorLoop {
    pub(crate) fn on_command(&mut self, command: Box<Command>) {
        if command.depth < command.scope.len() {
            return self.forward(command);
        }
        let Command { op, reply, .. } = *command;
        let result = match op {
            Op::WhichChildren => Ok(Reply::Children(self.children.iter().map(child_info).collect())),
            Op::CountChildren => Ok(Reply::Counts(self.count_children())),
            Op::GetSpec(id) => self.get_spec(&id),
            Op::Find(id) => {
                Ok(Reply::Child(self.children.find(&id).and_then(|i| self.children.get(i)).map(child_info)))
            }
            Op::Snapshot => Ok(Reply::Snapshot(Box::new(self.snapshot()))),
            Op::Partitions => Ok(Reply::Partitions(self.rules.partitions.clone())),
            Op::Inbox => Ok(Reply::Inbox(self.inbox.tx.clone())),
            _ if self.is_stopping() => Err(self.shutting_down()),
            // Its caller gave up before the call was taken up: a change that
            // nobody waits for is not carried out.
            _ if reply.is_closed() => return,
            Op::Kill(id) => self.kill_child(id),
            Op::Delete(id) => self.delete_child(id),
            // These answer once their child has stopped or started.
            Op::Restart(id) => return self.restart_child(id, reply),
            Op::Terminate(id) => return self.terminate_child(id, reply),
            Op::Start(spec) => return self.start_child(spec, reply),
            Op::StartDynamic { args, given, key } => return self.start_dynamic(args, given, key, reply),
        };
        let _ = reply.send(result);
    }

    /// Passes a command down to the nested supervisor it names.
    fn forward(&mut self, mut command: Box<Command>) {
        let id = &command.scope[command.depth];
        let inbox = self.children.find(id).and_then(|i| self.children.get(i)).and_then(|child| {
            let nested = child.state.live()?.nested.as_ref()?;
            Some(nested.inbox.clone())
        });
        let path = super::supervisor::child_path(&self.path, id);
        command.depth += 1;
        let failed = match inbox {
            Some(inbox) => match inbox.send(Message::Command(command)) {
                Ok(()) => return,
                Err(failed) => failed.0,
            },
            None => Message::Command(command),
        };
        if let Message::Command(command) = failed {
            let _ = command.reply.send(Err(ControlError::NotASupervisor { path }));
        }
    }

    fn get_spec(&self, id: &str) -> Result<Reply, ControlError> {
        let child = self.children.find(id).and_then(|i| self.children.get(i));
        child.map(|c| Reply::Spec(Box::new(c.spec.clone()))).ok_or_else(|| ControlError::NotFound { id: Arc::from(id) })
    }

    fn restart_child(&mut self, id: Arc<str>, reply: ReplyTx) {
        if self.rules.is_dynamic() {
            return drop(
                reply.send(Err(self.unsupported("dynamic children are restarted only by their restart type"))),
            );
        }
        let Some(index) = self.children.find(&id) else {
            return drop(reply.send(Err(ControlError::NotFound { id })));
        };
        match self.children.get(index).map(|c| &c.state) {
            Some(State::Stopped | State::Ignored) => {
                self.agenda.start_replies.insert(index, StartReply { tx: reply, reply: Reply::Done, discard: false });
                self.start(index, StartedBy::Call);
            }
            Some(State::Queued { .. }) => drop(reply.send(Err(ControlError::Restarting { id }))),
            _ => drop(reply.send(Err(ControlError::Running { id }))),
        }
    }

    fn terminate_child(&mut self, id: Arc<str>, reply: ReplyTx) {
        let Some(index) = self.children.find(&id) else {
            // A dynamic child that has already ended is terminated (OTP).
            let issued = id.parse::<u64>().is_ok_and(|n| n >= 1 && n <= self.next_dynamic_id);
            let result =
                if self.rules.is_dynamic() && issued { Ok(Reply::Done) } else { Err(ControlError::NotFound { id }) };
            return drop(reply.send(result));
        };
        self.agenda.unqueue(index);
        if self.ask_stop(index, Why::Terminate) {
            return self.agenda.stop_replies.entry(index).or_default().push(reply);
        }
        if let Some(child) = self.children.get_mut(index) {
            if let State::Queued { .. } = child.state {
                // Its restart is cancelled.
                child.state = State::Stopped;
            }
        }
        // So is a decision on its last exit that waits for a sequence.
        self.children.new_epoch(index);
        self.terminated(index);
        let _ = reply.send(Ok(Reply::Done));
    }

    /// Aborts one incarnation now, as OTP's `exit(Pid, kill)`: its restart
    /// type then applies to the exit (`ExitReason::Killed`). A child already
    /// being stopped is only hurried: it stays stopped.
    fn kill_child(&mut self, id: Arc<str>) -> Result<Reply, ControlError> {
        let index = self.children.find(&id).ok_or_else(|| ControlError::NotFound { id: id.clone() })?;
        match self.children.get(index).map(|c| &c.state) {
            Some(State::Starting { .. } | State::Running { .. }) => self.abort(index, Some(Why::Kill)),
            Some(State::Stopping { .. }) => self.abort(index, None),
            _ => return Err(ControlError::NotRunning { id }),
        }
        Ok(Reply::Done)
    }

    fn delete_child(&mut self, id: Arc<str>) -> Result<Reply, ControlError> {
        if self.rules.is_dynamic() {
            return Err(self.unsupported("dynamic children are deleted by terminate_child"));
        }
        let index = self.children.find(&id).ok_or_else(|| ControlError::NotFound { id: id.clone() })?;
        match self.children.get(index).map(|c| &c.state) {
            Some(State::Stopped | State::Ignored) => {
                self.forget(index);
                Ok(Reply::Done)
            }
            Some(State::Queued { .. }) => Err(ControlError::Restarting { id }),
            _ => Err(ControlError::Running { id }),
        }
    }

    fn start_child(&mut self, spec: ChildSpec, reply: ReplyTx) {
        if self.rules.is_dynamic() || self.rules.partitions.is_some() {
            return drop(reply.send(Err(self.unsupported("start dynamic children with DynamicHandle::start_child"))));
        }
        if let Err(error) = check_child(&spec, self.rules.auto_shutdown) {
            return drop(reply.send(Err(error.into())));
        }
        if let Some(existing) = self.children.find(&spec.id).and_then(|i| self.children.get(i)) {
            let id = spec.id.clone();
            let error = if existing.state.is_alive() {
                ControlError::AlreadyStarted { id }
            } else {
                ControlError::AlreadyPresent { id }
            };
            return drop(reply.send(Err(error)));
        }
        self.insert_and_start(spec, reply, Reply::Done)
    }

    fn start_dynamic(&mut self, args: Box<dyn Any + Send>, given: &'static str, key: Option<Arc<str>>, reply: ReplyTx) {
        let Some(template) = self.rules.template.clone() else {
            return drop(reply.send(Err(self.unsupported("it is not dynamic: start children with a ChildSpec"))));
        };
        let (id, number) = match key {
            Some(key) => {
                if let Err(error) = crate::supervisor_spec::check_id(&key) {
                    return drop(reply.send(Err(error.into())));
                }
                // A key names one child at a time.
                if self.children.find(&key).is_some() {
                    return drop(reply.send(Err(ControlError::AlreadyStarted { id: key })));
                }
                (key, None)
            }
            None => {
                let (number, id) = self.next_free_id();
                (id, Some(number))
            }
        };
        // Dropping arguments of the wrong type runs their destructor: user code.
        let spec = std::panic::catch_unwind(AssertUnwindSafe(|| template.instantiate(id.clone(), args)));
        // Arguments of the wrong type are a mistake whether or not there is room.
        let spec = match spec {
            Ok(Some(spec)) => spec,
            Ok(None) => {
                return drop(reply.send(Err(ControlError::WrongArguments { supervisor: self.path.clone(), given })));
            }
            Err(payload) => {
                let reason = crate::ExitReason::Panicked(super::task::panic_message(payload));
                return drop(reply.send(Err(ControlError::StartFailed { id, reason })));
            }
        };
        if self.children.count() >= template.max_children {
            let error = ControlError::Full { supervisor: self.path.clone(), max: template.max_children };
            return drop(reply.send(Err(error)));
        }
        // Partitioned: the limit is the whole's, reserved here.
        if let Some(budget) = self.rules.budget() {
            if let Err(max) = budget.reserve() {
                return drop(reply.send(Err(ControlError::Full { supervisor: budget.whole.clone(), max })));
            }
        }
        if let Some(number) = number {
            self.next_dynamic_id = number;
        }
        self.insert_and_start(spec, reply, Reply::Started(id))
    }

    /// The next number not already used as a child's id (a key may be one).
    fn next_free_id(&self) -> (u64, Arc<str>) {
        let mut number = self.next_dynamic_id;
        loop {
            number += 1;
            let id: Arc<str> = Arc::from(number.to_string());
            if self.children.find(&id).is_none() {
                return (number, id);
            }
        }
    }

    fn insert_and_start(&mut self, spec: ChildSpec, reply: ReplyTx, answer: Reply) {
        let path = super::supervisor::child_path(&self.path, &spec.id);
        let index = self.children.insert(Child::new(spec, path));
        self.agenda.start_replies.insert(index, StartReply { tx: reply, reply: answer, discard: true });
        self.start(index, StartedBy::Call);
    }

    /// This supervisor and its children, as they are this turn (nested
    /// supervisors' own children are theirs to tell).
    fn snapshot(&mut self) -> crate::snapshot::TreeSnapshot {
        let now = self.wake.now();
        let children = self
            .children
            .iter()
            .map(|child| {
                let state = child.state.public();
                let restart_in = match state {
                    crate::ChildState::Restarting { at } => Some(at.saturating_duration_since(now)),
                    _ => None,
                };
                let helpers = child.state.live().and_then(|l| l.ctx.helpers()).map_or(0, |h| h.alive().len());
                crate::snapshot::ChildSnapshot {
                    id: child.spec.id.clone(),
                    path: child.path.clone(),
                    kind: child.spec.kind(),
                    restart: child.spec.restart,
                    gates_readiness: child.spec.gates_readiness_setting(),
                    state,
                    restart_in,
                    generation: child.generation(),
                    last_exit: child.last_exit.clone(),
                    last_exit_ago: child.exited_at.map(|at| now.saturating_duration_since(at)),
                    up: child.state.live().map(|live| now.saturating_duration_since(live.started_at)),
                    helpers,
                    supervisor: None,
                }
            })
            .collect();
        crate::snapshot::TreeSnapshot {
            path: self.path.clone(),
            strategy: self.rules.strategy,
            dynamic: self.rules.is_dynamic(),
            intensity: self.rules.intensity(),
            restarts: self.rules.window.within(now),
            children,
        }
    }

    /// OTP's counts. A dynamic supervisor holds one spec, its template; a
    /// child waiting for its restart is not active.
    fn count_children(&self) -> ChildCounts {
        let mut counts = ChildCounts::default();
        for child in self.children.iter() {
            counts.specs += 1;
            counts.active += usize::from(child.state.is_alive());
            match child.spec.kind() {
                ChildKind::Worker => counts.workers += 1,
                ChildKind::Supervisor => counts.supervisors += 1,
            }
        }
        if self.rules.is_dynamic() {
            counts.specs = 1;
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

pub(crate) fn child_info(child: &Child) -> ChildInfo {
    ChildInfo {
        id: child.spec.id.clone(),
        path: child.path.clone(),
        kind: child.spec.kind(),
        state: child.state.public(),
        generation: child.generation(),
        restarts: child.generation(),
        last_exit: child.last_exit.clone(),
    }
}
