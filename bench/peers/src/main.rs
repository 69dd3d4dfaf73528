//! The floor bench's scenarios for this library, the raw-tokio floor and
//! the library's peers, side by side: `cargo run --release` in this folder
//! prints the table, writes it to `RESULTS.md` and draws `peers.svg`.
//!
//! Every run is a fresh process (this binary with `--run`), so no system
//! inherits another's allocator state or runtime; each cell is the best of
//! `--rounds` runs (default 10; 15 times that for S1b and 10 times for
//! the other short scenarios, S2 of 10,000 and S4) and says whether every
//! run's checks passed; `rounds.csv` keeps every round's figure. `--quick`
//! runs tiny sizes once, to see that it works.

// The peers' modules keep the shapes their helpers need.
#![allow(clippy::type_complexity, clippy::doc_lazy_continuation, clippy::collapsible_if)]

mod chart;
mod floor;
mod kameo_peer;
mod library;
mod outcome;
mod ractor_peer;
mod ractor_supervisor_peer;
mod systems;
mod table;
mod tgs;

use std::process::Command;
use std::time::Duration;

pub use outcome::Outcome;

/// The rounds of the long scenarios unless `--rounds` says otherwise; the
/// short ones run 10 or 15 times as many.
const ROUNDS: usize = 10;

/// A scenario and its size.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub n: usize,
}

/// One measured cell: value in the scenario's unit, or why there is none.
#[derive(Clone, Debug)]
pub enum Cell {
    /// The best value over the rounds (`value`), every round's, and
    /// whether every round's checks passed.
    Value {
        value: f64,
        rounds: Vec<f64>,
        ok: bool,
    },
    Missing(String),
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--run") {
        let (system, scenario, n) = (&args[i + 1], &args[i + 2], args[i + 3].parse().unwrap_or(0));
        run_here(system, scenario, n);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let rounds: usize = match args.iter().position(|a| a == "--rounds") {
        Some(i) => args.get(i + 1).and_then(|r| r.parse().ok()).unwrap_or(ROUNDS),
        None if quick => 1,
        None => ROUNDS,
    };
    let scale = |full: usize, small: usize| if quick { small } else { full };
    // The short scenarios run many more rounds: a round of all six systems
    // takes 0.1 s in S1b and under a second in S2 of 10,000 and in S4, and
    // their figures are a few wakeups' luck (a stop of 10,000 children took
    // 5 to 27 ms for the floor, 9 to 28 ms for the library; one in ten of
    // the library's S4 rounds takes half as long as the others), so their
    // best rounds need a hundred or so to settle.
    let times = |factor: usize| if quick { rounds } else { factor * rounds };
    let runs = [
        ("S1", scale(100_000, 1_000), rounds),
        ("S1b", scale(200, 10), times(15)),
        ("S2", scale(10_000, 100), times(10)),
        ("S2", scale(100_000, 1_000), rounds),
        ("S4", scale(1_000, 20), times(10)),
    ];
    let mut results = table::Results::default();
    // Round by round across the systems, so a slow minute of the machine
    // lands on every system's rounds alike rather than on one system's.
    for (scenario, n, rounds) in runs {
        for round in 1..=rounds {
            for system in systems::ALL {
                for (name, cell) in run_fresh(system, scenario, n) {
                    results.add(Scenario { name, n }, system, cell);
                }
            }
            if round % 10 == 0 || round == rounds {
                eprintln!("{scenario} {n}: round {round} of {rounds} done");
            }
        }
    }
    let markdown = results.markdown(systems::ALL);
    println!("{markdown}");
    if !quick {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let machine = machine();
        let _ = std::fs::write(here.join("RESULTS.md"), format!("Measured on {machine}.\n\n{markdown}\n"));
        let _ = std::fs::write(here.join("rounds.csv"), results.csv(systems::ALL));
        let title = format!("best of {} to {} fresh processes", rounds, times(15));
        if let Err(error) = chart::draw(&results, systems::ALL, &here.join("peers.svg"), &machine, &title) {
            eprintln!("chart: {error}");
        }
    }
}

/// Runs one system's scenario in a fresh process; its rows (S2 gives S2,
/// S3 and S2mem).
fn run_fresh(system: &str, scenario: &str, n: usize) -> Vec<(&'static str, Cell)> {
    let output = std::env::current_exe()
        .and_then(|exe| Command::new(exe).args(["--run", system, scenario, &n.to_string()]).output());
    let text = match output {
        Ok(output) => String::from_utf8_lossy(&output.stdout).into_owned(),
        Err(error) => return vec![(leak(scenario), Cell::Missing(format!("did not run: {error}")))],
    };
    let mut rows = Vec::new();
    for line in text.lines().filter_map(|l| l.strip_prefix("RESULT ")) {
        let mut fields = line.splitn(4, ' ');
        let (Some(name), Some(value), Some(ok)) = (fields.next(), fields.next(), fields.next()) else { continue };
        let cell = match value {
            "n/a" => Cell::Missing(fields.next().unwrap_or("").to_string()),
            _ => {
                let value = value.parse().unwrap_or(f64::NAN);
                Cell::Value { value, rounds: vec![value], ok: ok == "ok" }
            }
        };
        rows.push((leak(name), cell));
    }
    if rows.is_empty() {
        rows.push((leak(scenario), Cell::Missing("crashed".to_string())));
    }
    rows
}

fn leak(name: &str) -> &'static str {
    match name {
        "S1" => "S1",
        "S1b" => "S1b",
        "S2" => "S2",
        "S3" => "S3",
        "S2mem" => "S2mem",
        "S4" => "S4",
        _ => "?",
    }
}

/// In the fresh process: one scenario of one system, its rows on stdout.
fn run_here(system: &str, scenario: &str, n: usize) {
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() else {
        return;
    };
    // One system per process: its name lives as long as the process.
    let system: &'static str = Box::leak(system.to_string().into_boxed_str());
    // On a worker thread, as a service's own code runs: `block_on` alone
    // would run the scenario on this thread, outside the runtime's workers.
    let on_worker = |job: std::pin::Pin<Box<dyn std::future::Future<Output = Option<Outcome>> + Send>>| {
        runtime.block_on(async move { tokio::spawn(job).await.ok().flatten() })
    };
    let print = |name: &str, outcome: Option<Outcome>, per: fn(&Outcome, usize) -> f64| match outcome {
        Some(outcome) => println!("RESULT {name} {} {}", per(&outcome, n), if outcome.ok { "ok" } else { "FAILED" }),
        None => println!("RESULT {name} n/a - {}", systems::cannot(system, name)),
    };
    let ms = |o: &Outcome, _| o.time.as_secs_f64() * 1e3;
    match scenario {
        "S1" => {
            let outcome = on_worker(Box::pin(systems::s1(system, n as u64)));
            print("S1", outcome, |o, n| n as f64 / o.time.as_secs_f64());
        }
        "S1b" => print("S1b", on_worker(Box::pin(systems::s1b(system, n))), |o, _| o.time.as_secs_f64() * 1e6),
        "S2" => {
            let sampler = outcome::Sampler::start();
            let result = runtime.block_on(async move { tokio::spawn(systems::s2(system, n)).await.ok().flatten() });
            let growth = sampler.peak_growth();
            match result {
                Some((start, stop)) => {
                    print("S2", Some(start.clone()), ms);
                    print("S3", systems::stops_gracefully(system).then_some(stop), ms);
                    let bytes = Outcome::new(Duration::ZERO, start.ok, "");
                    println!("RESULT S2mem {} {}", growth as f64 / n as f64, if bytes.ok { "ok" } else { "FAILED" });
                }
                None => {
                    for name in ["S2", "S3", "S2mem"] {
                        print(name, None, ms);
                    }
                }
            }
        }
        "S4" => print("S4", on_worker(Box::pin(systems::s4(system, n))), ms),
        _ => {}
    }
}

/// The machine, for the chart and the results: CPU model and count.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
        .map_or("an unknown CPU", str::trim)
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cores} cores of {model}, tokio with 2 workers")
}
