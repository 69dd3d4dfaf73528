//! A service that serves its operators' view (feature `http`): the probes
//! Kubernetes calls, the tree as JSON, its events, and the observer page
//! at `/`, drawn live. Its `api` loses its upstream now and then, so the
//! page has something to show; its `reporter` does not gate readiness.
//!
//! Control calls (restart, terminate, kill a child) are on when
//! `SUPERVISOR_CONTROL_TOKEN` holds a token of 16 bytes or more.

use std::net::SocketAddr;
use std::time::Duration;

use supervisor_core::http::Endpoints;
use supervisor_core::{Ctx, RunningSupervisor, child, supervisor};

/// Opens its pool, then says it is ready.
#[child(wait_ready = 5s)]
async fn db(ctx: Ctx) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    ctx.ready();
    ctx.cancelled().await;
}

/// Loses its upstream every few seconds; restarts with backoff.
#[child(backoff(min = 500ms, max = 5s, jitter = 0.2))]
async fn api(ctx: Ctx) -> Result<(), String> {
    tokio::select! {
        () = ctx.cancelled() => Ok(()),
        () = tokio::time::sleep(Duration::from_secs(4)) => Err("upstream timed out".into()),
    }
}

/// Optional: its failures degrade the service, never make it unready.
#[child(restart = transient, gates_readiness = false)]
async fn reporter(ctx: Ctx) {
    ctx.cancelled().await;
}

#[child]
async fn worker(ctx: Ctx, n: u32) {
    let _ = n;
    ctx.cancelled().await;
}

/// The tree, started, and where its view is served.
#[derive(Debug)]
pub struct Service {
    /// The view's address (`http://{addr}/` is the observer page).
    pub addr: SocketAddr,
    /// The tree.
    pub running: RunningSupervisor,
}

/// Starts the tree and serves its view on `addr` (port 0: any free one).
///
/// # Errors
/// If the tree fails to start, `addr` cannot be bound, or the control
/// token is too short.
pub async fn start(addr: SocketAddr) -> Result<Service, Box<dyn std::error::Error>> {
    let tree = supervisor! {
        name: "shop",
        intensity: 10 per 30s,
        children: [
            db: db(),
            api: api(),
            reporter: reporter(),
            jobs: supervisor {
                strategy: one_for_all,
                children: [
                    scheduler: worker(0),
                    workers: supervisor { children: [w1: worker(1), w2: worker(2)] },
                ],
            },
        ],
    }?;
    let running = tree.start().await?;
    let mut endpoints = Endpoints::new(running.handle());
    if let Ok(token) = std::env::var("SUPERVISOR_CONTROL_TOKEN") {
        endpoints = endpoints.control(token)?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(endpoints.serve_on(listener));
    Ok(Service { addr, running })
}

/// Serves on `addr` for `duration` (or until SIGINT or SIGTERM, draining
/// for a second first), then stops in order.
///
/// # Errors
/// As [`start`]; and if the tree gives up.
pub async fn run(addr: SocketAddr, duration: Duration) -> Result<(), Box<dyn std::error::Error>> {
    let Service { addr, running } = start(addr).await?;
    tracing::info!("observer page: http://{addr}/ (probes: /livez, /readyz?verbose)");
    let handle = running.handle();
    tokio::select! {
        exit = running.run_until_signal_draining(Duration::from_secs(1), Duration::from_secs(10)) => {
            if let supervisor_core::TreeExit::GaveUp(error) = exit {
                return Err(error.into());
            }
        }
        () = tokio::time::sleep(duration) => {
            handle.shutdown().await?;
        }
    }
    Ok(())
}
