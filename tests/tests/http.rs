//! The operators' view over HTTP (feature `http`), through a real HTTP/1.1
//! client on loopback against a running tree: the probes through every
//! state a tree goes through, the tree as JSON, the events stream, and bad
//! input.

mod common;

use std::time::Duration;

use common::http::{get, get_json, send, serve_view, until_status};
use common::{Action, Lab, OnCancel};
use supervisor_core::{Backoff, ChildSpec, Intensity, Restart, SupervisorSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_through_starting_ready_degraded_restarting_giving_up_draining_and_stopped() {
    let lab = Lab::new();
    let optional = SupervisorSpec::builder("optional")
        .intensity(Intensity::new(0, Duration::from_secs(5)))
        .child(lab.worker("cache"))
        .build()
        .unwrap();
    let vital = SupervisorSpec::builder("vital")
        .intensity(Intensity::new(0, Duration::from_secs(5)))
        .child(lab.worker("ledger"))
        .build()
        .unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .intensity(Intensity::new(20, Duration::from_secs(60)))
            .child(lab.worker("db").backoff(Backoff::new(Duration::from_secs(30), Duration::from_secs(30))))
            .child(lab.worker("mailer").restart(Restart::Transient))
            // Does not gate readiness: its giving up degrades.
            .child(ChildSpec::supervisor(optional).restart(Restart::Transient))
            // Gates readiness although transient: its giving up is not ready.
            .child(ChildSpec::supervisor(vital).restart(Restart::Transient).gates_readiness(true)),
    )
    .await;
    let handle = running.handle();
    let addr = serve_view(handle.clone()).await;

    // Ready.
    assert_eq!(get(addr, "/livez").await, (200, "ok".to_string()));
    assert_eq!(get(addr, "/readyz").await, (200, "ok".to_string()));
    assert_eq!(
        get(addr, "/readyz?verbose").await,
        (200, "[+]app/db ok\n[+]app/vital ok\n[+]app/vital/ledger ok\nok".to_string())
    );
    assert_eq!(get(addr, "/readyz/db").await.0, 200);
    let (status, json) = get_json(addr, "/readyz").await;
    assert_eq!(
        (status, &json["status"], &json["checks"]["app/db"][0]["status"]),
        (200, &"pass".into(), &"pass".into())
    );

    // Starting: a gating child not yet ready.
    let slow =
        lab.worker_with("slow", OnCancel::Stop, Some(Duration::from_secs(300))).wait_ready(Duration::from_secs(600));
    let starting = tokio::spawn({
        let handle = handle.clone();
        async move { handle.start_child(slow).await }
    });
    until_status(addr, "/readyz", 503).await;
    assert_eq!(get(addr, "/readyz/slow").await, (503, "[-]app/slow starting, not yet ready\nnot ready".to_string()));
    assert_eq!(get(addr, "/livez").await.0, 200, "starting is live");
    handle.terminate_child("slow").await.unwrap();
    let _ = starting.await;
    handle.delete_child("slow").await.unwrap();
    until_status(addr, "/readyz", 200).await;

    // Degraded: a non-gating subtree gave up. Still ready; JSON says warn.
    lab.tell("cache", Action::Fail("boom")).await;
    for _ in 0..500 {
        if get_json(addr, "/readyz").await.1["status"] == "warn" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, json) = get_json(addr, "/readyz").await;
    assert_eq!((status, &json["status"]), (200, &"warn".into()), "{json}");
    assert_eq!(json["notes"][0], "`app/optional` gave up and is not restarted");
    let (status, text) = get(addr, "/readyz?verbose").await;
    assert_eq!(status, 200);
    assert!(text.contains("[!] `app/optional` gave up and is not restarted"), "{text}");

    // A gating child restarting (its backoff is 30 s): not ready, still live.
    lab.tell("db", Action::Fail("lost connection")).await;
    until_status(addr, "/readyz", 503).await;
    let (status, text) = get(addr, "/readyz?verbose").await;
    assert_eq!(status, 503);
    assert!(text.starts_with("[-]app/db restarting in "), "{text}");
    assert_eq!(get(addr, "/readyz/db").await.0, 503);
    assert_eq!(get(addr, "/readyz/vital").await.0, 200, "one child's probe is its own");
    assert_eq!(get(addr, "/livez").await.0, 200);
    let (status, tree) = get_json(addr, "/tree").await;
    assert_eq!((status, &tree["children"][0]["state"]), (200, &"restarting".into()));
    assert_eq!(tree["children"][0]["last_exit"], "failed: lost connection");
    handle.terminate_child("db").await.unwrap();
    handle.restart_child("db").await.unwrap();
    until_status(addr, "/readyz", 200).await;

    // A gating subtree gave up: not ready.
    lab.tell("ledger", Action::Fail("disk full")).await;
    until_status(addr, "/readyz/vital", 503).await;
    let (status, json) = get_json(addr, "/readyz").await;
    assert_eq!((status, &json["status"]), (503, &"fail".into()), "{json}");

    // Draining: not ready at once, still live.
    handle.restart_child("vital").await.unwrap();
    until_status(addr, "/readyz", 200).await;
    handle.drain();
    assert_eq!(get(addr, "/readyz").await.0, 503);
    assert_eq!(get(addr, "/livez").await.0, 200);

    // Stopped: not live, not ready; the server stops with the tree.
    running.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(TcpStream::connect(addr).await.is_err(), "the server ends with the tree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_say_not_live_once_the_tree_has_stopped() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let handle = running.handle();
    // A router in the user's own server outlives the tree.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, supervisor_core::http::router(handle)).await });
    assert_eq!(get(addr, "/livez").await.0, 200);
    running.shutdown().await.unwrap();
    assert_eq!(get(addr, "/livez").await.0, 503);
    assert_eq!(get(addr, "/readyz").await.0, 503);
    assert_eq!(get(addr, "/tree").await.0, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_right_status_and_nothing_else() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let addr = serve_view(running.handle()).await;
    for path in ["/nowhere", "/readyz/no/such/child", "/readyz/%00%2F..%2F", "/livez/extra", "/tree/x"] {
        assert_eq!(get(addr, path).await.0, 404, "{path}");
    }
    // Not valid UTF-8 once decoded: refused, not a panic.
    for path in ["/readyz/%FF%FE", "/readyz/%C0%AF"] {
        assert_eq!(get(addr, path).await.0, 400, "{path}");
    }
    for (method, path) in [("POST", "/readyz"), ("DELETE", "/tree"), ("PUT", "/"), ("POST", "/events")] {
        assert_eq!(send(addr, method, path, &[]).await.status, 405, "{method} {path}");
    }
    // Control is off: its routes do not exist.
    assert_eq!(send(addr, "POST", "/control/kill/db", &["Authorization: Bearer 0123456789abcdef"]).await.status, 404);
    // Still serving, and the tree untouched.
    assert_eq!(get(addr, "/readyz").await.0, 200);
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_observer_page_is_one_self_contained_file() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let addr = serve_view(running.handle()).await;
    let page = send(addr, "GET", "/", &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.head.contains("content-type: text/html; charset=utf-8"), "{}", page.head);
    assert!(page.head.contains("content-security-policy: default-src 'none'"), "{}", page.head);
    assert!(page.body.contains("new EventSource(\"events\")"), "it updates from /events");
    assert!(!page.body.contains("src=\"http") && !page.body.contains("href=\"http"), "no outside assets");
    assert!(page.body.contains("<body data-control=\"off\">"), "control is off");
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_as_server_sent_events_until_the_tree_has_ended() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let addr = serve_view(running.handle()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = "GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    // The subscription is made once the request is handled.
    let mut first = [0u8; 64];
    let n = stream.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    lab.tell("db", Action::Fail("lost connection")).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    running.shutdown().await.unwrap();
    // The stream ends by itself once the tree has ended.
    let mut rest = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut rest)).await.unwrap().unwrap();
    assert!(rest.contains("event: child_exited\ndata: exited app/db#0 failed: lost connection"), "{rest}");
    assert!(rest.contains("event: supervisor_stopped\ndata: supervisor stopped app"), "{rest}");
}
