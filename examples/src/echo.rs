//! A loopback TCP echo service: an acceptor, and a dynamic supervisor with
//! one temporary child per connection. Clients connect, echo lines, and
//! some break their connection on purpose or send a line that makes their
//! handler fail; the rest of the service carries on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use supervisor_core::{ChildSpec, Ctx, DynamicHandle, Shutdown, SupervisorHandle, child, supervisor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// What a run of the service did.
#[derive(Debug, Default)]
pub struct Tally {
    /// Lines the clients got echoed back.
    pub echoed: AtomicU64,
    /// Connections the service handled.
    pub connections: AtomicU64,
    /// Connections a client broke off on purpose.
    pub broken: AtomicU64,
    /// Handlers that failed on a poison line.
    pub failed: AtomicU64,
}

/// A shared, cloneable listener (a child's arguments are cloned per start).
#[derive(Clone)]
struct Listener(Arc<TcpListener>);

/// Accepts connections and starts a handler for each. It needs a handle
/// to its sibling, so it is added to the running tree with a builder.
async fn acceptor(ctx: Ctx, listener: Listener, conns: SupervisorHandle, tally: Arc<Tally>) -> Result<(), String> {
    let conns: DynamicHandle<(TcpStream, Arc<Tally>)> = conns.dynamic();
    loop {
        let (stream, _) = tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            accepted = listener.0.accept() => accepted.map_err(|e| e.to_string())?,
        };
        tally.connections.fetch_add(1, Ordering::Relaxed);
        // A temporary child: the stream is moved into its one start.
        if let Err(error) = conns.start_child((stream, tally.clone())).await {
            tracing::warn!(%error, "connection refused");
        }
    }
}

/// Echoes lines until the client goes away. Each half of the connection is
/// a helper of its incarnation (`ctx.spawn_named`): both end with it, and a
/// reader that fails on the line `poison` fails the connection, by name.
#[child(restart = temporary, shutdown = 500ms)]
async fn connection(ctx: Ctx, (stream, tally): (TcpStream, Arc<Tally>)) -> Result<(), String> {
    let (read, write) = stream.into_split();
    let (echo, to_write) = mpsc::channel(16);
    let (closed, client_gone) = oneshot::channel();
    ctx.spawn_named("reader", reader(ctx.clone(), read, echo, closed, tally));
    ctx.spawn_named("writer", writer(ctx.clone(), write, to_write));
    tokio::select! {
        () = ctx.cancelled() => {}
        _ = client_gone => {}
    }
    Ok(())
}

/// Reads lines and hands them to the writer; says when the client is gone.
async fn reader(
    ctx: Ctx,
    read: OwnedReadHalf,
    echo: mpsc::Sender<String>,
    closed: oneshot::Sender<()>,
    tally: Arc<Tally>,
) -> Result<(), String> {
    let mut lines = BufReader::new(read).lines();
    loop {
        let line = tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            line = lines.next_line() => line.map_err(|e| e.to_string())?,
        };
        let Some(line) = line else {
            let _ = closed.send(());
            return Ok(());
        };
        if line == "poison" {
            tally.failed.fetch_add(1, Ordering::Relaxed);
            return Err("a poison line".into());
        }
        if echo.send(line).await.is_err() {
            return Ok(());
        }
    }
}

/// Writes back what the reader hands it.
async fn writer(ctx: Ctx, mut write: OwnedWriteHalf, mut to_write: mpsc::Receiver<String>) -> Result<(), String> {
    loop {
        let line = tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            line = to_write.recv() => line,
        };
        let Some(line) = line else { return Ok(()) };
        write.write_all(format!("{line}\n").as_bytes()).await.map_err(|e| e.to_string())?;
    }
}

/// Clients that echo lines, and sometimes break off or send poison.
#[child(shutdown = 1s)]
async fn clients(ctx: Ctx, port: u16, tally: Arc<Tally>) -> Result<(), String> {
    let mut round = 0u64;
    while !ctx.is_cancelled() {
        round += 1;
        let Ok(stream) = TcpStream::connect(("127.0.0.1", port)).await else { continue };
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        for i in 0..5 {
            let line = if round % 7 == 0 && i == 2 { "poison".to_string() } else { format!("hello {round}.{i}") };
            if write.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                break;
            }
            if round % 5 == 0 && i == 1 {
                tally.broken.fetch_add(1, Ordering::Relaxed);
                break; // break the connection on purpose
            }
            let echo = tokio::time::timeout(Duration::from_secs(1), lines.next_line()).await;
            match echo {
                Ok(Ok(Some(echo))) if echo == line => {
                    tally.echoed.fetch_add(1, Ordering::Relaxed);
                }
                _ => break,
            }
        }
        tokio::select! {
            () = ctx.cancelled() => {}
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
    Ok(())
}

/// Runs the service and its clients for `duration`, then stops in order:
/// clients, acceptor, connections.
///
/// # Errors
/// If the listener cannot bind, or the tree fails to start or gives up.
pub async fn run(duration: Duration) -> Result<Arc<Tally>, Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let listener = Listener(Arc::new(listener));
    let tally = Arc::new(Tally::default());

    // The connections supervisor comes first, so the acceptor can be handed
    // a handle to it; the acceptor is then added to the running tree.
    let tree = supervisor! {
        name: "echo",
        strategy: one_for_one,
        intensity: 10 per 1s,
        children: [
            conns: dynamic { child: connection, max: 1000, intensity: 100 per 1s },
            clients: clients(port, tally.clone()),
        ],
        shutdown_order: [clients, conns],
    }?;
    let running = tree.start().await?;
    let handle = running.handle();
    let (conns, counts) = (handle.nested("conns"), tally.clone());
    let accept =
        ChildSpec::worker("acceptor", move |ctx| acceptor(ctx, listener.clone(), conns.clone(), counts.clone()))
            .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
    handle.start_child(accept).await?;
    tracing::info!(port, "echo service up");
    tokio::time::sleep(duration).await;
    let report = running.shutdown().await?;
    tracing::info!(
        echoed = tally.echoed.load(Ordering::Relaxed),
        connections = tally.connections.load(Ordering::Relaxed),
        broken = tally.broken.load(Ordering::Relaxed),
        failed = tally.failed.load(Ordering::Relaxed),
        children = report.children.len(),
        "echo service stopped"
    );
    Ok(tally)
}
