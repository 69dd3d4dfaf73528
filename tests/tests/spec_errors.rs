//! Every invalid spec built at run time is a typed error, never a panic.

use std::time::Duration;

use supervisor_core::{Backoff, ChildSpec, Ctx, Intensity, Restart, Shutdown, SpecError, SupervisorSpec};

fn idle(id: &'static str) -> ChildSpec {
    ChildSpec::worker(id, |ctx: Ctx| async move { ctx.cancelled().await })
}

const MS: fn(u64) -> Duration = Duration::from_millis;

#[test]
fn every_invalid_spec_is_a_typed_error() {
    let cases: Vec<(&str, supervisor_core::SupervisorBuilder, SpecError)> = vec![
        (
            "duplicate ids",
            SupervisorSpec::builder("app").child(idle("a")).child(idle("a")),
            SpecError::DuplicateChild { supervisor: "app".into(), id: "a".into() },
        ),
        (
            "zero period",
            SupervisorSpec::builder("app").intensity(Intensity::new(1, Duration::ZERO)),
            SpecError::ZeroPeriod { supervisor: "app".into() },
        ),
        (
            "backoff min > max",
            SupervisorSpec::builder("app").child(idle("a").backoff(Backoff::new(MS(10), MS(5)))),
            SpecError::InvalidBackoff { child: "a".into(), problem: "backoff min must not exceed max" },
        ),
        (
            "backoff min zero",
            SupervisorSpec::builder("app").child(idle("a").backoff(Backoff::new(MS(0), MS(5)))),
            SpecError::InvalidBackoff { child: "a".into(), problem: "backoff min must be greater than zero" },
        ),
        (
            "jitter out of range",
            SupervisorSpec::builder("app").child(idle("a").backoff(Backoff::new(MS(1), MS(5)).jitter(2.0))),
            SpecError::InvalidBackoff { child: "a".into(), problem: "backoff jitter must be between 0 and 1" },
        ),
        (
            "backoff on temporary",
            SupervisorSpec::builder("app")
                .child(idle("a").restart(Restart::Temporary).backoff(Backoff::new(MS(1), MS(5)))),
            SpecError::BackoffOnTemporary { child: "a".into() },
        ),
        (
            "significant permanent",
            SupervisorSpec::builder("app").child(idle("a").significant(true)),
            SpecError::SignificantPermanent { child: "a".into() },
        ),
        (
            "significant child under auto_shutdown never",
            SupervisorSpec::builder("app").child(idle("a").restart(Restart::Transient).significant(true)),
            SpecError::SignificantWithoutAutoShutdown { child: "a".into() },
        ),
        (
            "zero ready timeout",
            SupervisorSpec::builder("app").child(idle("a").wait_ready(Duration::ZERO)),
            SpecError::ZeroReadyTimeout { child: "a".into() },
        ),
        (
            "shutdown order names an unknown child",
            SupervisorSpec::builder("app").child(idle("a")).shutdown_order(["a", "b"]),
            SpecError::ShutdownOrderUnknown { id: "b".into() },
        ),
        (
            "shutdown order leaves a child out",
            SupervisorSpec::builder("app").child(idle("a")).child(idle("b")).shutdown_order(["a"]),
            SpecError::ShutdownOrderMissing { id: "b".into() },
        ),
        (
            "shutdown order repeats a child",
            SupervisorSpec::builder("app").child(idle("a")).shutdown_stage(["a"]).shutdown_stage(["a"]),
            SpecError::ShutdownOrderRepeated { id: "a".into() },
        ),
        ("empty name", SupervisorSpec::builder(""), SpecError::InvalidId { id: "".into() }),
        (
            "zero abort grace",
            SupervisorSpec::builder("app").abort_grace(Duration::ZERO),
            SpecError::ZeroAbortGrace { supervisor: "app".into() },
        ),
        (
            "slash in an id",
            SupervisorSpec::builder("app").child(idle("a/b")),
            SpecError::InvalidId { id: "a/b".into() },
        ),
    ];
    for (what, builder, expected) in cases {
        let error = builder.build().expect_err(what);
        assert_eq!(error, expected, "{what}");
        let message = error.to_string();
        assert!(message.contains(':') || message.contains("use"), "{what}: {message}");
    }
}

#[test]
fn a_valid_spec_builds() {
    let spec = SupervisorSpec::builder("app")
        .auto_shutdown(supervisor_core::AutoShutdown::AnySignificant)
        .child(idle("a").restart(Restart::Transient).significant(true).backoff(Backoff::new(MS(1), MS(1))))
        .child(idle("b").shutdown(Shutdown::Brutal))
        .shutdown_stage(["b", "a"])
        .build()
        .unwrap();
    assert_eq!(spec.children().len(), 2);
}
