//! A laboratory for supervision tests: scripted children that record what
//! happens to them, with times relative to the lab's creation.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod http;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use supervisor_core::{ChildSpec, Ctx, EventReceiver};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What a scripted child does when told.
#[derive(Clone, Debug)]
pub enum Action {
    Fail(&'static str),
    Return,
    Panic(&'static str),
}

/// How a scripted child reacts to being asked to stop.
#[derive(Clone, Copy, Debug)]
pub enum OnCancel {
    /// Returns at once.
    Stop,
    /// Takes this long, then returns.
    Linger(Duration),
    /// Never returns: must be aborted.
    Ignore,
}

#[derive(Clone)]
pub struct Lab {
    t0: Instant,
    log: Arc<Mutex<Vec<String>>>,
    controls: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Action>>>>,
    live: Arc<Mutex<HashMap<String, usize>>>,
    max_live: Arc<Mutex<HashMap<String, usize>>>,
}

/// Decrements the live count of a child when its incarnation's future is
/// dropped, however that happens (return, panic, abort).
struct LiveGuard {
    lab: Lab,
    id: String,
    generation: u64,
    record_drop: bool,
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        *self.lab.live.lock().unwrap().get_mut(&self.id).unwrap() -= 1;
        if self.record_drop {
            self.lab.record(format!("dropped {}#{}", self.id, self.generation));
        }
    }
}

impl Lab {
    pub fn new() -> Self {
        Lab {
            t0: Instant::now(),
            log: Arc::default(),
            controls: Arc::default(),
            live: Arc::default(),
            max_live: Arc::default(),
        }
    }

    /// Milliseconds since the lab was made.
    pub fn ms(&self) -> u128 {
        self.t0.elapsed().as_millis()
    }

    pub fn record(&self, what: String) {
        let line = format!("{} {what}", self.ms());
        self.log.lock().unwrap().push(line);
    }

    /// Everything recorded so far, and clears it.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    /// The most incarnations of one child that were ever alive at once.
    pub fn max_live(&self, id: &str) -> usize {
        self.max_live.lock().unwrap().get(id).copied().unwrap_or(0)
    }

    pub fn live(&self, id: &str) -> usize {
        self.live.lock().unwrap().get(id).copied().unwrap_or(0)
    }

    /// Tells the running incarnation of `id` to do `action`, waiting until
    /// one is running.
    pub async fn tell(&self, id: &str, action: Action) {
        for _ in 0..100_000 {
            let sent = match self.controls.lock().unwrap().get(id) {
                Some(control) => control.send(action.clone()).is_ok(),
                None => false,
            };
            if sent {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("{id} never ran");
    }

    /// A worker that logs `start`, then waits for an action or for
    /// cancellation, and logs how it ends.
    pub fn worker(&self, id: &'static str) -> ChildSpec {
        self.worker_with(id, OnCancel::Stop, None)
    }

    pub fn worker_with(&self, id: &'static str, on_cancel: OnCancel, ready_after: Option<Duration>) -> ChildSpec {
        let lab = self.clone();
        ChildSpec::worker(id, move |ctx: Ctx| lab.clone().run(id, ctx, on_cancel, ready_after))
    }

    async fn run(
        self,
        id: &'static str,
        ctx: Ctx,
        on_cancel: OnCancel,
        ready_after: Option<Duration>,
    ) -> Result<(), String> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.controls.lock().unwrap().insert(id.to_string(), tx);
        let live = {
            let mut live = self.live.lock().unwrap();
            let n = live.entry(id.to_string()).or_default();
            *n += 1;
            *n
        };
        {
            let mut max = self.max_live.lock().unwrap();
            let m = max.entry(id.to_string()).or_default();
            *m = (*m).max(live);
        }
        let _guard = LiveGuard {
            lab: self.clone(),
            id: id.to_string(),
            generation: ctx.generation(),
            record_drop: matches!(on_cancel, OnCancel::Ignore),
        };
        self.record(format!("start {id}#{}", ctx.generation()));
        if let Some(delay) = ready_after {
            tokio::select! {
                () = tokio::time::sleep(delay) => ctx.ready(),
                () = ctx.cancelled(), if !matches!(on_cancel, OnCancel::Ignore) => {
                    self.record(format!("stop {id}#{}", ctx.generation()));
                    return Ok(());
                }
            }
        }
        tokio::select! {
            action = rx.recv() => match action {
                Some(Action::Fail(error)) => {
                    self.record(format!("fail {id}#{}", ctx.generation()));
                    Err(error.to_string())
                }
                Some(Action::Return) | None => {
                    self.record(format!("return {id}#{}", ctx.generation()));
                    Ok(())
                }
                Some(Action::Panic(message)) => {
                    self.record(format!("panic {id}#{}", ctx.generation()));
                    panic!("{message}")
                }
            },
            () = ctx.cancelled() => {
                match on_cancel {
                    OnCancel::Stop => {}
                    OnCancel::Linger(d) => tokio::time::sleep(d).await,
                    OnCancel::Ignore => std::future::pending::<()>().await,
                }
                self.record(format!("stop {id}#{}", ctx.generation()));
                Ok(())
            }
        }
    }
}

#[allow(unused_imports)]
pub use supervisor_core::testing::settle;

/// Drains the events received so far, as short strings (`Event`'s `Display`).
pub fn drain(events: &mut EventReceiver) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(event) = events.try_recv() {
        out.push(event.to_string());
    }
    out
}

/// Waits until the runtime's count of alive tasks is back to `baseline`, and
/// says whether it got there. A joined task is counted out a moment after
/// its join completes (on the worker thread that ran it), so this allows a
/// second for that bookkeeping; a task that is really left running stays.
pub async fn alive_tasks_return_to(baseline: usize) -> bool {
    let metrics = tokio::runtime::Handle::current().metrics();
    for _ in 0..1000 {
        if metrics.num_alive_tasks() == baseline {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    eprintln!("alive tasks: {} (baseline {baseline})", metrics.num_alive_tasks());
    false
}

/// Builds and starts a tree that the test expects to be valid.
pub async fn start(builder: supervisor_core::SupervisorBuilder) -> supervisor_core::RunningSupervisor {
    builder.build().unwrap().start().await.unwrap()
}
