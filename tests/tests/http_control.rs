//! Control over HTTP (feature `http`): off by default, behind a bearer
//! token when on, every call published as an event.

mod common;

use std::time::Duration;

use common::Lab;
use common::http::{get_json, send, serve};
use supervisor_core::http::{Endpoints, TokenError};
use supervisor_core::{ControlAction, Event, SupervisorSpec};

const TOKEN: &str = "s3cret-token-of-some-length";
const AUTH: &str = "Authorization: Bearer s3cret-token-of-some-length";

async fn state_of(addr: std::net::SocketAddr, index: usize) -> (String, u64) {
    let (_, tree) = get_json(addr, "/tree").await;
    let child = &tree["children"][index];
    (child["state"].as_str().unwrap_or_default().to_string(), child["generation"].as_u64().unwrap_or(u64::MAX))
}

#[tokio::test]
async fn a_short_token_is_refused() {
    let lab = Lab::new();
    let running = common::start(SupervisorSpec::builder("app").child(lab.worker("db"))).await;
    let refused = Endpoints::new(running.handle()).control("hunter2").map(|_| ());
    assert_eq!(refused, Err(TokenError::TooShort(7)));
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_calls_need_the_token_act_on_the_child_and_are_published() {
    let lab = Lab::new();
    let inner = SupervisorSpec::builder("sub").child(lab.worker("leaf")).build().unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("db"))
            .child(supervisor_core::ChildSpec::supervisor(inner))
            .child(lab.worker("once").restart(supervisor_core::Restart::Temporary)),
    )
    .await;
    let handle = running.handle();
    let mut events = handle.subscribe();
    let addr = serve(Endpoints::new(handle.clone()).control(TOKEN).unwrap()).await;

    // No token, a wrong one, one of another length: 401, and nothing done.
    for auth in [None, Some("Authorization: Bearer s3cret-token-of-some-lengtH"), Some("Authorization: Bearer s3")] {
        let answer = send(addr, "POST", "/control/kill/db", auth.as_slice()).await;
        assert_eq!(answer.status, 401, "{auth:?}");
        assert!(answer.head.contains("www-authenticate: bearer"), "{}", answer.head);
    }
    assert_eq!(state_of(addr, 0).await, ("running".to_string(), 0));

    // Kill: aborted, restarted (permanent).
    let answer = send(addr, "POST", "/control/kill/db", &[AUTH]).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "kill app/db: ok"));
    for _ in 0..500 {
        if state_of(addr, 0).await == ("running".to_string(), 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state_of(addr, 0).await, ("running".to_string(), 1));

    // Terminate: stopped, and stays so; restart: running again.
    assert_eq!(send(addr, "POST", "/control/terminate/db", &[AUTH]).await.status, 200);
    assert_eq!(state_of(addr, 0).await.0, "stopped");
    assert_eq!(send(addr, "POST", "/control/restart/db", &[AUTH]).await.status, 200);
    assert_eq!(state_of(addr, 0).await, ("running".to_string(), 2));
    // Restart of a running child: stopped in order, started again.
    assert_eq!(send(addr, "POST", "/control/restart/db", &[AUTH]).await.status, 200);
    assert_eq!(state_of(addr, 0).await, ("running".to_string(), 3));

    // A nested child, by its path below the root.
    assert_eq!(send(addr, "POST", "/control/terminate/sub/leaf", &[AUTH]).await.status, 200);
    let (_, tree) = get_json(addr, "/tree").await;
    assert_eq!(tree["children"][1]["supervisor"]["children"][0]["state"], "stopped");

    // A temporary child would be forgotten by the stop: refused, untouched.
    let answer = send(addr, "POST", "/control/restart/once", &[AUTH]).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("temporary"), "{}", answer.body);
    let (_, tree) = get_json(addr, "/tree").await;
    assert_eq!(tree["children"][2]["state"], "running", "still there, still running");

    // Refused: the right status, and the tree untouched.
    let answer = send(addr, "POST", "/control/terminate/nope", &[AUTH]).await;
    assert_eq!((answer.status, answer.body.as_str()), (404, "no child `nope`"));
    assert_eq!(send(addr, "POST", "/control/kill/sub/leaf", &[AUTH]).await.status, 409, "not running");
    assert_eq!(send(addr, "POST", "/control/explode/db", &[AUTH]).await.status, 404);
    assert_eq!(send(addr, "POST", "/control/kill/no/such/sub", &[AUTH]).await.status, 404);
    assert_eq!(send(addr, "GET", "/control/kill/db", &[AUTH]).await.status, 405);
    let big = send(addr, "POST", "/control/kill/db", &[AUTH, "Content-Length: 100000"]).await;
    assert_eq!(big.status, 413);
    assert_eq!(state_of(addr, 0).await, ("running".to_string(), 3));

    // Every authorised call, done or refused, is an event.
    let mut controls = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::Control { path, action, error } = event {
            controls.push((path.to_string(), action, error.map(|e| e.to_string())));
        }
    }
    let ok = |path: &str, action| (path.to_string(), action, None);
    assert_eq!(
        controls,
        [
            ok("app/db", ControlAction::Kill),
            ok("app/db", ControlAction::Terminate),
            ok("app/db", ControlAction::Restart),
            ok("app/db", ControlAction::Restart),
            ok("app/sub/leaf", ControlAction::Terminate),
            (
                "app/once".to_string(),
                ControlAction::Restart,
                Some(
                    "supervisor `app` does not support this call: a temporary child is forgotten once stopped, so it cannot be restarted"
                        .to_string()
                )
            ),
            ("app/nope".to_string(), ControlAction::Terminate, Some("no child `nope`".to_string())),
            (
                "app/sub/leaf".to_string(),
                ControlAction::Kill,
                Some("child `leaf` is not running: there is nothing to kill".to_string())
            ),
            (
                "app/no/such/sub".to_string(),
                ControlAction::Kill,
                Some("`app/no` is not a running supervisor".to_string())
            ),
        ]
    );

    // The page offers control.
    assert!(send(addr, "GET", "/", &[]).await.body.contains("<body data-control=\"on\">"));
    running.shutdown().await.unwrap();
}
