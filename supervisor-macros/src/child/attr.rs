//! Reading the attribute's arguments: child options, plus `crate = path`.
//! Their combinations are checked in [`valid`](super::valid).

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;
use crate::fields::{Sep, crate_path, parse_fields};
use crate::options::{CHILD_KEYS, ChildOptions};
use crate::suggest;

pub(super) struct ChildAttr {
    pub(super) options: ChildOptions,
    /// The path to `supervisor_core`, for re-exported setups.
    pub(super) krate: TokenStream,
}

impl ChildAttr {
    pub(super) fn parse(args: TokenStream, errors: &mut Errors) -> ChildAttr {
        let mut options = ChildOptions::default();
        let mut krate: Option<TokenStream> = None;
        let mut seen_crate = crate::fields::Seen::default();
        for field in parse_fields(args, Sep::Eq, errors) {
            if options.take(&field, Sep::Eq, errors) {
                continue;
            }
            if field.name() == "crate" {
                if seen_crate.first(&field.key, errors) {
                    let path = field.tokens(Sep::Eq, "::supervisor_core").and_then(crate_path);
                    krate = errors.ok(path.map(|p| quote!(#p)));
                }
                continue;
            }
            let keys: Vec<&str> = CHILD_KEYS.iter().copied().chain(["crate"]).collect();
            errors.at(field.key.span(), suggest::unknown("option", &field.name(), &keys));
        }
        ChildAttr { options, krate: krate.unwrap_or_else(|| quote!(::supervisor_core)) }
    }
}
