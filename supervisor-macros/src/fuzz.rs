//! Feeds both macros many garbled token streams (random ones, and
//! mutations of valid inputs) and checks that they never panic and always
//! return tokens: an expansion or compile errors.
//!
//! 4,000 rounds in CI. A longer run, with another seed:
//! `FUZZ_ROUNDS=1000000 FUZZ_SEED=42 cargo test --release -p supervisor-macros fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::quote;

/// SplitMix64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const WORDS: [&str; 24] = [
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
    "wait_ready",
    "crate",
    "async",
    "fn",
    "ctx",
    "Ctx",
    "one_for_all",
    "transient",
    "brutal",
];
const PUNCTS: [char; 9] = [',', ':', '=', ';', '&', '<', '>', '-', '#'];

fn random_token(rng: &mut Rng, depth: usize) -> TokenTree {
    let span = Span::call_site();
    match rng.below(if depth > 2 { 4 } else { 5 }) {
        0 => TokenTree::Ident(Ident::new(WORDS[rng.below(WORDS.len())], span)),
        1 => TokenTree::Punct(Punct::new(PUNCTS[rng.below(PUNCTS.len())], Spacing::Alone)),
        2 => {
            let literals =
                ["0", "3", "10s", "0s", "500ms", "1.5", "2min", "\"app\"", "true", "7sec", "99999999999999999999999h"];
            let text = literals[rng.below(literals.len())];
            TokenTree::Literal(text.parse::<Literal>().unwrap_or_else(|_| Literal::u8_unsuffixed(1)))
        }
        3 => TokenTree::Ident(Ident::new("x", span)),
        _ => {
            let delimiters = [Delimiter::Parenthesis, Delimiter::Bracket, Delimiter::Brace, Delimiter::None];
            let inner: TokenStream = (0..rng.below(6)).map(|_| random_token(rng, depth + 1)).collect();
            TokenTree::Group(Group::new(delimiters[rng.below(4)], inner))
        }
    }
}

/// Deletes, duplicates, swaps or replaces tokens, at any depth.
fn mutate(tokens: TokenStream, rng: &mut Rng) -> TokenStream {
    let mut list: Vec<TokenTree> = tokens.into_iter().collect();
    for _ in 0..=rng.below(3) {
        if list.is_empty() {
            list.push(random_token(rng, 0));
            continue;
        }
        let i = rng.below(list.len());
        match rng.below(5) {
            0 => {
                list.remove(i);
            }
            1 => {
                let copy = list[i].clone();
                list.insert(i, copy);
            }
            2 => {
                let j = rng.below(list.len());
                list.swap(i, j);
            }
            3 => list[i] = random_token(rng, 0),
            _ => {
                if let TokenTree::Group(group) = &list[i] {
                    let mut inner = Group::new(group.delimiter(), mutate(group.stream(), rng));
                    inner.set_span(group.span());
                    list[i] = TokenTree::Group(inner);
                }
            }
        }
    }
    list.into_iter().collect()
}

fn survives(what: &str, input: &TokenStream, run: impl FnOnce() -> TokenStream) {
    let output = catch_unwind(AssertUnwindSafe(run));
    match output {
        Ok(tokens) => assert!(!tokens.is_empty(), "{what} returned nothing for: {input}"),
        Err(_) => panic!("{what} panicked on: {input}"),
    }
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
                conns: dynamic { child: connection, max: 100, intensity: 5 per 1s },
            ],
            shutdown_order: [api, [workers, conns], db],
        },
        quote! { name: "x", children: [a: a()] },
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
            quote!(significant, restart = temporary, wait_ready = 1s),
            quote!(
                pub async fn job(ctx: Ctx) {}
            ),
        ),
    ]
}

#[test]
fn garbled_and_mutated_inputs_never_panic() {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let mut rng = Rng(env("FUZZ_SEED", 0x5eed));
    for round in 0..env("FUZZ_ROUNDS", 4000) as usize {
        let trees = valid_trees();
        let base = trees[round % trees.len()].clone();
        let input = if round % 4 == 0 {
            (0..rng.below(12)).map(|_| random_token(&mut rng, 0)).collect()
        } else {
            let mut input = base;
            for _ in 0..=rng.below(4) {
                input = mutate(input, &mut rng);
            }
            input
        };
        survives("supervisor!", &input, || crate::tree::supervisor(input.clone()));

        let children = valid_children();
        let (args, item) = children[round % children.len()].clone();
        let (args, item) = match round % 3 {
            0 => (mutate(args, &mut rng), item),
            1 => (args, mutate(item, &mut rng)),
            _ => (mutate(args, &mut rng), mutate(item, &mut rng)),
        };
        let shown = quote!(#[child(#args)] #item);
        survives("#[child]", &shown, || crate::child::child(args.clone(), item.clone()));
    }
}
