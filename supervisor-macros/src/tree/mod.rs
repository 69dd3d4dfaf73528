//! `supervisor! { ... }`: read -> check -> expand. On error the macro still
//! yields a value of the right type, so the IDE keeps completing.

mod ast;
mod expand;
mod valid;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::errors::Errors;

pub(crate) fn supervisor(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let tree = ast::Tree::parse(Span::call_site(), input, false, &mut errors);
    valid::check(&tree, false, &mut errors);
    let krate = tree.krate.clone().unwrap_or_else(|| quote!(::supervisor_core));
    if errors.is_empty() {
        return expand::expand(&tree, &krate);
    }
    let errors = errors.into_compile_errors();
    quote! {
        {
            #errors
            #krate::__private::invalid_tree()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(input: TokenStream) -> String {
        supervisor(input).to_string()
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let out = errors(quote! {
            strategy: one_for_al,
            intensity: 3,
            children: [
                a: worker(),
                a: worker() { restart: transiant },
                b: supervisor { children: [] },
                c: 42,
            ],
            shutdown_order: [a, zz],
            colour: red,
        });
        for expected in [
            "a supervisor needs a name",
            "did you mean `one_for_all`",
            "intensity needs a period",
            "two children are named `a`",
            "did you mean `transient`",
            "`children` is empty",
            "expected a `#[child]` function call for `c`",
            "unknown child in shutdown_order `zz`",
            "leaves out `b`",
            "unknown key `colour`",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in {out}");
        }
        assert!(out.contains("invalid_tree"), "still yields a value: {out}");
    }

    #[test]
    fn a_valid_tree_expands_to_builder_calls() {
        let out = errors(quote! {
            name: "app",
            strategy: rest_for_one,
            intensity: 3 per 10s,
            children: [
                db: pool(cfg.clone()),
                api: server() { shutdown: 30s },
                workers: supervisor { strategy: one_for_all, children: [w: worker()] },
                conns: dynamic { child: connection, max: 100 },
            ],
            shutdown_order: [api, [workers, conns], db],
        });
        assert!(!out.contains("compile_error"), "{out}");
        for expected in [
            "SupervisorSpec :: builder (\"app\")",
            "Strategy :: RestForOne",
            "shutdown_stage ([\"workers\" , \"conns\"])",
            "max_children (100)",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in {out}");
        }
    }
}
