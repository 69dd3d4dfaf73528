//! The server's limits: what one client may hold of it. axum's own
//! `serve` sets none, so a client that sends its headers slowly, or never,
//! keeps its connection forever; this server cuts it off.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What one request, and all clients together, may hold of the server.
///
/// ```
/// use std::time::Duration;
/// use supervisor_core::http::Limits;
///
/// let limits = Limits::default().header_timeout(Duration::from_secs(2)).max_connections(32);
/// assert_eq!(limits.max_header_bytes, 16 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// How long a client has to send a request's headers (and, on a kept
    /// connection, to start its next request). Default: 5 s.
    pub header_timeout: Duration,
    /// The most a request's headers may take; more is answered 431.
    /// Default: 16 KiB; hyper's floor of 8 KiB applies.
    pub max_header_bytes: usize,
    /// The most a request's body may declare (`Content-Length`); more is
    /// answered 413, before any handler runs.
    /// Default: 4 KiB (no endpoint reads a body).
    pub max_body_bytes: u64,
    /// Connections served at once (at least 1); more are closed as they
    /// arrive. Default: 256.
    pub max_connections: usize,
    /// `/events` streams open at once, so that streams cannot take every
    /// connection from the probes; more are answered 503. Default: 16.
    pub max_event_streams: usize,
    /// How long open responses (event streams) may take to end once the
    /// tree has ended. Default: 1 s.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(5),
            max_header_bytes: 16 * 1024,
            max_body_bytes: 4 * 1024,
            max_connections: 256,
            max_event_streams: 16,
            drain_timeout: Duration::from_secs(1),
        }
    }
}

impl Limits {
    /// Sets [`header_timeout`](Limits::header_timeout).
    #[must_use]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Sets [`max_header_bytes`](Limits::max_header_bytes).
    #[must_use]
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Sets [`max_body_bytes`](Limits::max_body_bytes).
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`max_connections`](Limits::max_connections).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// Sets [`max_event_streams`](Limits::max_event_streams).
    #[must_use]
    pub fn max_event_streams(mut self, streams: usize) -> Self {
        self.max_event_streams = streams;
        self
    }

    /// Sets [`drain_timeout`](Limits::drain_timeout).
    #[must_use]
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }
}

/// Refuses a request whose declared body is over the limit, before any
/// handler sees it.
pub(super) async fn refuse_large_bodies(State(max): State<u64>, request: Request, next: Next) -> Response {
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max) {
        return (StatusCode::PAYLOAD_TOO_LARGE, format!("a request body here is at most {max} bytes")).into_response();
    }
    next.run(request).await
}

/// Serves `app` on `listener` until `done`, under `limits`; then lets open
/// responses end within the drain timeout, and aborts what is left.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    done: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.clamp(1, Semaphore::MAX_PERMITS)));
    let stop = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut done = std::pin::pin!(done);
    loop {
        let accepted = tokio::select! {
            () = &mut done => break,
            accepted = listener.accept() => accepted,
            // Reap the ended ones as they go.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok((io, _)) = accepted else {
            // Out of descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(io);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let stop = stop.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_header_bytes.max(8 * 1024));
            let connection = builder.serve_connection(TokioIo::new(io), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    stop.cancel();
    let _ =
        tokio::time::timeout(limits.drain_timeout, async { while connections.join_next().await.is_some() {} }).await;
    connections.shutdown().await;
    Ok(())
}
