//! The `singleton(...)` child option: the lease a child runs under, and
//! the check that its literals leave time to stop the child before the
//! lease can pass on.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

use crate::duration::Dur;
use crate::errors::Errors;
use crate::fields::{Field, Seen, Sep, parse_fields, span_of};
use crate::suggest;

const KEYS: [&str; 5] = ["key", "ttl", "renew", "margin", "unreachable_after"];

/// supervisor-core's defaults, for the check when a value is not given.
const DEFAULT_TTL: u128 = 15_000_000_000;
const DEFAULT_RENEW: u128 = 3_000_000_000;
const DEFAULT_MARGIN: u128 = 1_000_000_000;

pub(crate) struct SingletonOpts {
    pub(crate) span: Span,
    key: TokenStream,
    ttl: Option<Dur>,
    renew: Option<Dur>,
    margin: Option<Dur>,
    unreachable_after: Option<Dur>,
}

impl SingletonOpts {
    /// Reads `singleton(key = "...", ttl = 10s, ...)`.
    pub(crate) fn parse(field: &Field, sep: Sep, errors: &mut Errors) -> Option<SingletonOpts> {
        let expects =
            format!("{}, {}, {}", sep.join("key", "\"jobs/cron\""), sep.join("ttl", "10s"), sep.join("renew", "2s"));
        let group = errors.ok(field.group(&expects))?;
        let span = field.key.span();
        let (mut key, mut ttl, mut renew, mut margin, mut unreachable_after) = (None, None, None, None, None);
        let mut seen = Seen::default();
        for field in parse_fields(group.stream(), sep, errors) {
            if !seen.first(&field.key, errors) {
                continue;
            }
            let duration = |example: &str, what: &str| field.tokens(sep, example).and_then(|t| Dur::parse(t, what));
            match field.name().as_str() {
                "key" => key = errors.ok(field.tokens(sep, "\"jobs/cron\"").and_then(parse_key)),
                "ttl" => ttl = errors.ok(duration("10s", "the lease TTL")),
                "renew" => renew = errors.ok(duration("2s", "the renewal interval")),
                "margin" => {
                    margin = errors.ok(field.tokens(sep, "1s").and_then(|t| Dur::parse_any(t, "the margin")));
                }
                "unreachable_after" => unreachable_after = errors.ok(duration("30s", "the unreachable time")),
                other => errors.at(field.key.span(), suggest::unknown("singleton key", other, &KEYS)),
            }
        }
        if key.is_none() && !seen.has("key") {
            errors.at(
                span,
                format!("a singleton needs the key of its lease: `singleton({})`", sep.join("key", "\"jobs/cron\"")),
            );
        }
        Some(SingletonOpts { span, key: key?, ttl, renew, margin, unreachable_after })
    }

    /// Checks that the TTL outlasts renewal, margin and a `shutdown` given
    /// as a literal (`None`: unknown here, checked when the tree is built).
    pub(crate) fn check(&self, shutdown: Option<(Option<u128>, Span)>, sep: Sep, errors: &mut Errors) {
        let Some((stop, shutdown_span)) = shutdown else { return };
        let Some(stop) = stop else {
            let timeout = sep.join("shutdown", "5s");
            return errors.at(
                shutdown_span,
                format!(
                    "a singleton cannot wait for ever to stop: its lease would lapse first; give a timeout, `{timeout}`"
                ),
            );
        };
        let nanos = |d: &Option<Dur>, default| d.as_ref().map_or(default, |d| d.nanos);
        let (ttl, renew, margin) =
            (nanos(&self.ttl, DEFAULT_TTL), nanos(&self.renew, DEFAULT_RENEW), nanos(&self.margin, DEFAULT_MARGIN));
        let needed = renew.saturating_add(margin).saturating_add(stop);
        if ttl <= needed {
            let span = self.ttl.as_ref().map_or(self.span, |ttl| ttl.span);
            let secs = |n: u128| std::time::Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX));
            errors.at(
                span,
                format!(
                    "the lease TTL ({:?}) must exceed the renewal interval ({:?}) plus the margin ({:?}) plus the shutdown timeout ({:?}), {:?} in all: lengthen `ttl` or shorten the others",
                    secs(ttl),
                    secs(renew),
                    secs(margin),
                    secs(stop),
                    secs(needed)
                ),
            );
        }
    }

    /// `.singleton(Singleton::new(key)...)` on the spec expression.
    pub(crate) fn apply(&self, spec: TokenStream, krate: &TokenStream) -> TokenStream {
        let key = &self.key;
        let mut lease = quote_spanned!(self.span=> #krate::lease::Singleton::new(#key));
        for (setter, value) in [
            ("ttl", &self.ttl),
            ("renew_every", &self.renew),
            ("margin", &self.margin),
            ("unreachable_after", &self.unreachable_after),
        ] {
            if let Some(value) = value {
                let setter = syn::Ident::new(setter, value.span);
                let value = value.expand(krate);
                lease = quote_spanned!(self.span=> #lease.#setter(#value));
            }
        }
        quote_spanned!(self.span=> #spec.singleton(#lease))
    }
}

/// The key: a non-empty string literal, or an expression that makes one.
fn parse_key(tokens: &TokenStream) -> syn::Result<TokenStream> {
    if let Ok(literal) = syn::parse2::<syn::LitStr>(tokens.clone()) {
        if literal.value().is_empty() {
            return Err(syn::Error::new(literal.span(), "the lease key is empty: name it, such as `\"jobs/cron\"`"));
        }
    }
    syn::parse2::<syn::Expr>(tokens.clone())
        .map(|_| tokens.clone())
        .map_err(|_| syn::Error::new(span_of(tokens), "the lease key is a string, such as `\"jobs/cron\"`"))
}
