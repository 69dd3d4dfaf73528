//! Running a tree until SIGTERM: an orderly stop, an abort at the deadline,
//! an abort on a second signal, and the exit codes that say which. Signals
//! are process-wide, so this binary has one test that does all three.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use supervisor_core::{ChildSpec, Ctx, RunningSupervisor, SupervisorSpec, TreeExit};

fn send_sigterm() {
    let status = std::process::Command::new("kill").args(["-TERM", &std::process::id().to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()), "could not signal this process");
}

/// A tree whose one child takes `linger` to stop after it is asked.
async fn tree(linger: Duration) -> RunningSupervisor {
    let child = ChildSpec::worker("slow", move |ctx: Ctx| async move {
        ctx.cancelled().await;
        tokio::time::sleep(linger).await;
    })
    .shutdown(supervisor_core::Shutdown::Infinity);
    SupervisorSpec::builder("app").child(child).build().unwrap().start().await.unwrap()
}

/// Runs `running` until a signal, sending `signals` SIGTERMs 100 ms apart.
async fn run(running: RunningSupervisor, deadline: Duration, signals: usize) -> (TreeExit, Duration) {
    let t0 = Instant::now();
    let task = tokio::spawn(running.run_until_signal(deadline));
    for _ in 0..signals {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send_sigterm();
    }
    (task.await.unwrap(), t0.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_in_order_and_the_exit_code_says_how() {
    // One signal, a quick stop: an orderly shutdown, exit code 0.
    let (ended, _) = run(tree(Duration::from_millis(10)).await, Duration::from_secs(5), 1).await;
    assert!(matches!(ended, TreeExit::Stopped(_)), "{ended:?}");
    assert_eq!(ended.exit_code(), ExitCode::SUCCESS);

    // A stop slower than the deadline: aborted at the deadline, exit code 2.
    let (ended, took) = run(tree(Duration::from_secs(30)).await, Duration::from_millis(300), 1).await;
    assert!(matches!(ended, TreeExit::Aborted(_)), "{ended:?}");
    assert_eq!(ended.exit_code(), ExitCode::from(2));
    assert!(took < Duration::from_secs(5), "took {took:?}");

    // A second signal aborts at once, long before the deadline.
    let (ended, took) = run(tree(Duration::from_secs(30)).await, Duration::from_secs(60), 2).await;
    assert!(matches!(ended, TreeExit::Aborted(_)), "{ended:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");

    // Draining: at the signal the tree is no longer ready but still live
    // and running; after the drain delay it stops in order.
    let running = tree(Duration::from_millis(10)).await;
    let handle = running.handle();
    let task = tokio::spawn(running.run_until_signal_draining(Duration::from_millis(800), Duration::from_secs(5)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(handle.health(Duration::from_secs(1)).await.ready);
    send_sigterm();
    let mut drained = None;
    for _ in 0..50 {
        let health = handle.health(Duration::from_secs(1)).await;
        if !health.ready {
            drained = Some(health);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let health = drained.expect("not ready once draining");
    assert!(health.live, "{health:?}");
    assert!(health.degraded.iter().any(|d| d.starts_with("draining")), "{health:?}");
    let children = handle.which_children().await.unwrap();
    assert_eq!(children[0].state, supervisor_core::ChildState::Running, "still serving while it drains");
    let ended = task.await.unwrap();
    assert!(matches!(ended, TreeExit::Stopped(_)), "{ended:?}");
    assert!(!handle.health(Duration::from_secs(1)).await.live);
}
