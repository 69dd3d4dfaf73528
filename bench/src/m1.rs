//! M1: the cost of expanding a `supervisor!` of many children, against
//! parsing the equivalent hand-written builder code.

use std::str::FromStr;
use std::time::{Duration, Instant};

use proc_macro2::TokenStream;

/// (expanding the macro, parsing the builder code it stands for): the best
/// of five runs each.
pub(crate) fn expand_vs_parse(children: usize) -> (Duration, Duration) {
    let entries: Vec<String> = (0..children).map(|i| format!("c{i}: worker(cfg.clone(), {i})")).collect();
    let tree = format!("name: \"m1\", strategy: one_for_all, children: [{}]", entries.join(", "));
    let builders: Vec<String> = (0..children)
        .map(|i| format!(".child(ChildSpec::worker(\"c{i}\", {{ let cfg = cfg.clone(); move |ctx| worker(ctx, cfg.clone(), {i}) }}))"))
        .collect();
    let by_hand = format!("SupervisorSpec::builder(\"m1\").strategy(Strategy::OneForAll){}.build()", builders.concat());

    let best = |run: &dyn Fn()| {
        (0..5)
            .map(|_| {
                let t0 = Instant::now();
                run();
                t0.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let expand = best(&|| {
        let input = TokenStream::from_str(&tree).unwrap_or_default();
        let output = crate::tree::supervisor(input);
        assert!(!output.to_string().contains("compile_error"), "the M1 tree is valid");
    });
    let parse = best(&|| {
        let input = TokenStream::from_str(&by_hand).unwrap_or_default();
        let expr: syn::Result<syn::Expr> = syn::parse2(input);
        assert!(expr.is_ok(), "the M1 builder code parses");
    });
    (expand, parse)
}
