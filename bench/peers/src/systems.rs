//! The systems compared, and which scenarios each can do.

use crate::outcome::Outcome;
use crate::{floor, kameo_peer, library, ractor_peer, ractor_supervisor_peer as rs, tgs};

/// In the order of the table's columns.
pub const ALL: &[&str] = &["library", "floor", "ractor", "ractor-supervisor", "kameo", "tokio-graceful-shutdown"];

/// Why `system` has no row for `scenario`, from its own documentation.
pub fn cannot(system: &str, scenario: &str) -> String {
    match (system, scenario) {
        ("tokio-graceful-shutdown", "S4") => "no restart strategies (SubsystemBuilder has none)".to_string(),
        ("ractor-supervisor", "S3") => {
            "no graceful stop: the supervisor's exit kills its children, post_stop unrun (ractor ActorCell::terminate)"
                .to_string()
        }
        ("ractor", "S4") => "no strategies: supervision is left to the implementor (src/lib.rs)".to_string(),
        _ => format!("{system} cannot run {scenario}"),
    }
}

/// Whether its supervisor stops its children by asking them (S3); one
/// that kills them has no S3.
pub fn stops_gracefully(system: &str) -> bool {
    system != "ractor-supervisor"
}

pub async fn s1(system: &'static str, n: u64) -> Option<Outcome> {
    match system {
        "library" => Some(library::s1_restarts(n).await),
        "floor" => Some(floor::s1_restarts(n).await),
        "ractor" => Some(ractor_peer::s1_restarts(n).await),
        "kameo" => Some(kameo_peer::s1_restarts(n).await),
        "ractor-supervisor" => Some(rs::s1_restarts(n).await),
        "tokio-graceful-shutdown" => Some(tgs::s1_restarts(n).await),
        _ => None,
    }
}

pub async fn s1b(system: &'static str, samples: usize) -> Option<Outcome> {
    match system {
        "library" => Some(library::s1b_latency(samples).await),
        "floor" => Some(floor::s1b_latency(samples).await),
        "ractor" => Some(ractor_peer::s1b_latency(samples).await),
        "kameo" => Some(kameo_peer::s1b_latency(samples).await),
        "ractor-supervisor" => Some(rs::s1b_latency(samples).await),
        "tokio-graceful-shutdown" => Some(tgs::s1b_latency(samples).await),
        _ => None,
    }
}

pub async fn s2(system: &'static str, n: usize) -> Option<(Outcome, Outcome)> {
    match system {
        "library" => Some(library::s2_start_stop(n).await),
        "floor" => Some(floor::s2_start_stop(n).await),
        "ractor" => Some(ractor_peer::s2_start_stop(n).await),
        "kameo" => Some(kameo_peer::s2_start_stop(n).await),
        "ractor-supervisor" => Some(rs::s2_start_stop(n).await),
        "tokio-graceful-shutdown" => Some(tgs::s2_start_stop(n).await),
        _ => None,
    }
}

pub async fn s4(system: &'static str, n: usize) -> Option<Outcome> {
    let reps = 20;
    match system {
        "library" => library::s4_one_for_all(n, reps).await,
        "floor" => floor::s4_one_for_all(n, reps).await,
        "ractor" => ractor_peer::s4_one_for_all(n, reps).await,
        "kameo" => kameo_peer::s4_one_for_all(n, reps).await,
        "ractor-supervisor" => rs::s4_one_for_all(n, reps).await,
        "tokio-graceful-shutdown" => tgs::s4_one_for_all(n, reps).await,
        _ => None,
    }
}
