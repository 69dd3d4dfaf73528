//! Splits `key = value, flag, group(...)` lists into fields, loosely: a
//! malformed field is an error and the rest are still read, so one input
//! reports all its mistakes at once.

use proc_macro2::{Delimiter, Group, Ident, Spacing, Span, TokenStream, TokenTree};

use crate::errors::Errors;

/// Whether a list spells `key = value` (attributes) or `key: value` (trees).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    Eq,
    Colon,
}

impl Sep {
    pub(crate) fn char(self) -> char {
        match self {
            Sep::Eq => '=',
            Sep::Colon => ':',
        }
    }

    /// How a key and value are written: `key = value` or `key: value`.
    pub(crate) fn join(self, key: &str, value: &str) -> String {
        match self {
            Sep::Eq => format!("{key} = {value}"),
            Sep::Colon => format!("{key}: {value}"),
        }
    }
}

pub(crate) enum Value {
    /// `key` alone.
    Flag,
    /// `key = tokens`.
    Tokens(TokenStream),
    /// `key(...)`.
    Group(Group),
}

pub(crate) struct Field {
    pub(crate) key: Ident,
    pub(crate) value: Value,
}

impl Field {
    pub(crate) fn name(&self) -> String {
        self.key.to_string()
    }

    /// The value tokens, or an error that says what the key expects.
    pub(crate) fn tokens(&self, sep: Sep, expects: &str) -> syn::Result<&TokenStream> {
        match &self.value {
            Value::Tokens(tokens) => Ok(tokens),
            _ => Err(syn::Error::new(
                self.key.span(),
                format!("`{}` expects a value: `{}`", self.key, sep.join(&self.key.to_string(), expects)),
            )),
        }
    }

    /// The group's tokens, for `key(...)`.
    pub(crate) fn group(&self, expects: &str) -> syn::Result<&Group> {
        match &self.value {
            Value::Group(group) => Ok(group),
            _ => Err(syn::Error::new(
                self.key.span(),
                format!("`{}` expects a list: `{}({expects})`", self.key, self.key),
            )),
        }
    }
}

/// Splits on top-level commas (commas inside `()`, `[]` or `{}` belong to
/// their group).
pub(crate) fn split_commas(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut segments = vec![Vec::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => segments.push(Vec::new()),
            _ => segments.last_mut().into_iter().for_each(|s| s.push(token.clone())),
        }
    }
    segments.retain(|s| !s.is_empty());
    segments
}

/// [`split_commas`] for `key: value` lists, where a comma left out shows as
/// a second `key:` inside one segment: that is reported, and the segment
/// split there, so the rest reads as if the comma were there.
pub(crate) fn split_keyed(tokens: TokenStream, errors: &mut Errors) -> Vec<Vec<TokenTree>> {
    let mut out = Vec::new();
    for segment in split_commas(tokens) {
        let mut start = 0;
        for i in 3..segment.len() {
            let starts_key = matches!(&segment[i], TokenTree::Ident(_))
                && matches!(&segment[i + 1..], [TokenTree::Punct(p), ..] if p.as_char() == ':' && p.spacing() == Spacing::Alone)
                && !matches!(&segment[i - 1], TokenTree::Punct(p) if p.as_char() == ':');
            if starts_key && i > start + 2 {
                errors.at(
                    segment[i].span(),
                    format!("expected `,` before `{}`: separate entries with commas", segment[i]),
                );
                out.push(segment[start..i].to_vec());
                start = i;
            }
        }
        out.push(segment[start..].to_vec());
    }
    out
}

pub(crate) fn parse_fields(tokens: TokenStream, sep: Sep, errors: &mut Errors) -> Vec<Field> {
    let segments = match sep {
        Sep::Colon => split_keyed(tokens, errors),
        Sep::Eq => split_commas(tokens),
    };
    segments.into_iter().filter_map(|segment| parse_field(segment, sep, errors)).collect()
}

fn parse_field(segment: Vec<TokenTree>, sep: Sep, errors: &mut Errors) -> Option<Field> {
    let mut tokens = segment.into_iter();
    let key = match tokens.next() {
        Some(TokenTree::Ident(key)) => key,
        Some(other) => {
            errors.at(other.span(), "expected a key name here");
            return None;
        }
        None => return None,
    };
    let rest: Vec<TokenTree> = tokens.collect();
    let value = match rest.first() {
        None => Value::Flag,
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis && rest.len() == 1 => {
            Value::Group(group.clone())
        }
        Some(TokenTree::Punct(p)) if p.as_char() == sep.char() && !is_path_sep(sep, &rest) => {
            let value: TokenStream = rest[1..].iter().cloned().collect();
            if value.is_empty() {
                errors.at(p.span(), format!("expected a value after `{key} {}`", sep.char()));
                return None;
            }
            Value::Tokens(value)
        }
        Some(other) => {
            errors.at(other.span(), format!("expected `{}` after `{key}`, then its value", sep.char()));
            return None;
        }
    };
    Some(Field { key, value })
}

/// `key::x` is a path, not `key: :x`.
fn is_path_sep(sep: Sep, rest: &[TokenTree]) -> bool {
    sep == Sep::Colon
        && matches!(rest.first(), Some(TokenTree::Punct(p)) if p.spacing() == proc_macro2::Spacing::Joint)
        && matches!(rest.get(1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
}

/// Reports a key given twice; returns whether `slot` was still empty.
/// The keys of one list read so far: the one way a key given twice is
/// found, whatever became of its first value (even one that did not parse).
#[derive(Default)]
pub(crate) struct Seen(Vec<(String, Span)>);

impl Seen {
    /// Whether `key` is new in this list; if not, says so.
    pub(crate) fn first(&mut self, key: &Ident, errors: &mut Errors) -> bool {
        let name = key.to_string();
        if self.has(&name) {
            errors.at(key.span(), format!("`{key}` is given twice: keep one"));
            return false;
        }
        self.0.push((name, key.span()));
        true
    }

    /// Whether `key` was written (whatever its value).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.span(key).is_some()
    }

    /// Where `key` was written.
    pub(crate) fn span(&self, key: &str) -> Option<Span> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, span)| *span)
    }
}

/// The same tokens, every one spanned at `span`, so that an error about
/// them points at the user's token.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The value of `crate`: a path to supervisor-core.
pub(crate) fn crate_path(tokens: &TokenStream) -> syn::Result<syn::Path> {
    syn::parse2::<syn::Path>(tokens.clone()).map_err(|_| {
        syn::Error::new(span_of(tokens), "`crate` is the path to supervisor_core, such as `::my_app::supervisor_core`")
    })
}

/// The span of a token stream's first token.
pub(crate) fn span_of(tokens: &TokenStream) -> Span {
    tokens.clone().into_iter().next().map_or_else(Span::call_site, |t| t.span())
}

/// A single identifier, such as a restart type.
pub(crate) fn word(tokens: &TokenStream) -> Option<Ident> {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Ident(ident)), None) => Some(ident),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn flags_values_groups_and_errors() {
        let mut errors = Errors::default();
        let fields = parse_fields(quote!(a, b = 1, c(x = 2, y = 3), crate = ::x::y, = 4, d 5), Sep::Eq, &mut errors);
        let names: Vec<_> = fields.iter().map(Field::name).collect();
        assert_eq!(names, ["a", "b", "c", "crate"]);
        assert!(matches!(fields[0].value, Value::Flag));
        assert!(matches!(fields[2].value, Value::Group(_)));
        assert!(!errors.is_empty());
        let message = errors.into_compile_errors().to_string();
        assert!(message.contains("expected a key name"), "{message}");
        assert!(message.contains("expected `=` after `d`"), "{message}");
    }

    #[test]
    fn colon_lists_keep_paths_whole() {
        let mut errors = Errors::default();
        let fields = parse_fields(quote!(crate: ::a::b, name: "x"), Sep::Colon, &mut errors);
        assert!(errors.is_empty());
        match &fields[0].value {
            Value::Tokens(tokens) => assert_eq!(tokens.to_string(), ":: a :: b"),
            _ => panic!("expected tokens"),
        }
    }
}
