//! The library against a hand-written raw-tokio floor: the same scenarios,
//! in the same process, so every figure is a ratio that holds on a noisy
//! machine.
//!
//! ```text
//! cargo run --release -p bench            # full sizes (BENCHMARKS.md)
//! cargo run --release -p bench -- --quick # tiny sizes, seconds
//! ```

mod churn;
mod floor;
mod library;
mod m1;
mod report;
mod rss;
mod soak;

// M1 times the tree macro's expansion by calling it directly: its sources
// are compiled in here, since a proc-macro crate exports only macros.
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/child/mod.rs"]
mod child;
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/duration.rs"]
mod duration;
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/errors.rs"]
mod errors;
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/fields.rs"]
mod fields;
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/options.rs"]
mod options;
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/singleton.rs"]
mod singleton;
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/suggest.rs"]
mod suggest;
#[allow(dead_code, unreachable_pub, clippy::all)]
#[path = "../../supervisor-macros/src/tree/mod.rs"]
mod tree;

use std::time::Duration;

use report::{Better, Row};

const BENCH_WORKERS: usize = 2;

/// Sizes of one run.
struct Sizes {
    restarts: u64,
    latency_samples: usize,
    start_stop: [usize; 2],
    group: usize,
    group_reps: usize,
    macro_children: usize,
    churn: u64,
}

const FULL: Sizes = Sizes {
    restarts: 100_000,
    latency_samples: 200,
    start_stop: [10_000, 100_000],
    group: 1_000,
    group_reps: 100,
    macro_children: 1_000,
    churn: 1_000_000,
};

const QUICK: Sizes = Sizes {
    restarts: 2_000,
    latency_samples: 20,
    start_stop: [1_000, 10_000],
    group: 100,
    group_reps: 10,
    macro_children: 100,
    churn: 10_000,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--rss") {
        // A child process measuring one start's memory: `--rss library|floor N`.
        let (who, n) = (args.get(i + 1).cloned().unwrap_or_default(), args.get(i + 2).and_then(|n| n.parse().ok()));
        match n {
            Some(n) => rss::measure_here(&who, n),
            None => eprintln!("usage: bench --rss library|floor N"),
        }
        return;
    }
    let sizes = if args.iter().any(|a| a == "--quick") { QUICK } else { FULL };
    if args.iter().any(|a| a == "--soak-memory") {
        if let Ok(runtime) =
            tokio::runtime::Builder::new_multi_thread().worker_threads(BENCH_WORKERS).enable_all().build()
        {
            on_worker(&runtime, soak::run());
        }
        return;
    }
    if args.iter().any(|a| a == "--profile-start") {
        // The library's start and stop of 100,000 children, five times, alone:
        // for `perf record`.
        if let Ok(runtime) =
            tokio::runtime::Builder::new_multi_thread().worker_threads(BENCH_WORKERS).enable_all().build()
        {
            for _ in 0..5 {
                let (start, stop) = on_worker(&runtime, library::start_stop(100_000));
                println!("start {start:?} stop {stop:?}");
            }
        }
        return;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(BENCH_WORKERS).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot build a tokio runtime: {error}");
            return;
        }
    };
    let mut rows = Vec::new();
    // `--only S1` runs one scenario (with its floor), for profiling.
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let runs = |scenario: &str| only.as_deref().is_none_or(|o| o == scenario);
    let mut emit = |row: Row| {
        println!("{}", row.line());
        rows.push(row);
    };

    // Both sides run in a spawned task, on a worker thread, as a supervisor
    // loop does: driving the floor from `block_on`'s thread would charge it
    // a cross-thread wake per operation.

    // Each scenario runs library and floor alternately, `ROUNDS` times, and
    // keeps each side's best: first-touch page faults and a busy neighbour
    // then weigh on neither side more than the other.
    let restarts = |name: &'static str, lib: Duration, flo: Duration| {
        let n = sizes.restarts;
        Row::throughput(name, n as usize, n as f64 / lib.as_secs_f64(), n as f64 / flo.as_secs_f64(), "restarts/s")
    };
    let n = sizes.restarts;
    if runs("S1") {
        let (lib, flo) = best(&runtime, || library::restarts(n), || floor::restarts(n));
        emit(restarts("S1", lib, flo));
    }
    if runs("S1c") {
        let (lib, flo) = best(&runtime, || library::restarts_declared(n), || floor::restarts(n));
        emit(restarts("S1c", lib, flo));
    }
    if runs("S1h") {
        let (lib, flo) = best(&runtime, || library::restarts_with_helper(n), || floor::restarts_with_helper(n));
        emit(restarts("S1h", lib, flo));
    }

    if runs("S1b") {
        let samples = sizes.latency_samples;
        let (lib, flo) = best(&runtime, || library::restart_latency(samples), || floor::restart_latency(samples));
        emit(Row::micros("S1b", samples, lib, flo));
    }

    if runs("S2") {
        let mut times = Vec::new();
        for n in sizes.start_stop {
            let (lib_start, flo_start) = best(
                &runtime,
                || async move { library::start_stop(n).await.0 },
                || async move { floor::start_stop(n).await.0 },
            );
            let (lib_stop, flo_stop) = best(
                &runtime,
                || async move { library::start_stop(n).await.1 },
                || async move { floor::start_stop(n).await.1 },
            );
            emit(Row::time("S2", n, lib_start, flo_start));
            emit(Row::time("S3", n, lib_stop, flo_stop));
            times.push((n, (lib_start, flo_start), (lib_stop, flo_stop)));
        }
        let big = sizes.start_stop[1];
        let (lib, flo) =
            best(&runtime, || library::start_declared(big), || async move { floor::start_stop(big).await.0 });
        emit(Row::time("S2c", big, lib, flo));
        let (lib_rss, floor_rss) = (rss::per_child("library", big), rss::per_child("floor", big));
        emit(Row::new("S2mem", big, lib_rss, floor_rss, "bytes/child", Better::Lower));
        let (lib_rss, floor_rss) = (rss::per_child("library-helper", big), rss::per_child("floor-helper", big));
        emit(Row::new("S2hmem", big, lib_rss, floor_rss, "bytes/child", Better::Lower));
        let (lib_rss, floor_rss) = (rss::per_child("library-declared", big), rss::per_child("floor", big));
        emit(Row::new("S2cmem", big, lib_rss, floor_rss, "bytes/child", Better::Lower));
        // Growth from the small size to the large one, library and floor:
        // linear is 10x; the floor shows what this machine's caches add.
        if let [(_, start0, stop0), (n1, start1, stop1)] = times[..] {
            let growth = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
            emit(Row::new("S2scale", n1, growth(start0.0, start1.0), growth(start0.1, start1.1), "x", Better::Lower));
            emit(Row::new("S3scale", n1, growth(stop0.0, stop1.0), growth(stop0.1, stop1.1), "x", Better::Lower));
        }
    }

    if runs("S4") {
        let (children, reps) = (sizes.group, sizes.group_reps);
        let (lib, flo) =
            best(&runtime, || library::group_restart(children, reps), || floor::group_restart(children, reps));
        emit(Row::time("S4", children, lib, flo));
    }
    if runs("S4c") {
        let (children, reps) = (sizes.group, sizes.group_reps);
        let (lib, flo) =
            best(&runtime, || library::group_restart_declared(children, reps), || floor::group_restart(children, reps));
        emit(Row::time("S4c", children, lib, flo));
    }

    if runs("T1") {
        // Against which_children, not the floor: what the snapshot adds.
        let n = sizes.start_stop[1];
        let (tree, list) = on_worker(&runtime, library::snapshot_vs_listing(n, 5));
        emit(Row::new(
            "T1",
            n,
            tree.as_secs_f64() * 1e3,
            list.as_secs_f64() * 1e3,
            "ms (tree / which_children)",
            Better::Lower,
        ));
    }

    if runs("P1") {
        // Churn through one loop and through 2 partitions, keyed and not,
        // against raw spawns: every variant in turn, the best of each.
        use churn::Through;
        let n = sizes.churn;
        let variants = [
            Through::Spawn,
            Through::Library { partitions: 0, keyed: false },
            Through::Library { partitions: 2, keyed: false },
            Through::Library { partitions: 0, keyed: true },
            Through::Library { partitions: 2, keyed: true },
        ];
        // `P1_PARTITIONS=1` puts that many partitions in the partitioned variants.
        let p: usize = std::env::var("P1_PARTITIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
        let variants = variants.map(|v| match v {
            Through::Library { partitions: 2, keyed } => Through::Library { partitions: p, keyed },
            other => other,
        });
        let mut times = [Duration::MAX; 5];
        // `P1_ONLY=3` runs one variant (by its index above), for profiling.
        let only: Option<usize> = std::env::var("P1_ONLY").ok().and_then(|v| v.parse().ok());
        for _ in 0..3 {
            for (i, (time, through)) in times.iter_mut().zip(variants).enumerate() {
                if only.is_none_or(|o| o == i) {
                    *time = (*time).min(on_worker(&runtime, churn::churn(n, through)));
                }
            }
        }
        let per_s = |d: Duration| n as f64 / d.as_secs_f64();
        let [spawn, one, two, one_keyed, two_keyed] = times;
        emit(Row::throughput("P1", n as usize, per_s(one), per_s(spawn), "children/s (one loop / spawn)"));
        emit(Row::throughput("P1p2", n as usize, per_s(two), per_s(spawn), "children/s (2 partitions / spawn)"));
        emit(Row::throughput("P1part", n as usize, per_s(two), per_s(one), "x (2 partitions / one loop)"));
        emit(Row::new(
            "P1key",
            n as usize,
            one_keyed.as_secs_f64(),
            one.as_secs_f64(),
            "x (keyed / unkeyed time)",
            Better::Lower,
        ));
        emit(Row::new(
            "P1p2key",
            n as usize,
            two_keyed.as_secs_f64(),
            two.as_secs_f64(),
            "x (keyed / unkeyed time)",
            Better::Lower,
        ));
    }

    if runs("M1") {
        let (lib, flo) = m1::expand_vs_parse(sizes.macro_children);
        emit(Row::time("M1", sizes.macro_children, lib, flo));
    }

    println!();
    println!("{}", report::table(&rows));
}

const ROUNDS: usize = 5;

/// The best (shortest) time of each side over `ROUNDS` alternating runs.
fn best<L, F, LF, FF>(runtime: &tokio::runtime::Runtime, library: L, floor: F) -> (Duration, Duration)
where
    L: Fn() -> LF,
    F: Fn() -> FF,
    LF: std::future::Future<Output = Duration> + Send + 'static,
    FF: std::future::Future<Output = Duration> + Send + 'static,
{
    let (mut lib, mut flo) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        lib = lib.min(on_worker(runtime, library()));
        flo = flo.min(on_worker(runtime, floor()));
    }
    (lib, flo)
}

/// Runs a scenario in a spawned task, on a worker thread.
fn on_worker<T: Send + Default + 'static>(
    runtime: &tokio::runtime::Runtime,
    scenario: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    runtime.block_on(async { tokio::spawn(scenario).await.unwrap_or_default() })
}
