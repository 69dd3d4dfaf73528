//! `#[child(...)]`: parse the attribute and the function, check both
//! (collecting every error), then expand.
//!
//! On error, as tokio-macros and thiserror do, the expansion still gives
//! the program something to build against: if only options are wrong, the
//! function is still marked as a child, with the options that did parse,
//! so a tree that uses it shows no false follow-on error; if its signature
//! is wrong, it is emitted as written, so the IDE keeps working.

mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

pub(crate) fn child(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let attr = attr::ChildAttr::parse(args, &mut errors);
    attr.validate(&mut errors);
    let function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let span = item.clone().into_iter().next().map_or_else(proc_macro2::Span::call_site, |t| t.span());
            errors.at(span, "#[child] goes on an `async fn`, not on this item");
            let errors = errors.into_compile_errors();
            return quote!(#errors #item);
        }
    };
    let mut signature = Errors::default();
    let checked = valid::ChildFn::check(&function, &mut signature);
    if signature.is_empty() {
        // Options that did not parse are left out; the errors say so.
        let expanded = expand::expand(&attr, &checked);
        let errors = errors.into_compile_errors();
        return quote!(#errors #expanded);
    }
    errors.extend(signature);
    let errors = errors.into_compile_errors();
    // Without the qualifiers already reported, so rustc does not report
    // them again.
    let mut function = function;
    (function.sig.constness, function.sig.abi, function.sig.unsafety) = (None, None, None);
    quote!(#errors #function)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn errors_of(args: TokenStream, item: TokenStream) -> String {
        child(args, item).to_string()
    }

    #[test]
    fn every_mistake_is_reported_at_once_and_the_function_kept() {
        let out = errors_of(
            quote!(restart = transiant, shutdown = 5, colour = red),
            quote!(
                fn worker(&self, x: &str) {}
            ),
        );
        for expected in [
            "did you mean `transient`",
            "needs a unit",
            "unknown option `colour`",
            "goes on an `async fn`",
            "cannot take `self`",
            "must be owned",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in {out}");
        }
        assert!(out.contains("fn worker"), "the function is kept: {out}");
    }

    #[test]
    fn a_valid_child_expands_to_a_marked_function_and_its_options() {
        let out = child(
            quote!(restart = transient, shutdown = 10s, backoff(min = 50ms, max = 5s, jitter = 0.2)),
            quote!(
                async fn consumer(ctx: Ctx, topic: String) -> Result<(), E> {
                    Ok(())
                }
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("__consumer_child_options"), "{out}");
        assert!(out.contains("Restart :: Transient"), "{out}");
    }
}
