//! The operators' view over HTTP (feature `http`): probes with Kubernetes'
//! meaning and the tree as JSON, as an axum [`Router`] to merge into your
//! own app, or served on its own by [`serve`]. Read-only.
//!
//! | request | answer |
//! |---|---|
//! | `GET /livez` | 200 while the tree's loop answers, else 503 |
//! | `GET /readyz` | 200 while every child that gates readiness runs and is ready, else 503 |
//! | `GET /readyz/<path>` | the same for one child (`/readyz/db`, `/readyz/consumers/orders`); 404 if there is none |
//! | `GET /tree` | the snapshot ([`SupervisorHandle::tree`]) as JSON |
//! | `GET /events` | the tree's events as server-sent events, from now on, until it has ended |
//!
//! The probes answer in plain text (`ok`, or what is wrong); `?verbose` lists
//! every check (`[+]app/db ok`, `[-]app/api restarting in 2s`), and a request
//! that accepts `application/json` gets the health-check draft's shape:
//! `{"status": "pass" | "warn" | "fail", "checks": {path: [{status, output}]}}`
//! (`warn`: ready, but degraded). Unknown paths are 404, other methods 405.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::handle::SupervisorHandle;
use crate::health::Health;

/// How long the tree's loop may take to answer a probe before it counts
/// as not live.
const PROBE_BOUND: Duration = Duration::from_secs(1);

/// The router of the operators' view of the tree `handle` addresses.
///
/// ```no_run
/// # async fn run(running: supervisor_core::RunningSupervisor) -> std::io::Result<()> {
/// let app = axum::Router::new().merge(supervisor_core::http::router(running.handle()));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
pub fn router(handle: SupervisorHandle) -> Router {
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/readyz/{*path}", get(readyz_one))
        .route("/tree", get(tree))
        .route("/events", get(events))
        .with_state(handle)
}

/// Serves [`router`] on `addr` until the tree has ended. Bind to loopback
/// (`127.0.0.1:8080`) unless the probes must be reached from elsewhere.
///
/// # Errors
/// The listener's, if `addr` cannot be bound.
pub async fn serve(handle: SupervisorHandle, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let done = handle.clone();
    axum::serve(listener, router(handle))
        .with_graceful_shutdown(async move {
            let _ = done.wait().await;
        })
        .await
}

#[derive(serde::Deserialize, Default)]
struct Verbose {
    verbose: Option<String>,
}

async fn livez(State(handle): State<SupervisorHandle>, Query(query): Query<Verbose>, headers: HeaderMap) -> Response {
    let health = handle.health(PROBE_BOUND).await;
    let status = if health.live { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    if wants_json(&headers) {
        let body = serde_json::json!({ "status": if health.live { "pass" } else { "fail" } });
        return (status, axum::Json(body)).into_response();
    }
    let text = match (health.live, query.verbose.is_some()) {
        (true, false) => "ok".to_string(),
        (true, true) => "[+]loop ok\nlivez check passed".to_string(),
        (false, _) => format!("[-]loop {}\nlivez check failed", health.degraded.join("; ")),
    };
    (status, text).into_response()
}

async fn readyz(State(handle): State<SupervisorHandle>, Query(query): Query<Verbose>, headers: HeaderMap) -> Response {
    let health = handle.health(PROBE_BOUND).await;
    probe(&health, health.ready, query.verbose.is_some(), wants_json(&headers))
}

async fn readyz_one(State(handle): State<SupervisorHandle>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    let health = handle.health(PROBE_BOUND).await;
    let wanted = format!("{}/{path}", handle.path());
    let Some(check) = health.checks.iter().find(|c| *c.path == *wanted) else {
        return (StatusCode::NOT_FOUND, format!("no child `{wanted}` gates readiness")).into_response();
    };
    let one = Health { live: health.live, ready: check.ready, degraded: Vec::new(), checks: vec![check.clone()] };
    probe(&one, check.ready, true, wants_json(&headers))
}

async fn tree(State(handle): State<SupervisorHandle>) -> Response {
    match handle.tree().await {
        Ok(tree) => axum::Json(tree).into_response(),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response(),
    }
}

/// Each event as a server-sent event named by its kind (`child_started`,
/// `child_exited`, ...), its data the event's one line (`exited app/w#0
/// failed: boom`); `lagged` if the subscriber fell behind. The stream ends
/// when the tree has ended.
async fn events(State(handle): State<SupervisorHandle>) -> Response {
    use crate::event::RecvError;
    use axum::response::sse::{Event as Sse, KeepAlive};
    let stream = futures_util::stream::unfold(handle.subscribe(), |mut events| async move {
        let sse = match events.recv().await {
            Ok(event) => Sse::default().event(kind(&event)).data(event.to_string()),
            Err(RecvError::Lagged(missed)) => Sse::default().event("lagged").data(missed.to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<_, std::convert::Infallible>(sse), events))
    });
    axum::response::sse::Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

fn kind(event: &crate::Event) -> &'static str {
    use crate::Event;
    match event {
        Event::ChildStarted { .. } => "child_started",
        Event::ChildExited { .. } => "child_exited",
        Event::ChildIgnored { .. } => "child_ignored",
        Event::RestartScheduled { .. } => "restart_scheduled",
        Event::ChildStopped { .. } => "child_stopped",
        Event::IntensityExceeded { .. } => "intensity_exceeded",
        Event::SupervisorStopped { .. } => "supervisor_stopped",
    }
}

/// A probe's answer: 200 or 503, in text or the health-check draft's JSON.
fn probe(health: &Health, passed: bool, verbose: bool, json: bool) -> Response {
    let status = if passed { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    if json {
        let verdict = match (passed, health.degraded.is_empty()) {
            (false, _) => "fail",
            (true, false) => "warn",
            (true, true) => "pass",
        };
        let checks: serde_json::Map<String, serde_json::Value> = health
            .checks
            .iter()
            .map(|c| {
                let entry = serde_json::json!([{
                    "status": if c.ready { "pass" } else { "fail" },
                    "output": c.why.clone().unwrap_or_default(),
                }]);
                (c.path.to_string(), entry)
            })
            .collect();
        let body = serde_json::json!({ "status": verdict, "checks": checks, "notes": health.degraded });
        return (status, [(header::CONTENT_TYPE, "application/health+json")], body.to_string()).into_response();
    }
    let mut lines: Vec<String> = Vec::new();
    if verbose {
        for check in &health.checks {
            match &check.why {
                None => lines.push(format!("[+]{} ok", check.path)),
                Some(why) => lines.push(format!("[-]{} {why}", check.path)),
            }
        }
        lines.extend(health.degraded.iter().map(|note| format!("[!] {note}")));
    }
    lines.push(if passed { "ok".to_string() } else { "not ready".to_string() });
    (status, lines.join("\n")).into_response()
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"))
}
