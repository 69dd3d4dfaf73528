//! `POST /control/<action>/<path>`: an operator restarts, terminates or
//! kills one child. Off unless a token is set; the token is compared in
//! constant time; every call is published as an event and logged.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::control::ControlError;
use crate::event::{ControlAction, Event};
use crate::handle::SupervisorHandle;

/// The shortest token accepted.
const MIN_TOKEN: usize = 16;

/// Why a control token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Shorter than 16 bytes.
    #[error("a control token has at least {MIN_TOKEN} bytes (this one has {0}): use a long random one")]
    TooShort(usize),
}

/// A bearer token. Its `Debug` does not show it.
#[derive(Clone)]
pub(super) struct Token(Arc<[u8]>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    pub(super) fn new(token: String) -> Result<Self, TokenError> {
        if token.len() < MIN_TOKEN {
            return Err(TokenError::TooShort(token.len()));
        }
        Ok(Token(token.into_bytes().into()))
    }

    /// Whether `presented` is the token, in time that depends on the
    /// lengths only, not on where the bytes differ.
    fn matches(&self, presented: &[u8]) -> bool {
        let expected = &self.0;
        let mut differ = expected.len() ^ presented.len();
        for (i, byte) in expected.iter().enumerate() {
            differ |= usize::from(byte ^ presented.get(i).copied().unwrap_or(0));
        }
        std::hint::black_box(differ) == 0
    }
}

pub(super) struct Control {
    pub(super) handle: SupervisorHandle,
    pub(super) token: Token,
}

pub(super) async fn call(
    State(control): State<Arc<Control>>,
    Path((action, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let presented =
        headers.get(header::AUTHORIZATION).and_then(|v| v.as_bytes().strip_prefix(b"Bearer ")).unwrap_or_default();
    if !control.token.matches(presented) {
        tracing::warn!(action = %action, path = %path, "control call without the right token");
        let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
        return (StatusCode::UNAUTHORIZED, challenge, "a control call needs `Authorization: Bearer <token>`")
            .into_response();
    }
    let action = match action.as_str() {
        "restart" => ControlAction::Restart,
        "terminate" => ControlAction::Terminate,
        "kill" => ControlAction::Kill,
        _ => return (StatusCode::NOT_FOUND, "the actions are `restart`, `terminate` and `kill`").into_response(),
    };
    let (parent, id) = match path.trim_matches('/').rsplit_once('/') {
        Some((parent, id)) => (control.handle.nested(parent), id.to_string()),
        None => (control.handle.clone(), path.trim_matches('/').to_string()),
    };
    let outcome = run(&parent, action, &id).await;
    let child = format!("{}/{id}", parent.path());
    let error = outcome.as_ref().err().map(|e| Arc::from(e.to_string()));
    control.handle.publish(Event::Control { path: child.as_str().into(), action, error });
    match outcome {
        Ok(()) => (StatusCode::OK, format!("{} {child}: ok", action.name())).into_response(),
        Err(error) => (status(&error), error.to_string()).into_response(),
    }
}

async fn run(parent: &SupervisorHandle, action: ControlAction, id: &str) -> Result<(), ControlError> {
    match action {
        // OTP's way: stop it in order, then start it again. A child that
        // stopping forgets (temporary, or dynamic) is refused untouched.
        ControlAction::Restart => {
            let spec = parent.child_spec(id).await?;
            if spec.restart_type() == crate::Restart::Temporary {
                let why = "a temporary child is forgotten once stopped, so it cannot be restarted";
                return Err(ControlError::Unsupported { supervisor: Arc::from(parent.path()), why });
            }
            parent.terminate_child(id).await?;
            parent.restart_child(id).await
        }
        ControlAction::Terminate => parent.terminate_child(id).await,
        _ => parent.kill_child(id).await,
    }
}

fn status(error: &ControlError) -> StatusCode {
    match error {
        ControlError::NotFound { .. } | ControlError::NotASupervisor { .. } => StatusCode::NOT_FOUND,
        ControlError::ShuttingDown { .. } => StatusCode::SERVICE_UNAVAILABLE,
        ControlError::StartFailed { .. } => StatusCode::BAD_GATEWAY,
        _ => StatusCode::CONFLICT,
    }
}
