//! What a child function must look like: `async`, no `self`, not generic,
//! its `Ctx` first, and owned arguments after it.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

use crate::errors::Errors;

pub(super) struct ChildFn<'a> {
    pub(super) function: &'a ItemFn,
    pub(super) output: Type,
}

impl<'a> ChildFn<'a> {
    pub(super) fn check(function: &'a ItemFn, errors: &mut Errors) -> Option<ChildFn<'a>> {
        let sig = &function.sig;
        if sig.asyncness.is_none() {
            errors.at(sig.fn_token.span, "#[child] goes on an `async fn`: add `async` before `fn`");
        }
        if sig.constness.is_some() || sig.abi.is_some() || sig.variadic.is_some() {
            errors.at(sig.span(), "a child is a plain `async fn`: remove `const`, `extern` and `...`");
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.at(
                sig.generics.span(),
                "a child cannot be generic: name concrete types (a supervisor stores one factory per child)",
            );
        }
        let mut inputs = sig.inputs.iter();
        match inputs.next() {
            Some(FnArg::Receiver(receiver)) => {
                errors.at(
                    receiver.span(),
                    "a child cannot take `self`: make it a free function that takes its state as arguments",
                );
            }
            Some(FnArg::Typed(first)) if !is_ctx(&first.ty) => {
                errors.at(
                    first.ty.span(),
                    "the first parameter of a child is its `Ctx`: add `ctx: Ctx` before the others",
                );
            }
            Some(FnArg::Typed(_)) => {}
            None => {
                errors.at(sig.paren_token.span.join(), "a child takes its `Ctx` as first parameter: write `(ctx: Ctx)`")
            }
        }
        for input in inputs {
            match input {
                FnArg::Receiver(receiver) => errors.at(receiver.span(), "a child cannot take `self`"),
                FnArg::Typed(arg) => check_owned(&arg.ty, errors),
            }
        }
        let output = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        if let Type::ImplTrait(_) = output {
            errors.at(output.span(), "a child returns `()`, `Result<(), E>` or a never type, not `impl Trait`");
        }
        Some(ChildFn { function, output })
    }

    pub(super) fn output_span(&self) -> Span {
        match &self.function.sig.output {
            ReturnType::Default => self.function.sig.ident.span(),
            ReturnType::Type(_, ty) => ty.span(),
        }
    }
}

/// `Ctx`, or a path ending in `Ctx`.
fn is_ctx(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path.path.segments.last().is_some_and(|s| s.ident == "Ctx"),
        _ => false,
    }
}

/// Arguments are cloned for every restart and live as long as the tree.
fn check_owned(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(reference) if reference.lifetime.as_ref().is_none_or(|l| l.ident != "static") => errors.at(
            reference.span(),
            "child arguments are cloned for every restart, so they must be owned: take `String` or `Arc<T>` instead of a reference",
        ),
        Type::ImplTrait(_) => errors.at(ty.span(), "a child cannot be generic: name a concrete type instead of `impl Trait`"),
        _ => {}
    }
}
