//! Procedural macros for `supervisor-core`: `#[child]` and `supervisor!`.
//!
//! Users depend on `supervisor-core`, which re-exports both; the grammar is
//! documented there. Each macro reads its input, checks it (collecting every
//! error, each spanned on the offending token) and expands into calls to
//! supervisor-core's public builders. No input makes a macro panic.

mod child;
mod duration;
mod errors;
mod fields;
#[cfg(test)]
mod fuzz;
mod options;
mod singleton;
mod suggest;
mod tree;

use proc_macro::TokenStream;

/// Marks an `async fn` as a supervised child (grammar in `supervisor_core::child`).
#[proc_macro_attribute]
pub fn child(args: TokenStream, item: TokenStream) -> TokenStream {
    child::child(args.into(), item.into()).into()
}

/// Declares a supervision tree (grammar in `supervisor_core::supervisor`).
#[proc_macro]
pub fn supervisor(input: TokenStream) -> TokenStream {
    tree::supervisor(input.into()).into()
}
