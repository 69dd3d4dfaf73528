//! Feeds both macros many garbled token streams (random ones, and
//! mutations of valid inputs) and checks that they never panic and always
//! return tokens: an expansion or compile errors. A failure is shrunk to
//! the smallest garbling that still fails.
//!
//! 5,000 cases each in CI. A longer run:
//! `PROPTEST_CASES=1000000 cargo test --release -p supervisor-macros fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::Index;
use quote::quote;

const WORDS: [&str; 33] = [
    "name",
    "strategy",
    "intensity",
    "per",
    "children",
    "supervisor",
    "dynamic",
    "child",
    "max",
    "restart",
    "shutdown",
    "backoff",
    "min",
    "jitter",
    "significant",
    "gates_readiness",
    "partitions",
    "workers",
    "wait_ready",
    "crate",
    "async",
    "fn",
    "ctx",
    "Ctx",
    "one_for_all",
    "transient",
    "brutal",
    "spec",
    "group",
    "unsafe",
    "const",
    "extern",
    "instrument",
];
const PUNCTS: [char; 9] = [',', ':', '=', ';', '&', '<', '>', '-', '#'];
const LITERALS: [&str; 11] =
    ["0", "3", "10s", "0s", "500ms", "1.5", "2min", "\"app\"", "true", "7sec", "99999999999999999999999h"];
const DELIMITERS: [Delimiter; 4] = [Delimiter::Parenthesis, Delimiter::Bracket, Delimiter::Brace, Delimiter::None];

/// A token, as proptest generates and shrinks it.
#[derive(Clone, Debug)]
enum Tok {
    Word(Index),
    Punct(Index),
    Literal(Index),
    Group(Index, Vec<Tok>),
}

impl Tok {
    fn tree(&self) -> TokenTree {
        match self {
            Tok::Word(i) => TokenTree::Ident(Ident::new(WORDS[i.index(WORDS.len())], Span::call_site())),
            Tok::Punct(i) => TokenTree::Punct(Punct::new(*i.get(&PUNCTS[..]), Spacing::Alone)),
            Tok::Literal(i) => TokenTree::Literal(
                i.get(&LITERALS[..]).parse::<Literal>().unwrap_or_else(|_| Literal::u8_unsuffixed(1)),
            ),
            Tok::Group(delimiter, inner) => {
                TokenTree::Group(Group::new(*delimiter.get(&DELIMITERS[..]), inner.iter().map(Tok::tree).collect()))
            }
        }
    }
}

fn tok() -> impl Strategy<Value = Tok> {
    let leaf = prop_oneof![
        any::<Index>().prop_map(Tok::Word),
        any::<Index>().prop_map(Tok::Punct),
        any::<Index>().prop_map(Tok::Literal),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        (any::<Index>(), prop::collection::vec(inner, 0..6)).prop_map(|(d, tokens)| Tok::Group(d, tokens))
    })
}

/// One change to a token stream, at any depth.
#[derive(Clone, Debug)]
enum Edit {
    Remove(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Replace(Index, Tok),
    /// Edits inside the group at this position (if it is one).
    Inside(Index, Vec<Edit>),
}

fn edit() -> impl Strategy<Value = Edit> {
    let leaf = prop_oneof![
        any::<Index>().prop_map(Edit::Remove),
        any::<Index>().prop_map(Edit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Edit::Swap(i, j)),
        (any::<Index>(), tok()).prop_map(|(i, t)| Edit::Replace(i, t)),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        (any::<Index>(), prop::collection::vec(inner, 1..3)).prop_map(|(i, edits)| Edit::Inside(i, edits))
    })
}

fn apply(tokens: TokenStream, edits: &[Edit]) -> TokenStream {
    let mut list: Vec<TokenTree> = tokens.into_iter().collect();
    for edit in edits {
        if list.is_empty() {
            continue;
        }
        match edit {
            Edit::Remove(i) => {
                list.remove(i.index(list.len()));
            }
            Edit::Duplicate(i) => {
                let i = i.index(list.len());
                list.insert(i, list[i].clone());
            }
            Edit::Swap(i, j) => {
                let (i, j) = (i.index(list.len()), j.index(list.len()));
                list.swap(i, j);
            }
            Edit::Replace(i, tok) => {
                let i = i.index(list.len());
                list[i] = tok.tree();
            }
            Edit::Inside(i, edits) => {
                let i = i.index(list.len());
                if let TokenTree::Group(group) = &list[i] {
                    let mut inner = Group::new(group.delimiter(), apply(group.stream(), edits));
                    inner.set_span(group.span());
                    list[i] = TokenTree::Group(inner);
                }
            }
        }
    }
    list.into_iter().collect()
}

/// Runs a macro on `input`: it must return tokens, not panic.
fn survives(what: &str, input: &TokenStream, run: impl FnOnce() -> TokenStream) -> Result<(), TestCaseError> {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(tokens) => prop_assert!(!tokens.is_empty(), "{} returned nothing for: {}", what, input),
        Err(_) => prop_assert!(false, "{} panicked on: {}", what, input),
    }
    Ok(())
}

fn valid_trees() -> Vec<TokenStream> {
    vec![
        quote! {
            name: "app",
            strategy: rest_for_one,
            intensity: 3 per 10s,
            auto_shutdown: any_significant,
            children: [
                db: pool(cfg.clone()),
                api: server(1, "x") { shutdown: 30s, restart: transient, backoff(min: 1s, max: 2s, jitter: 0.5) },
                workers: supervisor { strategy: one_for_all, children: [w: worker()], shutdown: infinity },
                conns: dynamic { child: connection, max: 100, intensity: 5 per 1s, partitions: 2 },
            ],
            shutdown_order: [api, [workers, conns], db],
        },
        quote! { name: "x", children: [a: a()] },
        quote! {
            name: "run_time",
            children: [
                db: spec { ChildSpec::from_child("db", move || db(cfg.clone())) },
                pool: group { (0..n).map(|i| make(i)) },
                sub: spec { built_elsewhere },
            ],
            shutdown_order: [pool, [db, sub]],
        },
    ]
}

fn valid_children() -> Vec<(TokenStream, TokenStream)> {
    vec![
        (
            quote!(restart = transient, shutdown = 10s, backoff(min = 50ms, max = 5s, jitter = 0.2), crate = ::sv),
            quote!(
                async fn consumer(ctx: Ctx, topic: Topic) -> Result<(), E> {
                    loop {
                        ctx.cancelled().await;
                    }
                }
            ),
        ),
        (
            quote!(significant, restart = temporary, wait_ready = 1s, gates_readiness = false),
            quote!(
                pub async fn job(ctx: Ctx) {}
            ),
        ),
        (
            quote!(shutdown = brutal),
            quote!(
                #[tracing::instrument]
                async unsafe extern "C" fn forever<'a>(ctx: &Ctx) -> ! {
                    loop {}
                }
            ),
        ),
    ]
}

/// A valid input, garbled, or random tokens.
fn garbled(valid: Vec<TokenStream>) -> impl Strategy<Value = TokenStream> {
    prop_oneof![
        1 => prop::collection::vec(tok(), 0..12).prop_map(|tokens| tokens.iter().map(Tok::tree).collect()),
        3 => (prop::sample::select(valid), prop::collection::vec(edit(), 1..5))
            .prop_map(|(input, edits)| apply(input, &edits)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(5000),
        // A failure is shrunk and printed; it then becomes a test of its own.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_garbled_tree_never_panics(input in garbled(valid_trees())) {
        survives("supervisor!", &input, || crate::tree::supervisor(input.clone()))?;
    }

    #[test]
    fn a_garbled_child_never_panics(
        (args, item) in prop::sample::select(valid_children()),
        args_edits in prop::collection::vec(edit(), 0..4),
        item_edits in prop::collection::vec(edit(), 0..4),
    ) {
        let (args, item) = (apply(args, &args_edits), apply(item, &item_edits));
        let shown = quote!(#[child(#args)] #item);
        survives("#[child]", &shown, || crate::child::child(args.clone(), item.clone()))?;
    }
}
