//! The operators' view over HTTP (feature `http`): probes with Kubernetes'
//! meaning, the tree as JSON, its events as a stream, a live observer page,
//! and control calls when you turn them on. An axum [`Router`] to merge
//! into your own app, or served on its own, with limits, by
//! [`Endpoints::serve`].
//!
//! | request | answer |
//! |---|---|
//! | `GET /` | the observer page: the tree drawn live, one self-contained file |
//! | `GET /livez` | 200 while the tree's loop answers, else 503 |
//! | `GET /readyz` | 200 while every child that gates readiness runs and is ready, else 503 |
//! | `GET /readyz/<path>` | the same for one child (`/readyz/db`, `/readyz/consumers/orders`); 404 if there is none |
//! | `GET /tree` | the snapshot ([`SupervisorHandle::tree`]) as JSON |
//! | `GET /events` | the tree's events as server-sent events, from now on, until it has ended |
//! | `POST /control/<action>/<path>` | only with [`Endpoints::control`]: `restart`, `terminate` or `kill` a child |
//!
//! The probes answer in plain text (`ok`, or what is wrong); `?verbose` lists
//! every check (`[+]app/db ok`, `[-]app/api restarting in 2s`), and a request
//! that accepts `application/json` gets the health-check draft's shape:
//! `{"status": "pass" | "warn" | "fail", "checks": {path: [{status, output}]}}`
//! (`warn`: ready, but degraded). Unknown paths are 404, other methods 405.
//!
//! Control calls need `Authorization: Bearer <token>`, compared in constant
//! time; each authorised one, done or refused, is published as an
//! [`Event::Control`](crate::Event::Control) and logged (a call without the
//! token is answered 401 and logged, without the token it sent). Without a
//! token set, the routes do not exist.

mod control;
mod limits;
mod observer;
mod probes;
mod stream;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use control::TokenError;
pub use limits::Limits;

use crate::handle::SupervisorHandle;

/// The operators' view of one tree: which endpoints, and the server's
/// limits.
///
/// ```no_run
/// use supervisor_core::http::{Endpoints, Limits};
///
/// # async fn run(running: supervisor_core::RunningSupervisor) -> Result<(), Box<dyn std::error::Error>> {
/// let token = std::env::var("CONTROL_TOKEN")?;
/// Endpoints::new(running.handle())
///     .control(token)?
///     .limits(Limits::default().header_timeout(std::time::Duration::from_secs(2)))
///     .serve("127.0.0.1:8080".parse()?)
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Endpoints {
    handle: SupervisorHandle,
    control: Option<control::Token>,
    limits: Limits,
}

impl Endpoints {
    /// The read-only view of the tree `handle` addresses, with the default
    /// limits.
    #[must_use]
    pub fn new(handle: SupervisorHandle) -> Self {
        Endpoints { handle, control: None, limits: Limits::default() }
    }

    /// Turns on the control endpoints, for callers that present `token`.
    ///
    /// # Errors
    /// [`TokenError`] if the token is shorter than 16 bytes: easy to guess.
    pub fn control(mut self, token: impl Into<String>) -> Result<Self, TokenError> {
        self.control = Some(control::Token::new(token.into())?);
        Ok(self)
    }

    /// The server's limits, for [`serve`](Endpoints::serve).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The router, to merge into your own app (your server's limits then
    /// apply; a request that declares a body over [`Limits::max_body_bytes`]
    /// is refused with 413 either way, and `/events` streams are capped at
    /// [`Limits::max_event_streams`]).
    pub fn router(&self) -> Router {
        let page = observer::Page { control: self.control.is_some() };
        let mut router = Router::new()
            .route("/", get(observer::page))
            .route("/livez", get(probes::livez))
            .route("/readyz", get(probes::readyz))
            .route("/readyz/{*path}", get(probes::readyz_one))
            .route("/tree", get(stream::tree))
            .route("/events", get(stream::events))
            .with_state(self.handle.clone())
            .layer(axum::Extension(page))
            .layer(axum::Extension(stream::Streams(std::sync::Arc::new(tokio::sync::Semaphore::new(
                self.limits.max_event_streams.min(tokio::sync::Semaphore::MAX_PERMITS),
            )))));
        if let Some(token) = &self.control {
            let state = control::Control { handle: self.handle.clone(), token: token.clone() };
            router = router.merge(
                Router::new().route("/control/{action}/{*path}", post(control::call)).with_state(Arc::new(state)),
            );
        }
        router.layer(axum::middleware::from_fn_with_state(self.limits.max_body_bytes, limits::refuse_large_bodies))
    }

    /// Serves the view on `addr` until the tree has ended. Bind to loopback
    /// (`127.0.0.1:8080`) unless it must be reached from elsewhere.
    ///
    /// # Errors
    /// The listener's, if `addr` cannot be bound.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<()> {
        self.serve_on(tokio::net::TcpListener::bind(addr).await?).await
    }

    /// Serves the view on a listener already bound (port 0, say, to let
    /// the system choose), until the tree has ended.
    ///
    /// # Errors
    /// None yet; a failed accept is retried.
    pub async fn serve_on(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let done = self.handle.clone();
        let app = self.router();
        limits::serve(listener, app, self.limits, async move {
            let _ = done.wait().await;
        })
        .await
    }
}

/// The read-only router of the tree `handle` addresses:
/// `Endpoints::new(handle).router()`.
///
/// ```no_run
/// # async fn run(running: supervisor_core::RunningSupervisor) -> std::io::Result<()> {
/// let app = axum::Router::new().merge(supervisor_core::http::router(running.handle()));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
pub fn router(handle: SupervisorHandle) -> Router {
    Endpoints::new(handle).router()
}

/// Serves the read-only view on `addr` until the tree has ended, with the
/// default [`Limits`]: `Endpoints::new(handle).serve(addr)`.
///
/// # Errors
/// The listener's, if `addr` cannot be bound.
pub async fn serve(handle: SupervisorHandle, addr: SocketAddr) -> std::io::Result<()> {
    Endpoints::new(handle).serve(addr).await
}
