//! tracing: every child incarnation runs in a span with its path and
//! generation; lifecycle events are structured, at sensible levels.
//!
//! One global subscriber captures everything (per-thread subscribers race
//! on tracing's process-wide callsite cache when tests run in parallel);
//! each test reads only the lines of its own tree.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::{Action, Lab};
use supervisor_core::{ChildSpec, Ctx, Event, Intensity, SupervisorSpec};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every line logged so far that mentions `tree`.
fn lines_of(tree: &str) -> Vec<String> {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    let captured = CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    });
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    text.lines().filter(|l| l.contains(tree)).map(str::to_string).collect()
}

#[tokio::test(start_paused = true)]
async fn a_childs_own_log_line_carries_its_path_and_generation() {
    lines_of("spans");
    let child = ChildSpec::worker("ingest", |ctx: Ctx| async move {
        tracing::info!(batch = 7, "pulled a batch");
        if ctx.generation() == 0 {
            return Err("first run fails");
        }
        ctx.cancelled().await;
        Ok(())
    });
    let workers = SupervisorSpec::builder("workers").child(child).build().unwrap();
    let running = common::start(SupervisorSpec::builder("spans").child(ChildSpec::supervisor(workers))).await;
    common::settle().await;
    running.shutdown().await.unwrap();

    let lines = lines_of("spans/workers/ingest");
    let own: Vec<_> = lines.iter().filter(|l| l.contains("pulled a batch")).collect();
    assert_eq!(own.len(), 2, "{lines:#?}");
    assert!(own[0].contains("child{path=spans/workers/ingest generation=0}: pulled a batch batch=7"), "{}", own[0]);
    assert!(own[1].contains("child{path=spans/workers/ingest generation=1}: pulled a batch batch=7"), "{}", own[1]);
    assert!(
        lines.iter().any(|l| l.starts_with(" WARN")
            && l.contains("child exited path=spans/workers/ingest generation=0 reason=failed: first run fails")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(" INFO")
            && l.contains("restart scheduled path=spans/workers/ingest generation=1 delay_ms=0")),
        "{lines:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn intensity_exceeded_is_an_error_level_event() {
    lines_of("gives_up");
    let lab = Lab::new();
    let mut running = common::start(
        SupervisorSpec::builder("gives_up")
            .intensity(Intensity::new(0, std::time::Duration::from_secs(1)))
            .child(lab.worker("w")),
    )
    .await;
    let mut events = running.subscribe();
    lab.tell("w", Action::Fail("boom")).await;
    assert!(running.wait().await.is_err());
    assert!(matches!(events.recv().await, Ok(Event::ChildExited { .. })));
    assert!(matches!(events.recv().await, Ok(Event::IntensityExceeded { max: 0, .. })));
    let lines = lines_of("gives_up");
    assert!(
        lines.iter().any(|l| l.starts_with("ERROR")
            && l.contains("restart intensity exceeded supervisor=gives_up max=0 period_ms=1000")),
        "{lines:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_nested_childs_lines_name_it_once_and_lifecycle_events_sit_in_their_supervisors_span() {
    lines_of("once");
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("inner").child(lab.worker("leaf")).build().unwrap();
    let running = common::start(SupervisorSpec::builder("once").child(ChildSpec::supervisor(inner))).await;
    lab.tell("leaf", Action::Fail("boom")).await;
    common::settle().await;
    running.shutdown().await.unwrap();
    let lines = lines_of("once/");
    let leaf_exit = lines.iter().find(|l| l.contains("child exited path=once/inner/leaf")).expect("an exit line");
    // The leaf's exit is its supervisor's event: in that supervisor's span,
    // which names it once.
    assert!(leaf_exit.contains("child{path=once/inner generation=0}: child exited"), "{leaf_exit}");
    assert_eq!(leaf_exit.matches("child{").count(), 1, "{leaf_exit}");
    let inner_started = lines.iter().find(|l| l.contains("child started path=once/inner ")).expect("a start line");
    assert!(inner_started.contains("supervisor{path=once}: child started"), "{inner_started}");
}
