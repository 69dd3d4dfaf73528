//! Dynamic supervisors: children from a template, started with arguments
//! at run time, bounded by max_children, stopped concurrently.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{alive_tasks_return_to, settle};
use supervisor_core::{ChildTemplate, ControlError, Ctx, ExitReason, Intensity, Restart, Shutdown, SupervisorSpec};

const MS: fn(u64) -> Duration = Duration::from_millis;

async fn echo(ctx: Ctx, (name, log): (String, Arc<std::sync::Mutex<Vec<String>>>)) -> Result<(), String> {
    log.lock().unwrap().push(format!("{name}#{}", ctx.generation()));
    ctx.cancelled().await;
    Ok(())
}

type Log = Arc<std::sync::Mutex<Vec<String>>>;

#[tokio::test(start_paused = true)]
async fn children_start_with_their_arguments_up_to_max_children() {
    let log: Log = Arc::default();
    let running = SupervisorSpec::dynamic("conns", ChildTemplate::new(echo).restart(Restart::Temporary))
        .max_children(2)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let conns = running.handle().dynamic::<(String, Log)>();
    let first = conns.start_child(("alice".into(), log.clone())).await.unwrap();
    let second = conns.start_child(("bob".into(), log.clone())).await.unwrap();
    assert_eq!((&*first, &*second), ("1", "2"));
    assert_eq!(
        conns.start_child(("carol".into(), log.clone())).await,
        Err(ControlError::Full { supervisor: "conns".into(), max: 2 })
    );
    conns.terminate_child(&first).await.unwrap();
    let third = conns.start_child(("carol".into(), log.clone())).await.unwrap();
    assert_eq!(&*third, "3");
    tokio::task::yield_now().await;
    assert_eq!(*log.lock().unwrap(), ["alice#0", "bob#0", "carol#0"]);
    let paths: Vec<_> = conns.which_children().await.unwrap().iter().map(|c| c.path.to_string()).collect();
    assert_eq!(paths, ["conns/2", "conns/3"]);
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn wrong_arguments_and_static_only_calls_are_typed_errors() {
    let running =
        SupervisorSpec::dynamic("d", ChildTemplate::new(|ctx: Ctx, _n: u32| async move { ctx.cancelled().await }))
            .build()
            .unwrap()
            .start()
            .await
            .unwrap();
    let wrong = running.handle().dynamic::<String>();
    assert_eq!(
        wrong.start_child("x".into()).await,
        Err(ControlError::WrongArguments { supervisor: "d".into(), given: "alloc::string::String" })
    );
    let handle = running.handle();
    assert!(matches!(handle.restart_child("1").await, Err(ControlError::Unsupported { .. })));
    assert!(matches!(handle.delete_child("1").await, Err(ControlError::Unsupported { .. })));
    assert_eq!(handle.terminate_child("42").await, Err(ControlError::NotFound { id: "42".into() }));
    running.shutdown().await.unwrap();

    // And the other way round: a dynamic start on a static supervisor.
    let running = common::start(SupervisorSpec::builder("s")).await;
    assert!(matches!(running.handle().dynamic::<u32>().start_child(1).await, Err(ControlError::Unsupported { .. })));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_permanent_dynamic_child_restarts_with_the_same_arguments() {
    let starts = Arc::new(AtomicUsize::new(0));
    let template = ChildTemplate::new(|ctx: Ctx, (n, starts): (u32, Arc<AtomicUsize>)| async move {
        starts.fetch_add(n as usize, Ordering::SeqCst);
        if ctx.generation() < 2 {
            Err("again")
        } else {
            ctx.cancelled().await;
            Ok(())
        }
    });
    let running = SupervisorSpec::dynamic("d", template)
        .intensity(Intensity::new(5, Duration::from_secs(1)))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let d = running.handle().dynamic::<(u32, Arc<AtomicUsize>)>();
    d.start_child((7, starts.clone())).await.unwrap();
    settle().await;
    assert_eq!(starts.load(Ordering::SeqCst), 21, "three starts, each with n = 7");
    let child = &d.which_children().await.unwrap()[0];
    assert_eq!((child.generation, child.restarts), (2, 2));
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn children_stop_concurrently_under_one_shared_deadline() {
    let template = ChildTemplate::new(|ctx: Ctx, linger: u64| async move {
        ctx.cancelled().await;
        tokio::time::sleep(Duration::from_millis(linger)).await;
    })
    .shutdown(Shutdown::Timeout(MS(250)));
    let running = SupervisorSpec::dynamic("d", template).build().unwrap().start().await.unwrap();
    let d = running.handle().dynamic::<u64>();
    for linger in [100, 200, 300, 10_000] {
        d.start_child(linger).await.unwrap();
    }
    let t0 = tokio::time::Instant::now();
    let report = running.shutdown().await.unwrap();
    assert_eq!(t0.elapsed(), MS(250), "all asked at once; the last two aborted at the one deadline");
    let exits: Vec<_> = report.children.iter().map(|c| (c.exit.clone().unwrap(), c.stop_took.unwrap())).collect();
    assert_eq!(
        exits,
        [
            (ExitReason::Stopped, MS(100)),
            (ExitReason::Stopped, MS(200)),
            (ExitReason::Aborted, MS(250)),
            (ExitReason::Aborted, MS(250)),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_children_start_and_stop_leaving_no_task() {
    const N: usize = 100_000;
    let baseline = tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let template = ChildTemplate::new(|ctx: Ctx, ()| async move { ctx.cancelled().await }).restart(Restart::Temporary);
    let running = SupervisorSpec::dynamic("d", template).build().unwrap().start().await.unwrap();
    let d = running.handle().dynamic::<()>();
    for _ in 0..N {
        d.start_child(()).await.unwrap();
    }
    let counts = d.count_children().await.unwrap();
    // One spec, the template (as OTP's simple_one_for_one); every child active.
    assert_eq!((counts.specs, counts.active, counts.workers), (1, N, N));
    // Removing and adding stays cheap at this size.
    for id in 1..=1000 {
        d.terminate_child(&id.to_string()).await.unwrap();
        d.start_child(()).await.unwrap();
    }
    assert_eq!(d.count_children().await.unwrap().active, N);
    let report = running.shutdown().await.unwrap();
    assert_eq!(report.children.len(), N);
    assert!(report.children.iter().all(|c| c.exit == Some(ExitReason::Stopped)));
    assert!(alive_tasks_return_to(baseline).await, "tasks left alive after shutdown");
}

#[tokio::test(start_paused = true)]
async fn a_temporary_dynamic_child_takes_arguments_that_cannot_be_cloned() {
    // Neither Clone nor Sync.
    struct Socket(std::cell::Cell<u8>);
    #[supervisor_core::child(restart = temporary)]
    async fn connection(ctx: Ctx, socket: Socket) {
        let _ = socket.0.get();
        ctx.cancelled().await;
    }
    let tree = supervisor_core::supervisor! { name: "app", children: [conns: dynamic { child: connection }] }.unwrap();
    let running = tree.start().await.unwrap();
    let conns = running.handle().nested("conns").dynamic::<Socket>();
    conns.start_child(Socket(std::cell::Cell::new(7))).await.unwrap();
    assert_eq!(conns.count_children().await.unwrap().active, 1);
    running.shutdown().await.unwrap();
}

#[test]
fn a_template_that_moves_its_arguments_cannot_be_made_to_restart() {
    let template = ChildTemplate::temporary(|ctx: Ctx, n: u32| async move {
        let _ = n;
        ctx.cancelled().await;
    })
    .restart(Restart::Permanent);
    let error = SupervisorSpec::dynamic("d", template).build().unwrap_err();
    assert!(matches!(error, supervisor_core::SpecError::MovedArguments { .. }), "{error}");
}

#[tokio::test(start_paused = true)]
async fn dynamic_children_by_key() {
    let template = ChildTemplate::new(|ctx: Ctx, fail: bool| async move {
        if fail {
            return Err("boom");
        }
        ctx.cancelled().await;
        Ok(())
    })
    .restart(Restart::Transient);
    let running = SupervisorSpec::dynamic("conns", template).intensity(Intensity::unlimited()).build().unwrap();
    let running = running.start().await.unwrap();
    let conns = running.handle().dynamic::<bool>();
    // A key is the child's id; unkeyed starts skip the numbers keys took.
    assert_eq!(&*conns.start_child_keyed("10.0.0.7:5000", false).await.unwrap(), "10.0.0.7:5000");
    assert_eq!(&*conns.start_child_keyed(2, false).await.unwrap(), "2");
    assert_eq!(&*conns.start_child(false).await.unwrap(), "1");
    assert_eq!(&*conns.start_child(false).await.unwrap(), "3");
    // One child per key, with the running child's id in the error.
    assert_eq!(
        conns.start_child_keyed("10.0.0.7:5000", false).await,
        Err(ControlError::AlreadyStarted { id: "10.0.0.7:5000".into() })
    );
    assert!(matches!(conns.start_child_keyed("a/b", false).await, Err(ControlError::Spec(_))));
    let ids: Vec<String> = conns.which_children().await.unwrap().iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["10.0.0.7:5000", "2", "1", "3"]);
    // Found and terminated by key; the key is then free.
    assert!(conns.find_keyed("10.0.0.7:5000").await.unwrap().is_some());
    conns.terminate_child_keyed("10.0.0.7:5000").await.unwrap();
    assert_eq!(conns.find_keyed("10.0.0.7:5000").await.unwrap(), None);
    conns.start_child_keyed("10.0.0.7:5000", false).await.unwrap();
    // Restarted by its restart type, it keeps its key.
    conns.start_child_keyed("flaky", true).await.unwrap();
    settle().await;
    let flaky = conns.find_keyed("flaky").await.unwrap().unwrap();
    assert!(flaky.generation >= 1, "{flaky:?}");
    running.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_key_of_a_temporary_child_is_free_once_it_has_ended() {
    let template = ChildTemplate::temporary(|_ctx: Ctx, _n: u32| async {});
    let running = SupervisorSpec::dynamic("jobs", template).build().unwrap().start().await.unwrap();
    let jobs = running.handle().dynamic::<u32>();
    jobs.start_child_keyed("nightly", 1).await.unwrap();
    settle().await;
    assert_eq!(jobs.find_keyed("nightly").await.unwrap(), None);
    jobs.start_child_keyed("nightly", 2).await.unwrap();
    running.shutdown().await.unwrap();
}
