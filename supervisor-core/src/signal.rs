//! Running a tree as a process's main job: until SIGINT or SIGTERM, then an
//! orderly shutdown within a deadline (cargo feature `signal`).

use std::process::ExitCode;
use std::time::Duration;

use crate::error::SupervisorError;
use crate::exit::ExitReport;
use crate::running::RunningSupervisor;

/// How a tree run by [`RunningSupervisor::run_until_signal`] ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum TreeExit {
    /// A signal came and the tree stopped in order within the deadline.
    Stopped(ExitReport),
    /// The tree stopped by itself (auto-shutdown) before any signal.
    Finished(ExitReport),
    /// The orderly shutdown missed its deadline, or a second signal came:
    /// every task was aborted.
    Aborted(ExitReport),
    /// The top supervisor gave up (too many restarts).
    GaveUp(SupervisorError),
}

impl TreeExit {
    /// The process exit code for this ending: 0 after an orderly stop, 1 if
    /// the tree gave up, 2 if it had to be aborted, 3 if some task could not
    /// be stopped at all (it blocks its thread).
    #[must_use]
    pub fn exit_code(&self) -> ExitCode {
        match self {
            TreeExit::Stopped(report) | TreeExit::Finished(report) if report.not_ended().is_empty() => {
                ExitCode::SUCCESS
            }
            TreeExit::GaveUp(_) => ExitCode::from(1),
            TreeExit::Aborted(report) if report.not_ended().is_empty() => ExitCode::from(2),
            _ => ExitCode::from(3),
        }
    }
}

impl RunningSupervisor {
    /// Runs the tree until SIGINT (Ctrl-C) or, on Unix, SIGTERM; then shuts
    /// it down in order. If that takes longer than `deadline`, or a second
    /// signal comes, every task is aborted at once. Returns how it ended;
    /// [`TreeExit::exit_code`] turns that into the process's exit code.
    ///
    /// With the `systemd` feature, when `NOTIFY_SOCKET` is set, it also
    /// tells systemd `READY=1` at once, feeds its watchdog while the top
    /// supervisor's loop answers, and sends `STOPPING=1` when the signal
    /// comes (see `RunningSupervisor::notify_systemd`).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
    ///
    /// #[tokio::main]
    /// async fn main() -> std::process::ExitCode {
    ///     let spec = SupervisorSpec::builder("app")
    ///         .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
    ///         .build()
    ///         .expect("a valid tree");
    ///     let running = spec.start().await.expect("started");
    ///     running.run_until_signal(Duration::from_secs(30)).await.exit_code()
    /// }
    /// ```
    pub async fn run_until_signal(self, deadline: Duration) -> TreeExit {
        self.run_until_signal_draining(Duration::ZERO, deadline).await
    }

    /// [`run_until_signal`](Self::run_until_signal), draining first: when
    /// the signal comes the tree is marked draining
    /// ([`SupervisorHandle::drain`](crate::SupervisorHandle::drain)), so it
    /// is no longer ready (a load balancer stops sending it work) but goes
    /// on serving, for `drain`; then the ordered shutdown starts, within
    /// `deadline`. A second signal aborts at once, drain or not.
    pub async fn run_until_signal_draining(mut self, drain: Duration, deadline: Duration) -> TreeExit {
        let handle = self.handle();
        #[cfg(all(feature = "systemd", unix))]
        let systemd = self.systemd_from_env();
        tokio::select! {
            ended = handle.wait() => {
                self.join_root().await;
                return match ended {
                    Ok(report) => TreeExit::Finished(report),
                    Err(error) => TreeExit::GaveUp(error),
                };
            }
            () = signal() => tracing::info!(supervisor = handle.path(), ?deadline, "signal received: shutting down"),
        }
        #[cfg(all(feature = "systemd", unix))]
        if let Some(systemd) = &systemd {
            systemd.stopping();
        }
        if !drain.is_zero() {
            handle.drain();
            tokio::select! {
                () = tokio::time::sleep(drain) => {}
                _ = handle.wait() => {}
                () = signal() => {
                    tracing::warn!(supervisor = handle.path(), "second signal: aborting");
                    let ended = handle.kill().await.map(TreeExit::Aborted);
                    self.join_root().await;
                    return ended.unwrap_or_else(TreeExit::GaveUp);
                }
            }
        }
        let ended = tokio::select! {
            ended = handle.shutdown() => ended.map(TreeExit::Stopped),
            () = tokio::time::sleep(deadline) => {
                tracing::warn!(supervisor = handle.path(), "shutdown missed its deadline: aborting");
                handle.kill().await.map(TreeExit::Aborted)
            }
            () = signal() => {
                tracing::warn!(supervisor = handle.path(), "second signal: aborting");
                handle.kill().await.map(TreeExit::Aborted)
            }
        };
        self.join_root().await;
        ended.unwrap_or_else(TreeExit::GaveUp)
    }
}

/// Completes at the next SIGINT or SIGTERM.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
