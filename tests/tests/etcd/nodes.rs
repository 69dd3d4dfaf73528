//! Replicas of a tree with a singleton child, each its own OS process
//! (`singleton_node`), and what they printed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One line a node printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) node: usize,
    pub(crate) ms: u128,
    pub(crate) kind: String,
    pub(crate) token: u64,
    pub(crate) outcome: String,
}

/// One run of the singleton: `[begin, end]` in wall-clock ms, with its
/// token; `end` is `None` if the node never said (killed).
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) node: usize,
    pub(crate) token: u64,
    pub(crate) begin: u128,
    pub(crate) end: Option<u128>,
}

/// Replicas, killed when dropped.
pub(crate) struct Nodes {
    pub(crate) processes: Vec<Child>,
    pub(crate) lines: Arc<Mutex<Vec<Line>>>,
}

/// The wall clock, in ms, as the nodes stamp their lines.
pub(crate) fn now_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// Sends a signal to a process, through `kill`.
pub(crate) fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
}

impl Nodes {
    /// Starts `count` replicas competing for `key`.
    pub(crate) fn start(count: usize, endpoints: &[String], key: &str, ttl_ms: u64, hold_ms: u64) -> Nodes {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let processes = (0..count)
            .map(|node| {
                let mut child = Command::new(env!("CARGO_BIN_EXE_singleton_node"))
                    .args([endpoints.join(","), key.to_owned(), ttl_ms.to_string(), hold_ms.to_string()])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("the node starts");
                let stdout = child.stdout.take().expect("its stdout");
                let lines = lines.clone();
                std::thread::spawn(move || {
                    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                        if let Some(line) = parse(node, &line) {
                            lines.lock().unwrap().push(line);
                        }
                    }
                });
                child
            })
            .collect();
        Nodes { processes, lines }
    }

    pub(crate) fn lines(&self) -> Vec<Line> {
        self.lines.lock().unwrap().clone()
    }

    /// Every run so far, in order of their beginning.
    pub(crate) fn runs(&self) -> Vec<Run> {
        let lines = self.lines();
        let mut runs: Vec<Run> = lines
            .iter()
            .filter(|l| l.kind == "begin")
            .map(|b| {
                let end = lines.iter().find(|e| e.kind == "end" && e.node == b.node && e.token == b.token);
                Run { node: b.node, token: b.token, begin: b.ms, end: end.map(|e| e.ms) }
            })
            .collect();
        runs.sort_by_key(|r| (r.begin, r.token));
        runs
    }

    /// The run under way, if any, and which node has it.
    pub(crate) fn holder(&self) -> Option<Run> {
        self.runs().into_iter().rev().find(|r| r.end.is_none())
    }

    /// The run with `token`, if it has begun.
    pub(crate) fn run(&self, token: u64) -> Option<Run> {
        self.runs().into_iter().find(|r| r.token == token)
    }

    /// The run under way once it is steady: etcd has taken three of its
    /// fenced writes, so the store answers and the holder has settled.
    pub(crate) async fn steady_holder(&self, limit: Duration) -> Option<Run> {
        let steady = |run: &Run| {
            let lines = self.lines();
            let writes = lines.iter().filter(|l| l.token == run.token && l.kind == "write" && l.outcome == "ok");
            writes.count() >= 3
        };
        self.wait_for(limit, |_| self.holder().is_some_and(|run| steady(&run))).await;
        self.holder().filter(|run| steady(run))
    }

    /// Waits until `done` holds of the runs, for at most `limit`.
    pub(crate) async fn wait_for(&self, limit: Duration, done: impl Fn(&[Run]) -> bool) -> Vec<Run> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let runs = self.runs();
            if done(&runs) || tokio::time::Instant::now() >= deadline {
                return runs;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) fn signal(&self, node: usize, signal_name: &str) {
        signal(self.processes[node].id(), signal_name);
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for process in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

fn parse(node: usize, line: &str) -> Option<Line> {
    let mut words = line.split_whitespace();
    let ms = words.next()?.parse().ok()?;
    let kind = words.next()?.to_owned();
    let token = words.next()?.parse().ok()?;
    let outcome = words.next().unwrap_or("").to_owned();
    Some(Line { node, ms, kind, token, outcome })
}

/// Runs of different nodes never overlap, and each run's token is
/// greater than the one before. A killed node's run ends when it was
/// killed (`killed`: node and ms).
pub(crate) fn assert_one_holder_at_a_time(runs: &[Run], killed: &[(usize, u128)]) {
    let end = |run: &Run| {
        run.end.or_else(|| killed.iter().find(|(node, _)| *node == run.node).map(|(_, at)| *at)).unwrap_or(u128::MAX)
    };
    for pair in runs.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        assert!(after.token > before.token, "tokens must increase: {runs:?}");
        assert!(end(before) <= after.begin, "two holders at once: {before:?} and {after:?} in {runs:?}");
    }
}
