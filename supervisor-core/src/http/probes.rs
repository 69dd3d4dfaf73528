//! `/livez` and `/readyz`: Kubernetes' probes, in plain text or the
//! health-check draft's JSON.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::handle::SupervisorHandle;
use crate::health::Health;

/// How long the tree's loop may take to answer a probe before it counts
/// as not live.
const PROBE_BOUND: Duration = Duration::from_secs(1);

#[derive(serde::Deserialize, Default)]
pub(super) struct Verbose {
    verbose: Option<String>,
}

pub(super) async fn livez(
    State(handle): State<SupervisorHandle>,
    Query(query): Query<Verbose>,
    headers: HeaderMap,
) -> Response {
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

pub(super) async fn readyz(
    State(handle): State<SupervisorHandle>,
    Query(query): Query<Verbose>,
    headers: HeaderMap,
) -> Response {
    let health = handle.health(PROBE_BOUND).await;
    probe(&health, health.ready, query.verbose.is_some(), wants_json(&headers))
}

pub(super) async fn readyz_one(
    State(handle): State<SupervisorHandle>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    let health = handle.health(PROBE_BOUND).await;
    let wanted = format!("{}/{path}", handle.path());
    let Some(check) = health.checks.iter().find(|c| *c.path == *wanted) else {
        return (StatusCode::NOT_FOUND, format!("no child `{wanted}` gates readiness")).into_response();
    };
    let one = Health { live: health.live, ready: check.ready, degraded: Vec::new(), checks: vec![check.clone()] };
    probe(&one, check.ready, true, wants_json(&headers))
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
