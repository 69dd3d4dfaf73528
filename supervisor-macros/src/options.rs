//! The options of one child, spelt the same in `#[child(key = value)]` and
//! in a tree entry's `{ key: value }`: restart, shutdown, backoff,
//! significant, wait_ready, gates_readiness, singleton.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

use crate::duration::Dur;
use crate::errors::Errors;
use crate::fields::{Field, Seen, Sep, Value, parse_fields, span_of, word};
use crate::singleton::SingletonOpts;
use crate::suggest;

pub(crate) const CHILD_KEYS: [&str; 7] =
    ["restart", "shutdown", "backoff", "significant", "wait_ready", "gates_readiness", "singleton"];
const RESTARTS: [&str; 3] = ["permanent", "transient", "temporary"];
const BACKOFF_KEYS: [&str; 4] = ["min", "max", "jitter", "reset_after"];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RestartKind {
    Permanent,
    Transient,
    Temporary,
}

#[derive(Clone, Copy)]
pub(crate) enum ShutdownKind {
    Brutal,
    Infinity,
    Timeout(Dur),
}

pub(crate) struct BackoffOpts {
    span: Span,
    min: Dur,
    max: Dur,
    jitter: Option<(f64, Span)>,
    reset_after: Option<Dur>,
}

#[derive(Default)]
pub(crate) struct ChildOptions {
    pub(crate) restart: Option<(RestartKind, Span)>,
    shutdown: Option<(ShutdownKind, Span)>,
    backoff: Option<BackoffOpts>,
    significant: Option<(bool, Span)>,
    wait_ready: Option<Dur>,
    gates_readiness: Option<(bool, Span)>,
    pub(crate) singleton: Option<SingletonOpts>,
    /// Keys seen, to report a key given twice even when its value was bad.
    seen: Seen,
}

impl ChildOptions {
    /// Reads `field` if it is a child option; `false` if it is not one.
    pub(crate) fn take(&mut self, field: &Field, sep: Sep, errors: &mut Errors) -> bool {
        let name = field.name();
        if !CHILD_KEYS.contains(&name.as_str()) {
            return false;
        }
        if !self.seen.first(&field.key, errors) {
            return true;
        }
        match name.as_str() {
            "restart" => self.restart = errors.ok(parse_restart(field, sep)),
            "shutdown" => {
                let value = field.tokens(sep, "10s").and_then(|tokens| {
                    let kind = match word(tokens).map(|w| w.to_string()).as_deref() {
                        Some("brutal") => ShutdownKind::Brutal,
                        Some("infinity") => ShutdownKind::Infinity,
                        // Zero is valid: ask, then abort at once.
                        _ => ShutdownKind::Timeout(Dur::parse_any(tokens, "the shutdown timeout").map_err(|e| {
                            let hint = "`brutal`, `infinity`, or a timeout such as `10s`";
                            match word(tokens) {
                                Some(w) => {
                                    syn::Error::new(w.span(), format!("unknown shutdown `{w}`: expected {hint}"))
                                }
                                None => e,
                            }
                        })?),
                    };
                    Ok((kind, span_of(tokens)))
                });
                self.shutdown = errors.ok(value);
            }
            "backoff" => {
                let expects =
                    format!("{}, {}, {}", sep.join("min", "50ms"), sep.join("max", "5s"), sep.join("jitter", "0.2"));
                if let Some(group) = errors.ok(field.group(&expects)) {
                    self.backoff = parse_backoff(field.key.span(), group.stream(), sep, errors);
                }
            }
            "significant" => self.significant = errors.ok(flag(field, "significant")),
            "gates_readiness" => self.gates_readiness = errors.ok(flag(field, "gates_readiness")),
            "singleton" => self.singleton = SingletonOpts::parse(field, sep, errors),
            _ => {
                let value = field.tokens(sep, "5s").and_then(|t| Dur::parse(t, "the ready timeout"));
                self.wait_ready = errors.ok(value);
            }
        }
        true
    }

    /// Whether it declares `restart = temporary`.
    pub(crate) fn is_temporary(&self) -> bool {
        matches!(self.restart, Some((RestartKind::Temporary, _)))
    }

    /// Checks combinations. `restart_is_known`: the restart type is the one
    /// given here or the default (an attribute), not one declared elsewhere
    /// (a tree entry overriding a `#[child]`).
    pub(crate) fn check(&self, restart_is_known: bool, sep: Sep, errors: &mut Errors) {
        let transient = sep.join("restart", "transient");
        let temporary = sep.join("restart", "temporary");
        let restart = self.restart.map(|(r, _)| r).or(restart_is_known.then_some(RestartKind::Permanent));
        if let (Some(backoff), Some(RestartKind::Temporary)) = (&self.backoff, restart) {
            errors.at(
                backoff.span,
                format!("a temporary child is never restarted, so it takes no backoff: remove `backoff` or use `{transient}`"),
            );
        }
        if let Some(backoff) = &self.backoff {
            if backoff.min.nanos > backoff.max.nanos {
                errors.at(backoff.min.span, "backoff `min` is longer than `max`: the delays grow from min up to max");
            }
            if let Some((jitter, span)) = backoff.jitter.filter(|(jitter, _)| !(0.0..=1.0).contains(jitter)) {
                errors.at(span, format!("`jitter` must be between 0 and 1, not {jitter}"));
            }
        }
        if let Some(singleton) = &self.singleton {
            // A worker's default shutdown is known only where its restart is.
            let shutdown = match self.shutdown {
                Some((ShutdownKind::Brutal, span)) => Some((Some(0), span)),
                Some((ShutdownKind::Timeout(d), span)) => Some((Some(d.nanos), span)),
                Some((ShutdownKind::Infinity, span)) => Some((None, span)),
                None => restart_is_known.then_some((Some(5_000_000_000), singleton.span)),
            };
            singleton.check(shutdown, sep, errors);
        }
        if let (Some((true, span)), Some(RestartKind::Permanent)) = (self.significant, restart) {
            let default = if self.restart.is_none() { " (permanent is the default)" } else { "" };
            errors.at(
                span,
                format!("a permanent child cannot be significant{default}: use `{transient}` or `{temporary}`"),
            );
        }
    }

    /// Calls on a `ChildSpec` (or `ChildTemplate`) expression that set these options.
    pub(crate) fn apply(&self, spec: TokenStream, krate: &TokenStream) -> TokenStream {
        let mut out = spec;
        if let Some((restart, span)) = self.restart {
            let variant = match restart {
                RestartKind::Permanent => quote_spanned!(span=> Permanent),
                RestartKind::Transient => quote_spanned!(span=> Transient),
                RestartKind::Temporary => quote_spanned!(span=> Temporary),
            };
            out = quote_spanned!(span=> #out.restart(#krate::__private::Restart::#variant));
        }
        if let Some((shutdown, span)) = self.shutdown {
            let value = match shutdown {
                ShutdownKind::Brutal => quote_spanned!(span=> #krate::__private::Shutdown::Brutal),
                ShutdownKind::Infinity => {
                    quote_spanned!(span=> #krate::__private::Shutdown::Infinity)
                }
                ShutdownKind::Timeout(d) => {
                    let d = d.expand(krate);
                    quote_spanned!(span=> #krate::__private::Shutdown::Timeout(#d))
                }
            };
            out = quote_spanned!(span=> #out.shutdown(#value));
        }
        if let Some(b) = &self.backoff {
            let (min, max) = (b.min.expand(krate), b.max.expand(krate));
            let mut backoff = quote_spanned!(b.span=> #krate::__private::Backoff::new(#min, #max));
            if let Some((jitter, span)) = b.jitter {
                backoff = quote_spanned!(span=> #backoff.jitter(#jitter));
            }
            if let Some(reset) = &b.reset_after {
                let reset = reset.expand(krate);
                backoff = quote_spanned!(b.span=> #backoff.reset_after(#reset));
            }
            out = quote_spanned!(b.span=> #out.backoff(#backoff));
        }
        if let Some((significant, span)) = self.significant {
            out = quote_spanned!(span=> #out.significant(#significant));
        }
        if let Some((gates, span)) = self.gates_readiness {
            out = quote_spanned!(span=> #out.gates_readiness(#gates));
        }
        if let Some(timeout) = &self.wait_ready {
            let timeout_tokens = timeout.expand(krate);
            out = quote_spanned!(timeout.span=> #out.wait_ready(#timeout_tokens));
        }
        if let Some(singleton) = &self.singleton {
            out = singleton.apply(out, krate);
        }
        out
    }
}

/// A yes-or-no option: written alone (yes), or `true` or `false`.
fn flag(field: &Field, name: &str) -> syn::Result<(bool, Span)> {
    let error = |span| syn::Error::new(span, format!("`{name}` is `true` or `false`"));
    match &field.value {
        Value::Flag => Ok((true, field.key.span())),
        Value::Tokens(tokens) => match syn::parse2::<syn::LitBool>(tokens.clone()) {
            Ok(lit) => Ok((lit.value, lit.span)),
            Err(_) => Err(error(span_of(tokens))),
        },
        Value::Group(group) => Err(error(group.span())),
    }
}

fn parse_restart(field: &Field, sep: Sep) -> syn::Result<(RestartKind, Span)> {
    let tokens = field.tokens(sep, "transient")?;
    let Some(word) = word(tokens) else {
        return Err(syn::Error::new(span_of(tokens), "expected `permanent`, `transient` or `temporary`"));
    };
    let kind = match word.to_string().as_str() {
        "permanent" => RestartKind::Permanent,
        "transient" => RestartKind::Transient,
        "temporary" => RestartKind::Temporary,
        other => {
            return Err(syn::Error::new(word.span(), suggest::unknown("restart type", other, &RESTARTS)));
        }
    };
    Ok((kind, word.span()))
}

fn parse_backoff(span: Span, tokens: TokenStream, sep: Sep, errors: &mut Errors) -> Option<BackoffOpts> {
    let (mut min, mut max, mut jitter, mut reset_after) = (None, None, None, None);
    let mut seen = Seen::default();
    for field in parse_fields(tokens, sep, errors) {
        let name = field.name();
        let key = &field.key;
        if !seen.first(key, errors) {
            continue;
        }
        match name.as_str() {
            "min" => {
                min = errors.ok(field.tokens(sep, "50ms").and_then(|t| Dur::parse(t, "backoff min")));
            }
            "max" => {
                max = errors.ok(field.tokens(sep, "5s").and_then(|t| Dur::parse(t, "backoff max")));
            }
            "jitter" => jitter = errors.ok(field.tokens(sep, "0.2").and_then(parse_jitter)),
            "reset_after" => {
                reset_after = errors.ok(field.tokens(sep, "30s").and_then(|t| Dur::parse(t, "backoff reset_after")));
            }
            other => errors.at(key.span(), suggest::unknown("backoff key", other, &BACKOFF_KEYS)),
        }
    }
    let (Some(min), Some(max)) = (min, max) else {
        let example = format!("backoff({}, {})", sep.join("min", "50ms"), sep.join("max", "5s"));
        errors.at(span, format!("`backoff` needs both `min` and `max`: `{example}`"));
        return None;
    };
    Some(BackoffOpts { span, min, max, jitter, reset_after })
}

fn parse_jitter(tokens: &TokenStream) -> syn::Result<(f64, Span)> {
    let error = |span| syn::Error::new(span, "`jitter` is a fraction between 0 and 1, such as `0.2`");
    let value = match syn::parse2::<syn::Lit>(tokens.clone()).map_err(|_| error(span_of(tokens)))? {
        syn::Lit::Float(f) if f.suffix().is_empty() => (f.base10_parse::<f64>()?, f.span()),
        syn::Lit::Int(i) if i.suffix().is_empty() => (i.base10_parse::<f64>()?, i.span()),
        other => return Err(error(other.span())),
    };
    Ok(value)
}
