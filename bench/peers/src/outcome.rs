//! What one run measured, and whether its checks passed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A run's time and the verdict of its correctness checks.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub time: Duration,
    pub ok: bool,
    pub note: String,
}

impl Outcome {
    pub fn new(time: Duration, ok: bool, note: impl Into<String>) -> Outcome {
        Outcome { time, ok, note: note.into() }
    }
}

/// Incarnations alive at once, and the most ever seen: more than one is
/// two live incarnations of one child.
#[derive(Default, Debug)]
pub struct Alive {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl Alive {
    pub fn up(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }

    pub fn down(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }

    pub fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }
}

/// The median of some durations.
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Samples this process's resident memory every millisecond, on a thread
/// of its own, for the peak a scenario reached.
pub struct Sampler {
    before: usize,
    peak: std::sync::Arc<AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Resident set size, in bytes (Linux).
pub fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<usize>().ok()).unwrap_or(0) * 4096
}

impl Sampler {
    pub fn start() -> Sampler {
        let before = resident_bytes();
        let peak = std::sync::Arc::new(AtomicUsize::new(before));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(resident_bytes(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        Sampler { before, peak, stop, thread: Some(thread) }
    }

    /// The peak growth over the start, in bytes.
    pub fn peak_growth(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak.load(Ordering::Relaxed).saturating_sub(self.before)
    }
}
