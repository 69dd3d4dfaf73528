//! Every control call with every kind of wrong input returns a typed error:
//! one table, one tree.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Action, Lab, settle};
use supervisor_core::{
    Backoff, ChildSpec, ChildTemplate, ControlError, Ctx, ExitReason, Restart, SpecError, SupervisorHandle,
    SupervisorSpec,
};

fn id(s: &str) -> Arc<str> {
    Arc::from(s)
}

#[tokio::test(start_paused = true)]
async fn every_wrong_call_is_a_typed_error() {
    let lab = Lab::new();
    let pool =
        SupervisorSpec::dynamic("pool", ChildTemplate::new(|ctx: Ctx, _n: u32| async move { ctx.cancelled().await }))
            .max_children(1)
            .build()
            .unwrap();
    let running = common::start(
        SupervisorSpec::builder("app")
            .child(lab.worker("running"))
            .child(lab.worker("returned").restart(Restart::Transient))
            .child(lab.worker("backing_off").backoff(Backoff::new(Duration::from_secs(60), Duration::from_secs(60))))
            .child(ChildSpec::supervisor(pool)),
    )
    .await;
    lab.tell("returned", Action::Return).await;
    lab.tell("backing_off", Action::Fail("boom")).await;
    settle().await;
    let app = running.handle();
    let pool = app.nested("pool");
    pool.dynamic::<u32>().start_child(1).await.unwrap();

    type Call = fn(SupervisorHandle) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ControlError>>>>;
    let unsupported = |why| ControlError::Unsupported { supervisor: id("app/pool"), why };
    let table: Vec<(&str, &SupervisorHandle, Call, ControlError)> = vec![
        (
            "restart an unknown child",
            &app,
            |h| Box::pin(async move { h.restart_child("nope").await }),
            ControlError::NotFound { id: id("nope") },
        ),
        (
            "restart a running child",
            &app,
            |h| Box::pin(async move { h.restart_child("running").await }),
            ControlError::Running { id: id("running") },
        ),
        (
            "restart a child backing off",
            &app,
            |h| Box::pin(async move { h.restart_child("backing_off").await }),
            ControlError::Restarting { id: id("backing_off") },
        ),
        (
            "terminate an unknown child",
            &app,
            |h| Box::pin(async move { h.terminate_child("nope").await }),
            ControlError::NotFound { id: id("nope") },
        ),
        (
            "delete an unknown child",
            &app,
            |h| Box::pin(async move { h.delete_child("nope").await }),
            ControlError::NotFound { id: id("nope") },
        ),
        (
            "delete a running child",
            &app,
            |h| Box::pin(async move { h.delete_child("running").await }),
            ControlError::Running { id: id("running") },
        ),
        (
            "delete a child backing off",
            &app,
            |h| Box::pin(async move { h.delete_child("backing_off").await }),
            ControlError::Restarting { id: id("backing_off") },
        ),
        (
            "start a child whose id is running",
            &app,
            |h| {
                Box::pin(async move {
                    h.start_child(ChildSpec::worker("running", |c: Ctx| async move { c.cancelled().await })).await
                })
            },
            ControlError::AlreadyStarted { id: id("running") },
        ),
        (
            "start a child whose stopped spec is kept",
            &app,
            |h| {
                Box::pin(async move {
                    h.start_child(ChildSpec::worker("returned", |c: Ctx| async move { c.cancelled().await })).await
                })
            },
            ControlError::AlreadyPresent { id: id("returned") },
        ),
        (
            "start an invalid spec",
            &app,
            |h| {
                Box::pin(async move {
                    h.start_child(ChildSpec::worker("bad/id", |c: Ctx| async move { c.cancelled().await })).await
                })
            },
            ControlError::Spec(SpecError::InvalidId { id: id("bad/id") }),
        ),
        (
            "start a child that fails to start",
            &app,
            |h| {
                Box::pin(async move {
                    h.start_child(
                        ChildSpec::worker("broken", |_c: Ctx| async { Err::<(), _>("no") })
                            .wait_ready(Duration::from_secs(1)),
                    )
                    .await
                })
            },
            ControlError::StartFailed { id: id("broken"), reason: ExitReason::Failed(id("no")) },
        ),
        (
            "a dynamic start on a static supervisor",
            &app,
            |h| Box::pin(async move { h.dynamic::<u32>().start_child(1).await.map(drop) }),
            ControlError::Unsupported {
                supervisor: id("app"),
                why: "it is not dynamic: start children with a ChildSpec",
            },
        ),
        (
            "a dynamic start beyond max_children",
            &pool,
            |h| Box::pin(async move { h.dynamic::<u32>().start_child(2).await.map(drop) }),
            ControlError::Full { supervisor: id("app/pool"), max: 1 },
        ),
        (
            "a dynamic start with the wrong arguments",
            &pool,
            |h| Box::pin(async move { h.dynamic::<String>().start_child("x".into()).await.map(drop) }),
            ControlError::WrongArguments { supervisor: id("app/pool"), given: "alloc::string::String" },
        ),
        (
            "restart on a dynamic supervisor",
            &pool,
            |h| Box::pin(async move { h.restart_child("1").await }),
            unsupported("dynamic children are restarted only by their restart type"),
        ),
        (
            "delete on a dynamic supervisor",
            &pool,
            |h| Box::pin(async move { h.delete_child("1").await }),
            unsupported("dynamic children are deleted by terminate_child"),
        ),
        (
            "a static start on a dynamic supervisor",
            &pool,
            |h| {
                Box::pin(async move {
                    h.start_child(ChildSpec::worker("w", |c: Ctx| async move { c.cancelled().await })).await
                })
            },
            unsupported("start dynamic children with DynamicHandle::start_child"),
        ),
    ];
    for (what, handle, call, expected) in table {
        assert_eq!(call(handle.clone()).await, Err(expected), "{what}");
    }
    let nowhere = app.nested("running");
    assert_eq!(nowhere.which_children().await, Err(ControlError::NotASupervisor { path: id("app/running") }));
    assert_eq!(
        app.nested("ghost/deeper").count_children().await,
        Err(ControlError::NotASupervisor { path: id("app/ghost") })
    );

    running.shutdown().await.unwrap();
    for (what, result) in [
        ("which_children", app.which_children().await.map(drop)),
        ("restart_child", app.restart_child("running").await),
        ("start_child", app.start_child(lab.worker("late")).await),
    ] {
        assert_eq!(result, Err(ControlError::ShuttingDown { supervisor: id("app") }), "{what} after shutdown");
    }
}
