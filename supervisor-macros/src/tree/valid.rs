//! Every check of a tree: the required keys and the keys only the top
//! takes, unique names, a dynamic entry's bounds, each entry's options,
//! and a shutdown order that names every child exactly once.

use std::collections::HashSet;

use super::ast::{EntryKind, Partitions, Tree};
use crate::errors::Errors;
use crate::suggest;

pub(crate) fn check(tree: &Tree, nested: bool, errors: &mut Errors) {
    // A key written with a bad value was reported already.
    if !nested && !tree.keys.has("name") {
        errors.at(tree.span, "a supervisor needs a name: add `name: \"app\",`");
    }
    if nested {
        if let Some(span) = tree.keys.span("name") {
            errors.at(span, "a nested supervisor is named by its entry's key: remove `name`");
        }
        if let Some(span) = tree.keys.span("crate") {
            errors.at(span, "`crate` is given once, at the top of the tree");
        }
    }
    if let Some(name) = &tree.name {
        let value = name.value();
        if value.is_empty() || value.contains('/') {
            errors.at(name.span(), "a supervisor name is a non-empty path segment: no `/`");
        }
    }
    let Some((span, entries, written)) = &tree.children else {
        if !tree.keys.has("children") {
            errors.at(tree.span, "a supervisor needs `children: [...]`");
        }
        return;
    };
    if *written == 0 {
        errors.at(
            *span,
            "`children` is empty: add a child, or use a `dynamic { child: worker }` entry for children started at run time",
        );
    }
    let mut names = HashSet::new();
    for entry in entries {
        if !names.insert(entry.key.to_string()) {
            errors
                .at(entry.key.span(), format!("two children are named `{}`: give each child its own name", entry.key));
        }
        match &entry.kind {
            EntryKind::Nested(inner) => {
                if let Some(singleton) = &inner.options.singleton {
                    errors.at(singleton.span, "only a worker can be a singleton: make the workers below it singletons");
                }
                inner.options.check(true, crate::fields::Sep::Colon, errors);
                check(inner, true, errors);
            }
            EntryKind::Call { options, .. } => options.check(false, crate::fields::Sep::Colon, errors),
            EntryKind::Dynamic { max, partitions, span, keys, .. } => {
                if let Some(Partitions::Count(0, lit)) = partitions {
                    errors.at(lit.span(), "`partitions` must be at least 1");
                }
                if !keys.has("child") {
                    errors.at(*span, "a `dynamic` entry needs `child: function`, the `#[child]` its children run");
                }
                if let Some((0, lit)) = max {
                    errors.at(lit.span(), "`max` must be at least 1");
                }
            }
            _ => {}
        }
    }
    if let Some((span, stages)) = &tree.shutdown_order {
        let known: Vec<String> = entries.iter().map(|e| e.key.to_string()).collect();
        let known_refs: Vec<&str> = known.iter().map(String::as_str).collect();
        let mut named = HashSet::new();
        for id in stages.iter().flatten() {
            let name = id.to_string();
            if !known.contains(&name) {
                errors.at(id.span(), suggest::unknown("child in shutdown_order", &name, &known_refs));
            } else if !named.insert(name.clone()) {
                errors.at(id.span(), format!("`{name}` appears twice in `shutdown_order`: name every child once"));
            }
        }
        let mut missing: Vec<&str> = known_refs.iter().copied().filter(|k| !named.contains(*k)).collect();
        // Two children of one name are reported above; list the name once.
        missing.dedup();
        if !missing.is_empty() {
            errors.at(*span, format!("`shutdown_order` leaves out `{}`: name every child once", missing.join("`, `")));
        }
    }
}
