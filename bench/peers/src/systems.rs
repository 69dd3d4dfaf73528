//! The systems compared, and which scenarios each can do.

use crate::outcome::Outcome;
use crate::{floor, library};

/// In the order of the table's columns.
pub const ALL: &[&str] = &["library", "floor"];

/// Why `system` has no row for `scenario`.
pub fn cannot(system: &str, scenario: &str) -> String {
    format!("{system} cannot run {scenario}")
}

pub async fn s1(system: &str, n: u64) -> Option<Outcome> {
    match system {
        "library" => Some(library::s1_restarts(n).await),
        "floor" => Some(floor::s1_restarts(n).await),
        _ => None,
    }
}

pub async fn s1b(system: &str, samples: usize) -> Option<Outcome> {
    match system {
        "library" => Some(library::s1b_latency(samples).await),
        "floor" => Some(floor::s1b_latency(samples).await),
        _ => None,
    }
}

pub async fn s2(system: &str, n: usize) -> Option<(Outcome, Outcome)> {
    match system {
        "library" => Some(library::s2_start_stop(n).await),
        "floor" => Some(floor::s2_start_stop(n).await),
        _ => None,
    }
}

pub async fn s4(system: &str, n: usize) -> Option<Outcome> {
    let reps = 20;
    match system {
        "library" => library::s4_one_for_all(n, reps).await,
        "floor" => floor::s4_one_for_all(n, reps).await,
        _ => None,
    }
}
