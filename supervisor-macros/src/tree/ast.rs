//! Reading a tree: every key, entry and value, each mistake recorded and
//! the reading carried on.

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::quote;

use crate::duration::Dur;
use crate::errors::Errors;
use crate::fields::{Field, Seen, Sep, Value, parse_fields, span_of, split_commas, split_keyed, word};
use crate::options::{CHILD_KEYS, ChildOptions};
use crate::suggest;

const TOP_KEYS: [&str; 9] =
    ["name", "strategy", "intensity", "auto_shutdown", "abort_grace", "leases", "children", "shutdown_order", "crate"];
/// A choice among named values, parsed to its variant with its span: the
/// expansion names the variant and never reads the word again.
pub(crate) struct Choice {
    /// The variant of supervisor-core's enum, such as `RestForOne`.
    pub(crate) variant: &'static str,
    pub(crate) span: Span,
}

/// How each strategy and auto-shutdown is spelt, and its variant.
const STRATEGIES: [(&str, &str); 3] =
    [("one_for_one", "OneForOne"), ("one_for_all", "OneForAll"), ("rest_for_one", "RestForOne")];
const AUTO_SHUTDOWNS: [(&str, &str); 3] =
    [("never", "Never"), ("any_significant", "AnySignificant"), ("all_significant", "AllSignificant")];
const DYNAMIC_KEYS: [&str; 4] = ["child", "max", "intensity", "partitions"];

pub(crate) struct Intensity {
    pub(crate) max: u32,
    pub(crate) period: Dur,
    pub(crate) span: Span,
}

/// A supervisor: the top level, or a nested `supervisor { ... }` entry.
pub(crate) struct Tree {
    pub(crate) span: Span,
    pub(crate) name: Option<syn::LitStr>,
    pub(crate) strategy: Option<Choice>,
    pub(crate) intensity: Option<Intensity>,
    pub(crate) auto_shutdown: Option<Choice>,
    pub(crate) abort_grace: Option<Dur>,
    /// The lease store of the singletons below it: an expression.
    pub(crate) leases: Option<syn::Expr>,
    /// The brackets' span, the entries read, and how many were written.
    pub(crate) children: Option<(Span, Vec<Entry>, usize)>,
    pub(crate) shutdown_order: Option<(Span, Vec<Vec<Ident>>)>,
    pub(crate) krate: Option<TokenStream>,
    /// For a nested supervisor: its own options as a child of its parent.
    pub(crate) options: ChildOptions,
    /// Every key written, good value or not.
    pub(crate) keys: Seen,
}

/// `partitions: N`, or `partitions: workers` (one per runtime worker).
pub(crate) enum Partitions {
    Count(usize, syn::LitInt),
    Workers(Span),
}

pub(crate) struct Entry {
    pub(crate) key: Ident,
    pub(crate) kind: EntryKind,
}

pub(crate) enum EntryKind {
    /// `key: function(args) { options }`
    /// `parens` spans the call's parentheses, so rustc's suggestions for
    /// its arguments land inside them.
    Call { function: syn::Path, args: Vec<syn::Expr>, parens: Option<Span>, options: Box<ChildOptions> },
    /// `key: supervisor { ... }`
    Nested(Box<Tree>),
    /// `key: dynamic { child: function, max: N, intensity: ... }`
    /// `child` is `None` when missing or written wrong; `keys` says which.
    Dynamic {
        child: Option<syn::Path>,
        max: Option<(usize, syn::LitInt)>,
        intensity: Option<Intensity>,
        partitions: Option<Partitions>,
        span: Span,
        keys: Seen,
    },
    /// `key: spec { expr }`: a `ChildSpec` or `SupervisorSpec` made at run
    /// time, named by the key.
    Prebuilt(syn::Expr),
    /// `key: group { iter }`: children made at run time, in this place.
    Group(syn::Expr),
}

impl Tree {
    /// Reads a tree body; `nested` is false for the top level.
    pub(crate) fn parse(span: Span, tokens: TokenStream, nested: bool, errors: &mut Errors) -> Tree {
        let mut tree = Tree {
            span,
            name: None,
            strategy: None,
            intensity: None,
            auto_shutdown: None,
            abort_grace: None,
            leases: None,
            children: None,
            shutdown_order: None,
            krate: None,
            options: ChildOptions::default(),
            keys: Seen::default(),
        };
        for field in parse_fields(tokens, Sep::Colon, errors) {
            if tree.keys.first(&field.key, errors) {
                tree.take(&field, nested, errors);
            }
        }
        tree
    }

    fn take(&mut self, field: &Field, nested: bool, errors: &mut Errors) {
        let key = &field.key;
        let name = field.name();
        match name.as_str() {
            "name" => {
                let name = field.tokens(Sep::Colon, "\"app\"").and_then(|t| {
                    syn::parse2::<syn::LitStr>(t.clone())
                        .map_err(|_| syn::Error::new(span_of(t), "`name` is a string literal, such as `name: \"app\"`"))
                });
                self.name = errors.ok(name);
            }
            "strategy" => {
                self.strategy = errors.ok(one_of(field, "strategy", &STRATEGIES));
            }
            "auto_shutdown" => {
                self.auto_shutdown = errors.ok(one_of(field, "auto_shutdown", &AUTO_SHUTDOWNS));
            }
            "abort_grace" => {
                self.abort_grace =
                    errors.ok(field.tokens(Sep::Colon, "1s").and_then(|t| Dur::parse(t, "the abort grace")));
            }
            "leases" => {
                let store = field.tokens(Sep::Colon, "etcd.clone()").and_then(|t| {
                    syn::parse2::<syn::Expr>(t.clone()).map_err(|_| {
                        syn::Error::new(
                            span_of(t),
                            "`leases` is an expression that makes a lease store, such as `etcd.clone()`",
                        )
                    })
                });
                self.leases = errors.ok(store);
            }
            "intensity" => {
                self.intensity = errors.ok(field.tokens(Sep::Colon, "3 per 10s").and_then(parse_intensity));
            }
            "children" => {
                if let Some(group) = errors.ok(bracketed(field, "children: [db: pool(), api: server()]")) {
                    let segments = split_keyed(group.stream(), errors);
                    let written = segments.len();
                    let entries = segments.into_iter().filter_map(|segment| Entry::parse(segment, errors)).collect();
                    self.children = Some((group.span(), entries, written));
                }
            }
            "shutdown_order" => {
                if let Some(group) = errors.ok(bracketed(field, "shutdown_order: [api, [workers, cache], db]")) {
                    self.shutdown_order = Some((group.span(), parse_stages(group.stream(), errors)));
                }
            }
            "crate" => {
                let path = field.tokens(Sep::Colon, "::supervisor_core").and_then(crate::fields::crate_path);
                self.krate = errors.ok(path.map(|p| quote!(#p)));
            }
            _ if nested && self.options.take(field, Sep::Colon, errors) => {}
            other if CHILD_KEYS.contains(&other) => errors.at(
                key.span(),
                format!(
                    "`{other}` is an option of a child: give it to an entry, as `api: server() {{ {other}: ... }}`"
                ),
            ),
            other => {
                let keys: Vec<&str> = if nested {
                    TOP_KEYS.iter().copied().filter(|k| !["name", "crate"].contains(k)).chain(CHILD_KEYS).collect()
                } else {
                    TOP_KEYS.to_vec()
                };
                errors.at(key.span(), suggest::unknown("key", other, &keys));
            }
        }
    }
}

impl Entry {
    fn parse(segment: Vec<TokenTree>, errors: &mut Errors) -> Option<Entry> {
        let mut tokens = segment.into_iter().peekable();
        let key = match tokens.next() {
            Some(TokenTree::Ident(key)) => key,
            Some(other) => {
                errors.at(other.span(), "expected a child entry: `name: function(args)`");
                return None;
            }
            None => return None,
        };
        match tokens.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == ':' => {}
            other => {
                let span = other.map_or(key.span(), |t| t.span());
                errors.at(span, format!("expected `:` after the child's name `{key}`, as in `{key}: function(args)`"));
                return None;
            }
        }
        let rest: Vec<TokenTree> = tokens.collect();
        let Some(first_token) = rest.first() else {
            errors.at(key.span(), format!("`{key}` needs a child: `{key}: function(args)`"));
            return None;
        };
        let kind = match (&rest[..], word_of(first_token).as_deref()) {
            ([_, TokenTree::Group(body)], Some("supervisor")) if body.delimiter() == Delimiter::Brace => {
                EntryKind::Nested(Box::new(Tree::parse(body.span(), body.stream(), true, errors)))
            }
            ([_, TokenTree::Group(body)], Some("dynamic")) if body.delimiter() == Delimiter::Brace => {
                parse_dynamic(body.span(), body.stream(), errors)?
            }
            ([_, TokenTree::Group(body)], Some(word @ ("spec" | "group"))) if body.delimiter() == Delimiter::Brace => {
                let what = if word == "spec" {
                    "a `spec { ... }` entry holds an expression: a `ChildSpec` or `SupervisorSpec` made at run time"
                } else {
                    "a `group { ... }` entry holds an expression: an iterator of `ChildSpec`s made at run time"
                };
                let expr = match syn::parse2::<syn::Expr>(body.stream()) {
                    Ok(expr) => expr,
                    Err(_) => {
                        errors.at(body.span(), what);
                        return None;
                    }
                };
                if word == "spec" { EntryKind::Prebuilt(expr) } else { EntryKind::Group(expr) }
            }
            _ => parse_call(&key, rest, errors)?,
        };
        Some(Entry { key, kind })
    }
}

fn word_of(token: &TokenTree) -> Option<String> {
    match token {
        TokenTree::Ident(ident) => Some(ident.to_string()),
        _ => None,
    }
}

fn parse_call(key: &Ident, mut rest: Vec<TokenTree>, errors: &mut Errors) -> Option<EntryKind> {
    let mut options = ChildOptions::default();
    if let Some(TokenTree::Group(group)) = rest.last() {
        if group.delimiter() == Delimiter::Brace {
            for field in parse_fields(group.stream(), Sep::Colon, errors) {
                if !options.take(&field, Sep::Colon, errors) {
                    errors.at(field.key.span(), suggest::unknown("child option", &field.name(), &CHILD_KEYS));
                }
            }
            rest.pop();
        }
    }
    let tokens: TokenStream = rest.into_iter().collect();
    let expected = || {
        format!(
            "expected a `#[child]` function call for `{key}`, such as `{key}: worker(arg)`, \
             a nested `supervisor {{ ... }}`, or `dynamic {{ child: worker }}`"
        )
    };
    let expr = match syn::parse2::<syn::Expr>(tokens.clone()) {
        Ok(expr) => expr,
        Err(_) => {
            errors.at(span_of(&tokens), expected());
            return None;
        }
    };
    let (function, args, parens) = match expr {
        syn::Expr::Call(call) => match *call.func {
            syn::Expr::Path(path) if path.qself.is_none() => {
                (path.path, call.args.into_iter().collect(), Some(call.paren_token.span.join()))
            }
            other => {
                errors.push(syn::Error::new_spanned(other, expected()));
                return None;
            }
        },
        syn::Expr::Path(path) if path.qself.is_none() => (path.path, Vec::new(), None),
        other => {
            errors.push(syn::Error::new_spanned(other, expected()));
            return None;
        }
    };
    Some(EntryKind::Call { function, args, parens, options: Box::new(options) })
}

fn parse_dynamic(span: Span, tokens: TokenStream, errors: &mut Errors) -> Option<EntryKind> {
    let (mut child, mut max, mut intensity, mut partitions) = (None, None, None, None);
    let mut seen = Seen::default();
    for field in parse_fields(tokens, Sep::Colon, errors) {
        let key = &field.key;
        if !seen.first(key, errors) {
            continue;
        }
        match field.name().as_str() {
            "child" => {
                let path = field.tokens(Sep::Colon, "worker").and_then(|t| {
                    syn::parse2::<syn::Path>(t.clone()).map_err(|_| {
                        syn::Error::new(span_of(t), "`child` names a `#[child]` function, without arguments")
                    })
                });
                child = errors.ok(path);
            }
            "max" => {
                let lit = field.tokens(Sep::Colon, "1000").and_then(|t| {
                    let lit = syn::parse2::<syn::LitInt>(t.clone()).map_err(|_| {
                        syn::Error::new(span_of(t), "`max` is a whole number of children, such as `max: 1000`")
                    })?;
                    let value = lit
                        .base10_parse::<usize>()
                        .map_err(|_| syn::Error::new(lit.span(), "`max` is a whole number of children"))?;
                    Ok((value, lit))
                });
                max = errors.ok(lit);
            }
            "intensity" => {
                intensity = errors.ok(field.tokens(Sep::Colon, "3 per 10s").and_then(parse_intensity));
            }
            "partitions" => {
                let value = field.tokens(Sep::Colon, "4").and_then(|t| {
                    let error = || {
                        syn::Error::new(
                            span_of(t),
                            "`partitions` is a whole number, such as `partitions: 4`, or `workers` for one per runtime worker",
                        )
                    };
                    if let Some(word) = word(t).filter(|w| *w == "workers") {
                        return Ok(Partitions::Workers(word.span()));
                    }
                    let lit = syn::parse2::<syn::LitInt>(t.clone()).map_err(|_| error())?;
                    let value = lit.base10_parse::<usize>().map_err(|_| error())?;
                    Ok(Partitions::Count(value, lit))
                });
                partitions = errors.ok(value);
            }
            other => errors.at(key.span(), suggest::unknown("dynamic key", other, &DYNAMIC_KEYS)),
        }
    }
    Some(EntryKind::Dynamic { child, max, intensity, partitions, span, keys: seen })
}

fn one_of(field: &Field, what: &str, choices: &[(&str, &'static str)]) -> syn::Result<Choice> {
    let words: Vec<&str> = choices.iter().map(|(word, _)| *word).collect();
    let tokens = field.tokens(Sep::Colon, words[0])?;
    let Some(word) = word(tokens) else {
        return Err(syn::Error::new(span_of(tokens), format!("expected a {what}: one of `{}`", words.join("`, `"))));
    };
    match choices.iter().find(|(spelling, _)| word == spelling) {
        Some((_, variant)) => Ok(Choice { variant, span: word.span() }),
        None => Err(syn::Error::new(word.span(), suggest::unknown(what, &word.to_string(), &words))),
    }
}

fn parse_intensity(tokens: &TokenStream) -> syn::Result<Intensity> {
    let parts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let span = span_of(tokens);
    let shape = || syn::Error::new(span, "intensity is written `3 per 10s`: at most 3 restarts within any 10 seconds");
    let max = match parts.first() {
        Some(TokenTree::Literal(lit)) => match syn::parse2::<syn::LitInt>(quote!(#lit)) {
            Ok(int) if int.suffix().is_empty() => int
                .base10_parse::<u32>()
                .map_err(|_| syn::Error::new(int.span(), "the restart count is a whole number, such as `3`"))?,
            _ => {
                return Err(syn::Error::new(lit.span(), "the restart count is a whole number, such as `3`"));
            }
        },
        _ => return Err(shape()),
    };
    match parts.get(1) {
        Some(TokenTree::Ident(per)) if per == "per" => {}
        Some(other) => {
            return Err(syn::Error::new(other.span(), "expected `per` and a period: `3 per 10s`"));
        }
        None => {
            return Err(syn::Error::new(span, format!("intensity needs a period: `{max} per 10s`")));
        }
    }
    let period_tokens: TokenStream = parts[2..].iter().cloned().collect();
    if period_tokens.is_empty() {
        return Err(syn::Error::new(parts[1].span(), format!("intensity needs a period after `per`: `{max} per 10s`")));
    }
    let period = Dur::parse(&period_tokens, "the intensity period")?;
    Ok(Intensity { max, period, span })
}

fn bracketed(field: &Field, example: &str) -> syn::Result<proc_macro2::Group> {
    let error = || syn::Error::new(field.key.span(), format!("`{}` is a list in brackets: `{example}`", field.key));
    match &field.value {
        Value::Tokens(tokens) => {
            let mut iter = tokens.clone().into_iter();
            match (iter.next(), iter.next()) {
                (Some(TokenTree::Group(group)), None) if group.delimiter() == Delimiter::Bracket => Ok(group),
                _ => Err(error()),
            }
        }
        _ => Err(error()),
    }
}

fn parse_stages(tokens: TokenStream, errors: &mut Errors) -> Vec<Vec<Ident>> {
    let mut stages = Vec::new();
    for segment in split_commas(tokens) {
        match &segment[..] {
            [TokenTree::Ident(id)] => stages.push(vec![id.clone()]),
            [TokenTree::Group(group)] if group.delimiter() == Delimiter::Bracket => {
                let mut stage = Vec::new();
                for inner in split_commas(group.stream()) {
                    match &inner[..] {
                        [TokenTree::Ident(id)] => stage.push(id.clone()),
                        other => errors.at(
                            other.first().map_or(group.span(), TokenTree::span),
                            "a shutdown stage lists child names: `[workers, cache]`",
                        ),
                    }
                }
                stages.push(stage);
            }
            other => errors.at(
                other.first().map_or(Span::call_site(), TokenTree::span),
                "`shutdown_order` lists child names, or stages of names in brackets: `[api, [workers, cache], db]`",
            ),
        }
    }
    stages
}
