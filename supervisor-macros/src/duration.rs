//! Durations with units: `500ms`, `5s`, `1.5s`, `2min`, `1h`.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

use crate::suggest;

const UNITS: [&str; 5] = ["us", "ms", "s", "min", "h"];

/// A duration literal, in nanoseconds, with its span.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dur {
    pub(crate) nanos: u128,
    pub(crate) span: Span,
}

impl Dur {
    /// Parses a literal with a unit; zero is an error.
    pub(crate) fn parse(tokens: &TokenStream, what: &str) -> syn::Result<Dur> {
        let dur = Dur::parse_any(tokens, what)?;
        if dur.nanos == 0 {
            let hint = if what.contains("ready") { ": give it time to start, or remove `wait_ready`" } else { "" };
            return Err(syn::Error::new(dur.span, format!("{what} must be greater than zero{hint}")));
        }
        Ok(dur)
    }

    /// Parses a literal with a unit; zero included.
    pub(crate) fn parse_any(tokens: &TokenStream, what: &str) -> syn::Result<Dur> {
        if let Some(error) = spaced_unit(tokens) {
            return Err(error);
        }
        let lit: syn::Lit = syn::parse2(tokens.clone()).map_err(|_| {
            syn::Error::new_spanned(tokens, format!("expected a duration for {what}, such as `500ms`, `5s` or `2min`"))
        })?;
        let span = lit.span();
        let (digits, suffix) = match &lit {
            syn::Lit::Int(int) => (int.base10_digits().to_string(), int.suffix().to_string()),
            syn::Lit::Float(float) => (float.base10_digits().to_string(), float.suffix().to_string()),
            _ => {
                return Err(syn::Error::new(
                    span,
                    format!("expected a duration for {what}, such as `500ms`, `5s` or `2min`"),
                ));
            }
        };
        let unit_nanos: u128 = match suffix.as_str() {
            "" => {
                return Err(syn::Error::new(
                    span,
                    format!("{what} needs a unit: write `{digits}ms`, `{digits}s` or `{digits}min`"),
                ));
            }
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "min" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            other => {
                let message = match alias(other) {
                    Some(unit) => format!("unknown duration unit `{other}`: write `{digits}{unit}`"),
                    None => suggest::unknown("duration unit", other, &UNITS),
                };
                return Err(syn::Error::new(span, message));
            }
        };
        let value: f64 = digits.parse().map_err(|_| syn::Error::new(span, "this number is not a valid duration"))?;
        let nanos = value * unit_nanos as f64;
        if !(nanos.is_finite() && nanos < 1e28) {
            return Err(syn::Error::new(span, format!("{what} is too long")));
        }
        let nanos = nanos.round() as u128;
        Ok(Dur { nanos, span })
    }

    /// `Duration::new(secs, nanos)` through the runtime crate's path.
    pub(crate) fn expand(&self, krate: &TokenStream) -> TokenStream {
        let secs = (self.nanos / 1_000_000_000) as u64;
        let nanos = (self.nanos % 1_000_000_000) as u32;
        quote_spanned!(self.span=> #krate::__private::Duration::new(#secs, #nanos))
    }
}

/// `5 s` or `5 secs`: a number, a space, and a unit (or a spelling of one).
fn spaced_unit(stream: &TokenStream) -> Option<syn::Error> {
    let tokens: Vec<proc_macro2::TokenTree> = stream.clone().into_iter().collect();
    let [proc_macro2::TokenTree::Literal(number), proc_macro2::TokenTree::Ident(unit)] = &tokens[..] else {
        return None;
    };
    let unit = unit.to_string();
    let unit = alias(&unit).or_else(|| UNITS.iter().copied().find(|u| *u == unit))?;
    Some(syn::Error::new_spanned(
        stream,
        format!("write the unit right after the number, without a space: `{number}{unit}`"),
    ))
}

/// The unit meant by a common spelling that is not one of ours.
fn alias(unit: &str) -> Option<&'static str> {
    match unit {
        "sec" | "secs" | "second" | "seconds" => Some("s"),
        "msec" | "msecs" | "millis" | "milliseconds" => Some("ms"),
        "m" | "mins" | "minute" | "minutes" => Some("min"),
        "hr" | "hrs" | "hour" | "hours" => Some("h"),
        "micros" | "microseconds" => Some("us"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> Result<u128, String> {
        Dur::parse(&tokens, "the shutdown").map(|d| d.nanos).map_err(|e| e.to_string())
    }

    #[test]
    fn units_and_mistakes() {
        assert_eq!(parse(quote!(500ms)), Ok(500_000_000));
        assert_eq!(parse(quote!(1.5s)), Ok(1_500_000_000));
        assert_eq!(parse(quote!(2min)), Ok(120_000_000_000));
        assert_eq!(parse(quote!(250us)), Ok(250_000));
        assert!(parse(quote!(5)).unwrap_err().contains("needs a unit"));
        assert!(parse(quote!(5sec)).unwrap_err().contains("write `5s`"));
        assert!(parse(quote!(5sc)).unwrap_err().contains("did you mean `s`"));
        assert!(parse(quote!(0s)).unwrap_err().contains("greater than zero"));
        assert!(parse(quote!(soon)).unwrap_err().contains("expected a duration"));
    }
}
