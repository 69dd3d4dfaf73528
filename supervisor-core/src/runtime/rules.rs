//! The rules a supervisor loop decides by: its spec's policies, the state
//! they carry (the intensity window, the jitter source), and what makes it
//! dynamic.

use std::sync::Arc;

use super::supervisor::Link;
use crate::dynamic::Template;
use crate::lease::Lease;
use crate::partition::{Budget, Partitions};
use crate::policy::auto_shutdown::AutoShutdown;
use crate::policy::decision;
use crate::policy::intensity::{Intensity, IntensityWindow};
use crate::policy::rng::JitterRng;
use crate::policy::strategy::Strategy;
use crate::supervisor_spec::SupervisorSpec;

#[derive(Debug)]
pub(crate) struct Rules {
    pub(crate) strategy: Strategy,
    pub(crate) window: IntensityWindow,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) rng: JitterRng,
    /// The explicit shutdown stages, by child id (as the spec names them).
    pub(crate) stages: Option<Arc<[Vec<Arc<str>>]>>,
    /// For a dynamic supervisor, the template of its children.
    pub(crate) template: Option<Arc<Template>>,
    /// For a partitioned dynamic supervisor, its partitions as handles
    /// reach them.
    pub(crate) partitions: Option<Arc<Partitions>>,
    /// For a partition, the whole it belongs to (for `max_children`).
    pub(crate) whole: Option<Arc<Partitions>>,
    pub(crate) abort_grace: std::time::Duration,
    /// The lease store of its singletons: its own, or its parent's.
    pub(crate) leases: Option<Arc<dyn Lease>>,
}

impl Rules {
    pub(crate) fn new(spec: &SupervisorSpec, link: &Link) -> Self {
        Rules {
            strategy: spec.strategy,
            window: IntensityWindow::new(spec.intensity),
            auto_shutdown: spec.auto_shutdown,
            rng: spec.jitter_seed.map_or_else(JitterRng::from_entropy, JitterRng::seeded),
            stages: spec.shutdown_stages.clone(),
            template: spec.dynamic.clone(),
            partitions: spec.partitioned.map(|shape| Arc::new(Partitions::new(&spec.name, shape))),
            whole: link.whole.clone(),
            abort_grace: spec.abort_grace,
            leases: spec.leases.clone().or_else(|| link.leases.clone()),
        }
    }

    pub(crate) fn intensity(&self) -> Intensity {
        self.window.limit()
    }

    /// For a partition, the whole's `max_children`.
    pub(crate) fn budget(&self) -> Option<&Budget> {
        self.whole.as_deref().and_then(Partitions::budget)
    }

    pub(crate) fn is_dynamic(&self) -> bool {
        self.template.is_some()
    }

    /// The rules as a decision reads and moves them.
    pub(crate) fn for_decision(&mut self) -> decision::Rules<'_> {
        decision::Rules {
            strategy: self.strategy,
            auto_shutdown: self.auto_shutdown,
            window: &mut self.window,
            rng: &mut self.rng,
        }
    }
}
