//! A bare HTTP/1.1 client over loopback, and a server for a tree's view:
//! what an operator's tool, or Kubernetes, would do.

use std::net::SocketAddr;
use std::time::Duration;

use supervisor_core::SupervisorHandle;
use supervisor_core::http::Endpoints;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves `endpoints` on a free loopback port, with the library's own server.
pub async fn serve(endpoints: Endpoints) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(endpoints.serve_on(listener));
    addr
}

/// Serves the read-only view of `handle`.
pub async fn serve_view(handle: SupervisorHandle) -> SocketAddr {
    serve(Endpoints::new(handle)).await
}

/// An answer: its status, headers (lowercased names) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// One request with extra header lines; the answer.
pub async fn send(addr: SocketAddr, method: &str, path: &str, headers: &[&str]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut response)).await.unwrap().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer { status, head: head.to_lowercase(), body: body.to_string() }
}

/// A `GET` that accepts plain text: its status and body.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let answer = send(addr, "GET", path, &["Accept: text/plain"]).await;
    (answer.status, answer.body)
}

/// A `GET` that accepts JSON: its status and body, parsed.
pub async fn get_json(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let answer = send(addr, "GET", path, &["Accept: application/json"]).await;
    (answer.status, serde_json::from_str(&answer.body).unwrap_or(serde_json::Value::Null))
}

/// Polls `path` until it answers `status` (the tree moves on its own time).
pub async fn until_status(addr: SocketAddr, path: &str, status: u16) {
    for _ in 0..500 {
        if get(addr, path).await.0 == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{path} never answered {status}");
}
