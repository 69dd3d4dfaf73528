//! The server's limits (`http::Endpoints::serve`): a client that is slow
//! with its headers, or sends too many, or too many connections, is cut
//! off, and everyone else is still served. Real clock: what is measured is
//! the server's own timer.

mod common;

use std::time::Duration;

use common::Lab;
use common::http::{get, serve};
use supervisor_core::SupervisorSpec;
use supervisor_core::http::{Endpoints, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_oversized_requests_are_cut_off() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let limits = Limits::default().header_timeout(Duration::from_millis(200)).max_header_bytes(8 * 1024);
    let addr = serve(Endpoints::new(running.handle()).limits(limits)).await;

    // Half a request, then nothing: closed once the header timeout passes.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /livez HTTP/1.1\r\nHost: local").await.unwrap();
    let answer = until_closed(&mut slow).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer:?}");

    // A connection that never sends a byte: closed as well.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    until_closed(&mut idle).await;

    // Headers over the limit: 431, and closed.
    let mut big = TcpStream::connect(addr).await.unwrap();
    let padding = "x".repeat(64 * 1024);
    let request = format!("GET /livez HTTP/1.1\r\nHost: localhost\r\nX-Padding: {padding}\r\n\r\n");
    let _ = big.write_all(request.as_bytes()).await;
    let answer = until_closed(&mut big).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer:?}");

    // Everyone else is served.
    assert_eq!(get(addr, "/livez").await, (200, "ok".to_string()));
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_closed_and_the_rest_served() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let limits = Limits::default().max_connections(2).header_timeout(Duration::from_secs(30));
    let addr = serve(Endpoints::new(running.handle()).limits(limits)).await;
    // Two connections held open, silent.
    let held = [TcpStream::connect(addr).await.unwrap(), TcpStream::connect(addr).await.unwrap()];
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A third is closed at once.
    let mut third = TcpStream::connect(addr).await.unwrap();
    assert_eq!(until_closed(&mut third).await, "");
    // Once one is let go, requests are served again.
    drop(held);
    let mut served = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(b"GET /livez HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
        if until_closed(&mut stream).await.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
    }
    assert!(served);
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_cannot_take_the_connections_the_probes_need() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let addr = serve(Endpoints::new(running.handle()).limits(Limits::default().max_event_streams(1))).await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    first.write_all(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut head = [0u8; 15];
    first.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200 OK");
    let second = common::http::send(addr, "GET", "/events", &[]).await;
    assert_eq!(second.status, 503, "{}", second.body);
    assert_eq!(get(addr, "/livez").await.0, 200, "the probes still get through");
    running.shutdown().await.unwrap();
}
