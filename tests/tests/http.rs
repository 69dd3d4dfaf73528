//! The operators' view over HTTP (feature `http`), through a real HTTP/1.1
//! client on loopback against a running tree.

mod common;

use std::time::Duration;

use common::{Action, Lab};
use supervisor_core::{Backoff, Restart, SupervisorHandle, SupervisorSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves the router of `handle` on a free loopback port.
async fn serve(handle: SupervisorHandle) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, supervisor_core::http::router(handle)).await });
    addr
}

/// One request; the status code and the body.
async fn request(addr: std::net::SocketAddr, method: &str, path: &str, accept: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path, "text/plain").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_the_tree_through_ready_restarting_and_stopped() {
    let lab = Lab::new();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("db").backoff(Backoff::new(Duration::from_secs(30), Duration::from_secs(30))))
            .child(lab.worker("mailer").restart(Restart::Transient)),
    )
    .await;
    let handle = running.handle();
    let addr = serve(handle.clone()).await;

    assert_eq!(get(addr, "/livez").await, (200, "ok".to_string()));
    assert_eq!(get(addr, "/readyz").await, (200, "ok".to_string()));
    assert_eq!(get(addr, "/readyz?verbose").await, (200, "[+]app/db ok\nok".to_string()));
    assert_eq!(get(addr, "/readyz/db").await.0, 200);
    let (status, json) = request(addr, "GET", "/readyz", "application/json").await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["status"], "pass");
    assert_eq!(json["checks"]["app/db"][0]["status"], "pass");

    // A gating child restarting (its backoff is 30 s): not ready, still live.
    lab.tell("db", Action::Fail("lost connection")).await;
    for _ in 0..100 {
        if get(addr, "/readyz").await.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, text) = get(addr, "/readyz?verbose").await;
    assert_eq!(status, 503);
    assert!(text.starts_with("[-]app/db restarting in "), "{text}");
    assert_eq!(get(addr, "/readyz/db").await.0, 503);
    assert_eq!(get(addr, "/livez").await.0, 200);
    let (status, tree) = get(addr, "/tree").await;
    assert_eq!(status, 200);
    let tree: serde_json::Value = serde_json::from_str(&tree).unwrap();
    assert_eq!(tree["children"][0]["state"], "restarting");

    // Bad input: the right status, nothing else.
    assert_eq!(get(addr, "/nowhere").await.0, 404);
    assert_eq!(get(addr, "/readyz/no/such/child").await.0, 404);
    assert_eq!(get(addr, "/readyz/%00%2F..%2F").await.0, 404);
    assert_eq!(request(addr, "POST", "/readyz", "text/plain").await.0, 405);
    assert_eq!(request(addr, "DELETE", "/tree", "text/plain").await.0, 405);

    // Stopped: not live, not ready.
    running.shutdown().await.unwrap();
    assert_eq!(get(addr, "/livez").await.0, 503);
    assert_eq!(get(addr, "/readyz").await.0, 503);
    assert_eq!(get(addr, "/tree").await.0, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_as_server_sent_events_until_the_tree_has_ended() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let addr = serve(running.handle()).await;
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
