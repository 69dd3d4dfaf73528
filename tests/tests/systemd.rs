//! The systemd notify protocol, against a fake notify socket: `READY=1`
//! once the tree has started, `WATCHDOG=1` while its loop answers, and
//! `STOPPING=1` when a signal starts the shutdown. The end-to-end test runs
//! a service in a child process, with the environment systemd would give it.
#![cfg(unix)]

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use supervisor_core::systemd::Notifier;
use supervisor_core::{ChildSpec, Ctx, SupervisorSpec, TreeExit};

/// A fake systemd: a datagram socket at a fresh path.
struct FakeSystemd {
    path: PathBuf,
    socket: UnixDatagram,
}

impl FakeSystemd {
    fn new(name: &str) -> FakeSystemd {
        let path = std::env::temp_dir().join(format!("sd-notify-{name}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        FakeSystemd { path, socket }
    }

    /// The next message, waiting up to 10 s.
    fn recv(&self) -> String {
        let mut buf = [0u8; 256];
        let n = self.socket.recv(&mut buf).expect("a notification within 10 s");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    /// Every message already waiting.
    fn drain(&self) -> Vec<String> {
        self.socket.set_nonblocking(true).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(n) = self.socket.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        self.socket.set_nonblocking(false).unwrap();
        got
    }
}

impl Drop for FakeSystemd {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn spec() -> SupervisorSpec {
    let idle = ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await });
    SupervisorSpec::builder("service").child(idle).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_then_watchdog_pings_that_stop_with_the_loop() {
    let systemd = FakeSystemd::new("pings");
    let running = spec().start().await.unwrap();
    let session = running.notify_systemd(Notifier::new(&systemd.path, Some(Duration::from_millis(80))).unwrap());
    assert_eq!(systemd.recv(), "READY=1");
    let t0 = Instant::now();
    for _ in 0..3 {
        assert_eq!(systemd.recv(), "WATCHDOG=1");
    }
    // Three pings at half the 80 ms interval: not sooner than ~80 ms.
    assert!(t0.elapsed() >= Duration::from_millis(60), "{:?}", t0.elapsed());

    session.status("draining");
    session.stopping();
    running.shutdown().await.unwrap();
    // A ping may have been in flight as the loop ended; after that, none.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before: Vec<_> = systemd.drain().into_iter().filter(|m| m != "WATCHDOG=1").collect();
    assert_eq!(before, ["STATUS=draining", "STOPPING=1"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(systemd.drain(), Vec::<String>::new(), "the loop has ended: no more pings");
    drop(session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_watchdog_only_ready_is_sent() {
    let systemd = FakeSystemd::new("nowatchdog");
    let running = spec().start().await.unwrap();
    let session = running.notify_systemd(Notifier::new(&systemd.path, None).unwrap());
    assert_eq!(systemd.recv(), "READY=1");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(systemd.drain(), Vec::<String>::new());
    drop(session);
    running.shutdown().await.unwrap();
}

#[test]
fn a_missing_socket_is_an_error_when_notifying() {
    let path = std::env::temp_dir().join(format!("sd-notify-absent-{}.sock", std::process::id()));
    let notifier = Notifier::new(&path, None).unwrap();
    assert!(notifier.notify("READY=1").is_err());
}

/// The service the end-to-end test runs in a child process: a tree run
/// until SIGTERM, with systemd's environment.
#[test]
#[ignore = "run by `a_service_under_systemd_reports_ready_watchdog_and_stopping` in a child process"]
fn service_process() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let ended =
        runtime.block_on(async { spec().start().await.unwrap().run_until_signal(Duration::from_secs(5)).await });
    assert!(matches!(ended, TreeExit::Stopped(_)), "{ended:?}");
}

#[test]
fn a_service_under_systemd_reports_ready_watchdog_and_stopping() {
    let systemd = FakeSystemd::new("service");
    let mut service = Command::new(std::env::current_exe().unwrap())
        .args(["service_process", "--exact", "--ignored", "--quiet", "--test-threads=1"])
        .env("NOTIFY_SOCKET", &systemd.path)
        .env("WATCHDOG_USEC", "100000")
        .env_remove("WATCHDOG_PID")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(systemd.recv(), "READY=1");
    for _ in 0..3 {
        assert_eq!(systemd.recv(), "WATCHDOG=1");
    }
    let kill = Command::new("kill").args(["-TERM", &service.id().to_string()]).status().unwrap();
    assert!(kill.success());
    loop {
        match systemd.recv().as_str() {
            "WATCHDOG=1" => continue,
            "STOPPING=1" => break,
            other => panic!("unexpected notification {other:?}"),
        }
    }
    assert!(service.wait().unwrap().success(), "the service stopped in order");
}
