//! Model-based tests: random trees driven by random events, against a small
//! reference model of the OTP rules.
//!
//! The model below is written as plainly as possible and shares no code with
//! the library: it keeps each supervisor's children in a list, recomputes
//! everything by scanning it, and writes down every start, stop and exit it
//! predicts. A real tree built from the same shape runs under paused time;
//! after every event its children's own log must equal the model's, and the
//! top supervisor must have ended exactly when the model says so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use supervisor_core::{
    AutoShutdown, ChildSpec, ChildTemplate, Ctx, DynamicHandle, Intensity, Restart, Strategy as Plan, SupervisorHandle,
    SupervisorSpec,
};
use tokio::sync::mpsc;

// ----------------------------------------------------------------------
// Shapes: what a tree is made of.

#[derive(Clone, Debug)]
struct SupShape {
    strategy: Plan,
    max: u32,
    period_ms: u64,
    auto: AutoShutdown,
    children: Vec<ChildShape>,
    kind: Kind,
}

/// What makes a supervisor's children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Its children are its shape's.
    Static,
    /// A partitioned dynamic supervisor: one-for-one over `n` partitions
    /// (`p0`, ...), each a dynamic supervisor with this intensity whose
    /// children, of the template's restart type, are started by key.
    Partitioned { n: usize, template: Restart },
    /// One partition: no children until a keyed start.
    Partition { template: Restart },
}

/// The whole of a partitioned supervisor, as the library builds it: OTP's
/// default intensity over its partitions, each with `max` per `period_ms`.
fn partitioned_whole(n: usize, template: Restart, max: u32, period_ms: u64) -> SupShape {
    let partition = SupShape {
        strategy: Plan::OneForOne,
        max,
        period_ms,
        auto: AutoShutdown::Never,
        children: Vec::new(),
        kind: Kind::Partition { template },
    };
    SupShape {
        strategy: Plan::OneForOne,
        max: 1,
        period_ms: 5000,
        auto: AutoShutdown::Never,
        children: (0..n)
            .map(|_| ChildShape { restart: Restart::Permanent, significant: false, nested: Some(partition.clone()) })
            .collect(),
        kind: Kind::Partitioned { n, template },
    }
}

#[derive(Clone, Debug)]
struct ChildShape {
    restart: Restart,
    significant: bool,
    nested: Option<SupShape>,
}

fn restart_type() -> impl Strategy<Value = Restart> {
    prop_oneof![Just(Restart::Permanent), Just(Restart::Transient), Just(Restart::Temporary)]
}

fn child_shape(depth: u32) -> BoxedStrategy<ChildShape> {
    let worker = (restart_type(), any::<bool>()).prop_map(|(restart, significant)| ChildShape {
        restart,
        significant: significant && restart != Restart::Permanent,
        nested: None,
    });
    if depth == 0 {
        return worker.boxed();
    }
    let nested = (restart_type(), any::<bool>(), sup_shape(depth - 1)).prop_map(|(restart, significant, shape)| {
        ChildShape { restart, significant: significant && restart != Restart::Permanent, nested: Some(shape) }
    });
    let partitioned =
        (restart_type(), 1usize..4, restart_type(), 0u32..3, 1u64..4).prop_map(|(restart, n, template, max, secs)| {
            ChildShape { restart, significant: false, nested: Some(partitioned_whole(n, template, max, secs * 1000)) }
        });
    prop_oneof![3 => worker, 1 => nested, 1 => partitioned].boxed()
}

/// The top supervisor: more room for restarts than nested ones, so that a
/// run goes on long enough to mean something (nested ones still give up
/// and escalate).
fn root_shape() -> BoxedStrategy<SupShape> {
    (sup_shape(2), 4u32..16).prop_map(|(shape, max)| SupShape { max, ..shape }).boxed()
}

fn sup_shape(depth: u32) -> BoxedStrategy<SupShape> {
    let strategy = prop_oneof![Just(Plan::OneForOne), Just(Plan::OneForAll), Just(Plan::RestForOne)];
    let auto = prop_oneof![3 => Just(AutoShutdown::Never), 1 => Just(AutoShutdown::AnySignificant), 1 => Just(AutoShutdown::AllSignificant)];
    (strategy, 0u32..4, 1u64..4, auto, prop::collection::vec(child_shape(depth), 1..4))
        .prop_map(|(strategy, max, secs, auto, mut children)| SupShape {
            strategy,
            max,
            period_ms: secs * 1000,
            auto,
            children: {
                // Significance means nothing, and is rejected, under `never`.
                if auto == AutoShutdown::Never {
                    children.iter_mut().for_each(|c| c.significant = false);
                }
                children
            },
            kind: Kind::Static,
        })
        .boxed()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Return,
    Fail,
    Panic,
}

/// One event. Targets are indices into what the model has at that moment
/// (taken modulo its length), so a shrunk sequence stays meaningful.
#[derive(Clone, Debug)]
enum Step {
    Exit(usize, How),
    Advance(u64),
    Terminate(usize),
    Restart(usize),
    Delete(usize),
    /// A keyed start in a partitioned supervisor: which one, which key.
    StartKeyed(usize, u8),
}

fn step() -> impl Strategy<Value = Step> {
    let how = prop_oneof![Just(How::Return), Just(How::Fail), Just(How::Panic)];
    prop_oneof![
        6 => (any::<usize>(), how).prop_map(|(i, how)| Step::Exit(i, how)),
        3 => prop_oneof![Just(500u64), Just(1000), 1u64..2500].prop_map(Step::Advance),
        1 => any::<usize>().prop_map(Step::Terminate),
        1 => any::<usize>().prop_map(Step::Restart),
        1 => any::<usize>().prop_map(Step::Delete),
        4 => (any::<usize>(), 0u8..12).prop_map(|(i, key)| Step::StartKeyed(i, key)),
    ]
}

// ----------------------------------------------------------------------
// The reference model.

#[derive(Debug)]
struct Sup {
    path: String,
    shape: SupShape,
    nodes: Vec<Node>,
    /// Times of the restarts within the intensity window.
    restarts: Vec<u64>,
}

#[derive(Debug)]
struct Node {
    id: String,
    path: String,
    shape: ChildShape,
    running: bool,
    /// A running nested supervisor's state.
    sup: Option<Sup>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ended {
    Normally,
    Abnormally,
    /// A supervisor gave up: OTP's `shutdown`, which a transient parent
    /// spec does not restart (a permanent one does).
    GaveUp,
}

struct Model {
    now: u64,
    log: Vec<String>,
    root: Option<Sup>,
}

impl Model {
    fn start(shape: &SupShape) -> Model {
        let mut log = Vec::new();
        let root = start_sup("m".to_string(), shape, &mut log);
        Model { now: 0, log, root: Some(root) }
    }

    /// Running workers, by path.
    fn running_workers(&self) -> Vec<String> {
        fn walk(sup: &Sup, out: &mut Vec<String>) {
            for node in &sup.nodes {
                match &node.sup {
                    Some(nested) => walk(nested, out),
                    None if node.running && node.shape.nested.is_none() => out.push(node.path.clone()),
                    None => {}
                }
            }
        }
        let mut out = Vec::new();
        if let Some(root) = &self.root {
            walk(root, &mut out);
        }
        out
    }

    /// Every child of every running supervisor: (supervisor path, child id).
    fn children(&self) -> Vec<(String, String)> {
        fn walk(sup: &Sup, out: &mut Vec<(String, String)>) {
            for node in &sup.nodes {
                out.push((sup.path.clone(), node.id.clone()));
                if let Some(nested) = &node.sup {
                    walk(nested, out);
                }
            }
        }
        let mut out = Vec::new();
        if let Some(root) = &self.root {
            walk(root, &mut out);
        }
        out
    }

    /// A worker ended on its own.
    fn exit(&mut self, path: &str, how: How) {
        self.log.push(format!("exit {path}"));
        let ended = if how == How::Return { Ended::Normally } else { Ended::Abnormally };
        let now = self.now;
        if let Some(root) = self.root.as_mut() {
            if exit_within(root, path, ended, now, &mut self.log).is_some() {
                self.root = None;
            }
        }
    }

    fn terminate(&mut self, sup_path: &str, id: &str) {
        let log = &mut self.log;
        if let Some(sup) = self.root.as_mut().and_then(|root| find_sup(root, sup_path)) {
            if let Some(i) = sup.nodes.iter().position(|n| n.id == id) {
                stop_node(&mut sup.nodes[i], log);
                // A dynamic supervisor forgets a child it terminates.
                let dynamic = matches!(sup.shape.kind, Kind::Partition { .. });
                if sup.nodes[i].shape.restart == Restart::Temporary || dynamic {
                    sup.nodes.remove(i);
                }
            }
        }
    }

    fn restart(&mut self, sup_path: &str, id: &str) {
        let log = &mut self.log;
        if let Some(sup) = self.root.as_mut().and_then(|root| find_sup(root, sup_path)) {
            if let Some(node) = sup.nodes.iter_mut().find(|n| n.id == id && !n.running) {
                start_node(node, log);
            }
        }
    }

    fn delete(&mut self, sup_path: &str, id: &str) {
        if let Some(sup) = self.root.as_mut().and_then(|root| find_sup(root, sup_path)) {
            sup.nodes.retain(|n| n.id != id || n.running);
        }
    }

    /// Running partitioned supervisors, by path.
    fn partitioned(&self) -> Vec<String> {
        fn walk(sup: &Sup, out: &mut Vec<String>) {
            if let Kind::Partitioned { .. } = sup.shape.kind {
                out.push(sup.path.clone());
            }
            for nested in sup.nodes.iter().filter_map(|n| n.sup.as_ref()) {
                walk(nested, out);
            }
        }
        let mut out = Vec::new();
        if let Some(root) = &self.root {
            walk(root, &mut out);
        }
        out
    }

    /// A keyed start: into the key's partition, if it runs and the key is
    /// free there.
    fn start_keyed(&mut self, whole: &str, key: &str) {
        let log = &mut self.log;
        let Some(sup) = self.root.as_mut().and_then(|root| find_sup(root, whole)) else { return };
        let Kind::Partitioned { n, template } = sup.shape.kind else { return };
        let id = format!("p{}", partition_of(key, n));
        let Some(partition) = sup.nodes.iter_mut().find(|p| p.id == id).and_then(|p| p.sup.as_mut()) else { return };
        if partition.nodes.iter().any(|c| c.id == key) {
            return;
        }
        let shape = ChildShape { restart: template, significant: false, nested: None };
        let path = format!("{}/{key}", partition.path);
        let mut node = Node { id: key.to_string(), path, shape, running: false, sup: None };
        start_node(&mut node, log);
        partition.nodes.push(node);
    }

    fn shutdown(&mut self) {
        if let Some(root) = self.root.take() {
            stop_all(root, &mut self.log);
        }
    }
}

fn start_sup(path: String, shape: &SupShape, log: &mut Vec<String>) -> Sup {
    let nodes = shape
        .children
        .iter()
        .enumerate()
        .map(|(i, child)| Node {
            id: child_id(shape, i),
            path: format!("{path}/{}", child_id(shape, i)),
            shape: child.clone(),
            running: false,
            sup: None,
        })
        .collect();
    let mut sup = Sup { path, shape: shape.clone(), nodes, restarts: Vec::new() };
    for node in &mut sup.nodes {
        start_node(node, log);
    }
    sup
}

/// Partitions are `p0`, `p1`, ...; other children `c0`, `c1`, ...
fn child_id(shape: &SupShape, i: usize) -> String {
    match shape.kind {
        Kind::Partitioned { .. } => format!("p{i}"),
        _ => format!("c{i}"),
    }
}

/// FNV-1a of the key, as the library's routing promises.
fn partition_of(key: &str, n: usize) -> usize {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (hash % n as u64) as usize
}

fn start_node(node: &mut Node, log: &mut Vec<String>) {
    match &node.shape.nested {
        None => log.push(format!("start {}", node.path)),
        Some(shape) => node.sup = Some(start_sup(node.path.clone(), shape, log)),
    }
    node.running = true;
}

fn stop_node(node: &mut Node, log: &mut Vec<String>) {
    if !node.running {
        return;
    }
    match node.sup.take() {
        Some(sup) => stop_all(sup, log),
        None => log.push(format!("stop {}", node.path)),
    }
    node.running = false;
}

/// A supervisor that ends stops its children last to first.
fn stop_all(mut sup: Sup, log: &mut Vec<String>) {
    for node in sup.nodes.iter_mut().rev() {
        stop_node(node, log);
    }
}

fn find_sup<'a>(sup: &'a mut Sup, path: &str) -> Option<&'a mut Sup> {
    if sup.path == path {
        return Some(sup);
    }
    sup.nodes.iter_mut().filter_map(|n| n.sup.as_mut()).find_map(|nested| find_sup(nested, path))
}

/// Applies the exit of the child at `path` somewhere below `sup`; returns
/// how `sup` itself ended, if it did.
fn exit_within(sup: &mut Sup, path: &str, ended: Ended, now: u64, log: &mut Vec<String>) -> Option<Ended> {
    if let Some(i) = sup.nodes.iter().position(|n| n.path == path) {
        return child_ended(sup, i, ended, now, log);
    }
    let i = sup.nodes.iter().position(|n| path.starts_with(&format!("{}/", n.path)))?;
    let nested = sup.nodes[i].sup.as_mut()?;
    let nested_ended = exit_within(nested, path, ended, now, log)?;
    child_ended(sup, i, nested_ended, now, log)
}

/// OTP's rules for child `i` of `sup`, which ended on its own.
fn child_ended(sup: &mut Sup, i: usize, ended: Ended, now: u64, log: &mut Vec<String>) -> Option<Ended> {
    sup.nodes[i].running = false;
    sup.nodes[i].sup = None;
    let shape = sup.nodes[i].shape.clone();
    let restarts = match shape.restart {
        Restart::Permanent => true,
        Restart::Transient => ended == Ended::Abnormally,
        Restart::Temporary => false,
    };
    if !restarts {
        // A dynamic supervisor forgets a child it does not restart.
        if shape.restart == Restart::Temporary || matches!(sup.shape.kind, Kind::Partition { .. }) {
            sup.nodes.remove(i);
        }
        let others_running = sup.nodes.iter().any(|n| n.shape.significant && n.running);
        let shut_down = shape.significant
            && match sup.shape.auto {
                AutoShutdown::Never => false,
                AutoShutdown::AnySignificant => true,
                AutoShutdown::AllSignificant => !others_running,
            };
        if shut_down {
            stop_all_here(sup, log);
            return Some(Ended::Normally);
        }
        return None;
    }
    // Intensity: keep the restarts within the period, add this one.
    let period = sup.shape.period_ms;
    sup.restarts.retain(|&t| t + period >= now);
    sup.restarts.push(now);
    if sup.restarts.len() > sup.shape.max as usize {
        stop_all_here(sup, log);
        return Some(Ended::GaveUp);
    }
    let range: Vec<usize> = match sup.shape.strategy {
        Plan::OneForOne => vec![i],
        Plan::OneForAll => (0..sup.nodes.len()).collect(),
        Plan::RestForOne => (i..sup.nodes.len()).collect(),
    };
    let ids: Vec<String> = range.iter().map(|&j| sup.nodes[j].id.clone()).collect();
    for &j in range.iter().rev() {
        if j != i {
            stop_node(&mut sup.nodes[j], log);
        }
    }
    sup.nodes.retain(|n| !(ids.contains(&n.id) && n.shape.restart == Restart::Temporary && !n.running));
    for id in &ids {
        if let Some(node) = sup.nodes.iter_mut().find(|n| &n.id == id) {
            start_node(node, log);
        }
    }
    None
}

fn stop_all_here(sup: &mut Sup, log: &mut Vec<String>) {
    for node in sup.nodes.iter_mut().rev() {
        stop_node(node, log);
    }
}

// ----------------------------------------------------------------------
// The real tree.

#[derive(Clone, Default)]
struct Real {
    log: Arc<Mutex<Vec<String>>>,
    controls: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<How>>>>,
}

impl Real {
    fn worker(&self, id: String) -> ChildSpec {
        let real = self.clone();
        ChildSpec::worker(id, move |ctx: Ctx| real.clone().run(ctx))
    }

    /// The partitions' children: the same scripted worker, by key.
    fn template(&self, restart: Restart) -> ChildTemplate<String> {
        let real = self.clone();
        ChildTemplate::new(move |ctx: Ctx, _key: String| real.clone().run(ctx)).restart(restart)
    }

    /// A scripted worker: logs its start, then exits as told or stops
    /// when asked.
    fn run(self, ctx: Ctx) -> impl std::future::Future<Output = Result<(), String>> + Send + 'static {
        let real = self;
        {
            async move {
                let path = ctx.path().to_string();
                let (tx, mut rx) = mpsc::unbounded_channel();
                real.controls.lock().unwrap().insert(path.clone(), tx);
                real.log.lock().unwrap().push(format!("start {path}"));
                tokio::select! {
                    how = rx.recv() => {
                        real.log.lock().unwrap().push(format!("exit {path}"));
                        match how {
                            Some(How::Fail) => Err("model: failed".to_string()),
                            Some(How::Panic) => panic!("model: panicked"),
                            _ => Ok(()),
                        }
                    }
                    () = ctx.cancelled() => {
                        real.log.lock().unwrap().push(format!("stop {path}"));
                        Ok(())
                    }
                }
            }
        }
    }

    fn spec(&self, name: &str, shape: &SupShape) -> SupervisorSpec {
        let children = shape.children.iter().enumerate().map(|(i, child)| {
            let id = format!("c{i}");
            let spec = match &child.nested {
                None => self.worker(id),
                Some(SupShape { kind: Kind::Partitioned { n, template }, children, .. }) => {
                    let partition = children[0].nested.as_ref().unwrap();
                    let spec = SupervisorSpec::dynamic(id, self.template(*template))
                        .partitions(*n)
                        .intensity(Intensity::new(partition.max, Duration::from_millis(partition.period_ms)))
                        .build()
                        .unwrap();
                    ChildSpec::supervisor(spec)
                }
                Some(nested) => ChildSpec::supervisor(self.spec(&id, nested)),
            };
            spec.restart(child.restart).significant(child.significant)
        });
        SupervisorSpec::builder(name)
            .strategy(shape.strategy)
            .intensity(Intensity::new(shape.max, Duration::from_millis(shape.period_ms)))
            .auto_shutdown(shape.auto)
            .children(children)
            .build()
            .unwrap()
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

async fn settle() {
    for _ in 0..300 {
        tokio::task::yield_now().await;
    }
}

fn nested(handle: &SupervisorHandle, sup_path: &str) -> SupervisorHandle {
    // Model paths start with the root's name, "m".
    handle.nested(sup_path.strip_prefix("m").unwrap_or("").trim_start_matches('/'))
}

async fn run(shape: SupShape, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let real = Real::default();
    let mut model = Model::start(&shape);
    let running = real.spec("m", &shape).start().await.unwrap();
    let handle = running.handle();
    // One handle per partitioned supervisor, kept: its routes outlive the
    // partitions' restarts.
    let mut dynamic: HashMap<String, DynamicHandle<String>> = HashMap::new();
    settle().await;
    prop_assert_eq!(real.log(), model.log.clone(), "after the start");

    for (n, step) in steps.into_iter().enumerate() {
        if model.root.is_none() {
            break;
        }
        match step {
            Step::Exit(pick, how) => {
                let workers = model.running_workers();
                if workers.is_empty() {
                    continue;
                }
                let path = workers[pick % workers.len()].clone();
                let control = real.controls.lock().unwrap().get(&path).cloned();
                prop_assert!(control.is_some_and(|c| c.send(how).is_ok()), "{path} is not running in the real tree");
                model.exit(&path, how);
            }
            Step::Advance(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                model.now += ms;
            }
            Step::StartKeyed(pick, key) => {
                let wholes = model.partitioned();
                if wholes.is_empty() {
                    continue;
                }
                let whole = wholes[pick % wholes.len()].clone();
                let key = format!("k{key}");
                let conns = dynamic.entry(whole.clone()).or_insert_with(|| nested(&handle, &whole).dynamic());
                let _ = conns.start_child_keyed(&key, key.clone()).await;
                model.start_keyed(&whole, &key);
            }
            Step::Terminate(pick) | Step::Restart(pick) | Step::Delete(pick) => {
                let children = model.children();
                if children.is_empty() {
                    continue;
                }
                let (sup_path, id) = children[pick % children.len()].clone();
                let target = nested(&handle, &sup_path);
                match step {
                    Step::Terminate(_) => {
                        let _ = target.terminate_child(&id).await;
                        model.terminate(&sup_path, &id);
                    }
                    Step::Restart(_) => {
                        let _ = target.restart_child(&id).await;
                        model.restart(&sup_path, &id);
                    }
                    _ => {
                        let _ = target.delete_child(&id).await;
                        model.delete(&sup_path, &id);
                    }
                }
            }
        }
        settle().await;
        prop_assert_eq!(canonical(real.log()), canonical(model.log.clone()), "after step {}", n);
        prop_assert_eq!(handle.is_finished(), model.root.is_none(), "whether the top supervisor ended, step {}", n);
    }
    let _ = running.shutdown().await;
    model.shutdown();
    prop_assert_eq!(canonical(real.log()), canonical(model.log.clone()), "after shutdown");
    Ok(())
}

/// The log with each run of stops inside one partitioned supervisor in
/// path order: its partitions, and a partition's children, stop together,
/// so their order among themselves is not a rule.
fn canonical(mut log: Vec<String>) -> Vec<String> {
    let whole_of = |line: &str| -> Option<String> {
        let path = line.strip_prefix("stop ")?;
        let at = path.find("/p").filter(|&i| path[i + 2..].starts_with(|c: char| c.is_ascii_digit()))?;
        Some(path[..at].to_string())
    };
    let mut i = 0;
    while i < log.len() {
        let Some(whole) = whole_of(&log[i]) else {
            i += 1;
            continue;
        };
        let mut j = i;
        while j < log.len() && whole_of(&log[j]).as_deref() == Some(whole.as_str()) {
            j += 1;
        }
        log[i..j].sort();
        i = j;
    }
    log
}

proptest! {
    // 96 cases by default; PROPTEST_CASES=5000 for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(96),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_real_tree_does_what_the_model_says(shape in root_shape(), steps in prop::collection::vec(step(), 0..40)) {
        quiet_panics();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime.block_on(run(shape, steps))?;
    }
}

// ----------------------------------------------------------------------
// Pinned scenarios. Each was the shrunk counterexample proptest found when
// one rule of the model was broken on purpose, so each tells that rule
// from its nearest wrong version. They run every time, whatever the seed.

fn worker(restart: Restart, significant: bool) -> ChildShape {
    ChildShape { restart, significant, nested: None }
}

fn nested_sup(sup: SupShape) -> ChildShape {
    ChildShape { restart: Restart::Permanent, significant: false, nested: Some(sup) }
}

fn sup(strategy: Plan, max: u32, auto: AutoShutdown, children: Vec<ChildShape>) -> SupShape {
    SupShape { strategy, max, period_ms: 1000, auto, children, kind: Kind::Static }
}

fn pinned(shape: SupShape, steps: Vec<Step>) {
    quiet_panics();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    if let Err(error) = runtime.block_on(run(shape, steps)) {
        panic!("{error}");
    }
}

const PERMANENT: Restart = Restart::Permanent;
const NEVER: AutoShutdown = AutoShutdown::Never;

#[test]
fn pinned_rest_for_one_restarts_only_the_later_children() {
    let shape = sup(Plan::RestForOne, 4, NEVER, vec![worker(PERMANENT, false), worker(PERMANENT, false)]);
    pinned(shape, vec![Step::Exit(1, How::Return)]);
}

#[test]
fn pinned_one_for_all_restarts_every_sibling() {
    let inner = sup(Plan::OneForAll, 1, NEVER, vec![worker(PERMANENT, false), worker(PERMANENT, false)]);
    pinned(sup(Plan::OneForOne, 4, NEVER, vec![nested_sup(inner)]), vec![Step::Exit(0, How::Return)]);
}

#[test]
fn pinned_a_group_restart_forgets_a_temporary_sibling() {
    let inner = sup(Plan::OneForAll, 1, NEVER, vec![worker(Restart::Temporary, false), worker(PERMANENT, false)]);
    pinned(sup(Plan::OneForOne, 4, NEVER, vec![nested_sup(inner)]), vec![Step::Exit(1, How::Return)]);
}

#[test]
fn pinned_a_transient_child_that_returns_is_not_restarted() {
    pinned(sup(Plan::OneForOne, 4, NEVER, vec![worker(Restart::Transient, false)]), vec![Step::Exit(0, How::Return)]);
}

#[test]
fn pinned_all_significant_waits_for_the_last_significant_child() {
    let significant = || worker(Restart::Transient, true);
    let low = sup(Plan::OneForOne, 0, AutoShutdown::AllSignificant, vec![significant(), significant()]);
    let mid = sup(Plan::OneForOne, 0, NEVER, vec![nested_sup(low)]);
    pinned(sup(Plan::OneForOne, 4, NEVER, vec![nested_sup(mid)]), vec![Step::Exit(0, How::Return)]);
}

#[test]
fn pinned_a_restart_exactly_one_period_ago_still_counts() {
    let inner = sup(Plan::OneForOne, 1, NEVER, vec![worker(Restart::Temporary, false), worker(PERMANENT, false)]);
    let steps =
        vec![Step::Exit(1, How::Return), Step::Advance(1000), Step::Exit(0, How::Return), Step::Exit(0, How::Return)];
    pinned(sup(Plan::OneForOne, 4, NEVER, vec![nested_sup(inner)]), steps);
}

/// The children's own panics are part of the test; keep them off stderr.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
            if !message.starts_with("model:") {
                default(info);
            }
        }));
    });
}
