//! Every check of a `#[child]`: its options' combinations, and what its
//! function must look like (`async`, safe, no `self`, not generic, its
//! `Ctx` first, and owned arguments after it). Every part of the signature
//! it keeps is kept in the expansion; every part it cannot honour is an
//! error that says why.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

use crate::errors::Errors;

impl super::attr::ChildAttr {
    /// The options' combinations (a backoff on a temporary child, ...).
    pub(super) fn validate(&self, errors: &mut Errors) {
        self.options.check(true, crate::fields::Sep::Eq, errors);
    }
}

pub(super) struct ChildFn<'a> {
    pub(super) function: &'a ItemFn,
    /// Its first parameter, `ctx: Ctx` (a placeholder when that is an
    /// error, which is then reported).
    pub(super) ctx: syn::PatType,
    pub(super) output: Type,
}

impl<'a> ChildFn<'a> {
    pub(super) fn check(function: &'a ItemFn, errors: &mut Errors) -> ChildFn<'a> {
        let sig = &function.sig;
        if sig.asyncness.is_none() {
            errors.at(sig.fn_token.span, "#[child] goes on an `async fn`: add `async` before `fn`");
        }
        if let Some(unsafety) = &sig.unsafety {
            errors.at(
                unsafety.span,
                "a child cannot be `unsafe`: its supervisor calls it on every start and cannot uphold an unsafe contract; make it safe, with an `unsafe` block inside where needed",
            );
        }
        if let Some(constness) = &sig.constness {
            errors.at(constness.span, "a child cannot be `const`: its supervisor calls it at run time; remove `const`");
        }
        if let Some(abi) = &sig.abi {
            errors
                .on(abi, "a child cannot have an ABI: its supervisor calls it as a Rust function; remove the `extern`");
        }
        if let Some(variadic) = &sig.variadic {
            errors.at(variadic.span(), "a child cannot be variadic: take its arguments as named parameters");
        }
        let lifetimes_only = sig.generics.params.iter().all(|p| matches!(p, syn::GenericParam::Lifetime(_)));
        if !sig.generics.params.is_empty() && lifetimes_only {
            errors.on(
                &sig.generics,
                "a child cannot borrow: it outlives its caller and is started again on restarts; remove the lifetime and take owned arguments",
            );
        } else if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.at(
                sig.generics.span(),
                "a child cannot be generic: name concrete types (a supervisor stores one factory per child)",
            );
        }
        for attr in &function.attrs {
            if attr.path().segments.last().is_some_and(|s| s.ident == "instrument") {
                errors.on(
                    attr,
                    "put `#[tracing::instrument]` above `#[child]`: below it, its span would cover only the call that makes the child's future, not the child's body",
                );
            }
        }
        let mut inputs = sig.inputs.iter();
        let first = inputs.next();
        let ctx = match first {
            Some(FnArg::Typed(first)) => first.clone(),
            _ => syn::parse_quote!(ctx: Ctx),
        };
        match first {
            Some(FnArg::Receiver(receiver)) => {
                errors.at(
                    receiver.span(),
                    "a child cannot take `self`: make it a free function that takes its state as arguments",
                );
            }
            Some(FnArg::Typed(first)) if is_ctx_ref(&first.ty) => {
                errors.on(
                    &first.ty,
                    "a child takes its `Ctx` by value: write `ctx: Ctx` (a `Ctx` is one pointer, cheap to clone)",
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
        // The most `supervisor!` and a dynamic template can pass.
        if let Some(extra) = sig.inputs.iter().nth(9) {
            errors.on(extra, "a child takes at most 8 arguments after its `Ctx`: group the rest in a struct");
        }
        for input in inputs {
            match input {
                FnArg::Receiver(receiver) => errors.at(receiver.span(), "a child cannot take `self`"),
                FnArg::Typed(arg) => check_owned(&arg.ty, errors),
            }
        }
        let output = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            // A body that never returns: `Infallible` is the never type a
            // child may name.
            ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => {
                syn::parse_quote!(::core::convert::Infallible)
            }
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        if let Some(object) = unsendable_error(&output) {
            errors.on(
                object,
                "a child's error is reported by its supervisor, on another task, so it must be `Send`: write `dyn std::error::Error + Send + Sync`",
            );
        }
        if let Type::ImplTrait(_) = output {
            errors.at(output.span(), "a child returns `()`, `Result<(), E>` or a never type, not `impl Trait`");
        }
        ChildFn { function, ctx, output }
    }

    pub(super) fn output_span(&self) -> Span {
        match &self.function.sig.output {
            ReturnType::Default => self.function.sig.ident.span(),
            ReturnType::Type(_, ty) => ty.span(),
        }
    }
}

/// A `dyn ...Error` object inside `ty` (such as `Result<(), Box<dyn Error>>`)
/// without a `Send` bound.
fn unsendable_error(ty: &Type) -> Option<&syn::TypeTraitObject> {
    let bound_named = |object: &syn::TypeTraitObject, name: &str| {
        object.bounds.iter().any(|bound| {
            matches!(bound, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == name))
        })
    };
    match ty {
        Type::TraitObject(object) if bound_named(object, "Error") && !bound_named(object, "Send") => Some(object),
        Type::Path(path) => path.path.segments.iter().find_map(|segment| match &segment.arguments {
            syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                syn::GenericArgument::Type(ty) => unsendable_error(ty),
                _ => None,
            }),
            _ => None,
        }),
        Type::Paren(inner) => unsendable_error(&inner.elem),
        _ => None,
    }
}

/// `&Ctx` or `&mut Ctx`.
fn is_ctx_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference) if is_ctx(&reference.elem))
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
