//! The shutdown plan: in which order a supervisor stops its children.
//!
//! OTP's rule: one at a time, in reverse start order, each under its own
//! shutdown setting; a dynamic supervisor's children all at once, under one
//! shared deadline. With explicit stages (`shutdown_order`), the children
//! named in a stage stop together once the stage before it has stopped;
//! children the stages do not name (added at run time) stop first, newest
//! first, one at a time.

use std::collections::HashSet;
use std::hash::Hash;

/// One step of a shutdown: the children it stops, and the next step waits
/// for all of them to have ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stage<T> {
    /// One child (no allocation: the common case).
    One(T),
    /// These children, concurrently.
    All(Vec<T>),
}

/// The stages that stop `order` (the children in start order), given the
/// spec's explicit `stages` if it has any.
pub(crate) fn shutdown_plan<T: Copy + Eq + Hash>(
    order: &[T],
    stages: Option<&[Vec<T>]>,
    dynamic: bool,
) -> Vec<Stage<T>> {
    match stages {
        None if dynamic => vec![Stage::All(order.to_vec())],
        None => order.iter().rev().map(|&child| Stage::One(child)).collect(),
        Some(stages) => {
            let named: HashSet<T> = stages.iter().flatten().copied().collect();
            let unnamed = order.iter().rev().filter(|child| !named.contains(child)).map(|&child| Stage::One(child));
            unnamed
                .chain(stages.iter().filter(|stage| !stage.is_empty()).map(|stage| Stage::All(stage.clone())))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_start_order_one_at_a_time_by_default() {
        assert_eq!(shutdown_plan(&[1, 2, 3], None, false), [Stage::One(3), Stage::One(2), Stage::One(1)]);
        assert_eq!(shutdown_plan::<u8>(&[], None, false), []);
    }

    #[test]
    fn a_dynamic_supervisor_stops_all_at_once() {
        assert_eq!(shutdown_plan(&[1, 2, 3], None, true), [Stage::All(vec![1, 2, 3])]);
    }

    #[test]
    fn explicit_stages_follow_children_they_do_not_name_newest_first() {
        let stages = [vec![2], vec![1, 3]];
        assert_eq!(
            shutdown_plan(&[1, 2, 3, 4, 5], Some(&stages), false),
            [Stage::One(5), Stage::One(4), Stage::All(vec![2]), Stage::All(vec![1, 3])]
        );
    }

    #[test]
    fn a_stage_whose_children_are_all_gone_is_skipped() {
        let stages = [vec![], vec![1]];
        assert_eq!(shutdown_plan(&[1], Some(&stages), false), [Stage::All(vec![1])]);
    }
}
