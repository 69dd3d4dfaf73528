//! `/tree` and `/events`: the snapshot as JSON, and the typed events as
//! server-sent events.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::Event;
use crate::event::RecvError;
use crate::handle::SupervisorHandle;

pub(super) async fn tree(State(handle): State<SupervisorHandle>) -> Response {
    match handle.tree().await {
        Ok(tree) => axum::Json(tree).into_response(),
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response(),
    }
}

/// Each event as a server-sent event named by its kind (`child_started`,
/// `child_exited`, ...), its data the event's one line (`exited app/w#0
/// failed: boom`); `lagged` if the subscriber fell behind. The stream ends
/// when the tree has ended.
pub(super) async fn events(
    State(handle): State<SupervisorHandle>,
    axum::Extension(streams): axum::Extension<Streams>,
) -> Response {
    use axum::response::sse::{Event as Sse, KeepAlive};
    let Ok(permit) = streams.0.clone().try_acquire_owned() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many event streams open: try again later").into_response();
    };
    let stream = futures_util::stream::unfold((handle.subscribe(), permit), |(mut events, permit)| async move {
        let sse = match events.recv().await {
            Ok(event) => Sse::default().event(kind(&event)).data(event.to_string()),
            Err(RecvError::Lagged(missed)) => Sse::default().event("lagged").data(missed.to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<_, std::convert::Infallible>(sse), (events, permit)))
    });
    axum::response::sse::Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// The event streams that may be open at once.
#[derive(Clone, Debug)]
pub(super) struct Streams(pub(super) std::sync::Arc<tokio::sync::Semaphore>);

/// The name of an event's kind, as the stream and the observer page use it.
pub(super) fn kind(event: &Event) -> &'static str {
    match event {
        Event::ChildStarted { .. } => "child_started",
        Event::ChildExited { .. } => "child_exited",
        Event::ChildIgnored { .. } => "child_ignored",
        Event::RestartScheduled { .. } => "restart_scheduled",
        Event::ChildStopped { .. } => "child_stopped",
        Event::IntensityExceeded { .. } => "intensity_exceeded",
        Event::SupervisorStopped { .. } => "supervisor_stopped",
        Event::Control { .. } => "control",
    }
}
