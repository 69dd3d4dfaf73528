//! The expansion of a valid tree: calls to supervisor-core's public
//! builders, the same a user could write by hand.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::{Entry, EntryKind, Intensity, Partitions, Tree};
use crate::fields::respan;

/// `Result<SupervisorSpec, SpecError>` for the whole tree.
pub(crate) fn expand(tree: &Tree, krate: &TokenStream) -> TokenStream {
    let name = tree.name.as_ref().map(|n| quote!(#n)).unwrap_or_else(|| quote!("supervisor"));
    let spec = supervisor(tree, &name, krate);
    quote! {
        '__supervisor_tree: {
            ::core::result::Result::<#krate::__private::SupervisorSpec, #krate::__private::SpecError>::Ok(#spec)
        }
    }
}

/// Builds one supervisor, breaking out of the tree with its error.
fn supervisor(tree: &Tree, name: &TokenStream, krate: &TokenStream) -> TokenStream {
    let sv = quote!(#krate::__private);
    let mut builder = quote!(#sv::SupervisorSpec::builder(#name));
    if let Some(strategy) = &tree.strategy {
        let variant = syn::Ident::new(strategy.variant, strategy.span);
        builder = quote!(#builder.strategy(#sv::Strategy::#variant));
    }
    if let Some(intensity) = &tree.intensity {
        let intensity = expand_intensity(intensity, krate);
        builder = quote!(#builder.intensity(#intensity));
    }
    if let Some(auto) = &tree.auto_shutdown {
        let variant = syn::Ident::new(auto.variant, auto.span);
        builder = quote!(#builder.auto_shutdown(#sv::AutoShutdown::#variant));
    }
    if let Some(grace) = &tree.abort_grace {
        let grace = grace.expand(krate);
        builder = quote!(#builder.abort_grace(#grace));
    }
    if let Some(store) = &tree.leases {
        builder = quote_spanned!(store.span()=> #builder.leases(#store));
    }
    let entries: Vec<&Entry> = tree.children.iter().flat_map(|(_, entries, _)| entries).collect();
    // A group's children are made before the builder, so that its ids can
    // stand in the shutdown order.
    let mut groups = TokenStream::new();
    for entry in &entries {
        if let EntryKind::Group(iter) = &entry.kind {
            let (specs, ids) = group_idents(entry);
            let sv_group = respan(sv.clone(), iter.span());
            groups.extend(quote_spanned! {iter.span()=>
                let #specs: ::std::vec::Vec<#sv::ChildSpec> = #sv_group::group(#iter);
                let #ids: ::std::vec::Vec<::std::sync::Arc<str>> =
                    #specs.iter().map(|spec| ::std::sync::Arc::from(spec.id())).collect();
            });
        }
    }
    for entry in &entries {
        match &entry.kind {
            EntryKind::Group(_) => {
                let (specs, _) = group_idents(entry);
                builder = quote!(#builder.children(#specs));
            }
            _ => {
                let child = child(entry, krate);
                builder = quote!(#builder.child(#child));
            }
        }
    }
    let is_group = |id: &syn::Ident| entries.iter().any(|e| &e.key == id && matches!(e.kind, EntryKind::Group(_)));
    for stage in tree.shutdown_order.iter().flat_map(|(_, stages)| stages) {
        let named = stage.iter().filter(|id| !is_group(id)).map(|id| id.to_string());
        if !stage.iter().any(is_group) {
            builder = quote!(#builder.shutdown_stage([#(#named),*]));
            continue;
        }
        let grouped = stage.iter().filter(|id| is_group(id)).map(|id| group_idents_of(id).1);
        builder = quote! {
            #builder.shutdown_stage(
                [#(::std::sync::Arc::<str>::from(#named)),*]
                    .into_iter()
                    #(.chain(#grouped.iter().cloned()))*
            )
        };
    }
    let built = built(builder);
    quote!({ #groups #built })
}

/// The names a group entry's specs and ids are held by in the expansion.
fn group_idents(entry: &Entry) -> (syn::Ident, syn::Ident) {
    group_idents_of(&entry.key)
}

fn group_idents_of(key: &syn::Ident) -> (syn::Ident, syn::Ident) {
    (format_ident!("__group_{}", key), format_ident!("__group_ids_{}", key))
}

fn built(builder: TokenStream) -> TokenStream {
    quote! {
        match #builder.build() {
            ::core::result::Result::Ok(spec) => spec,
            ::core::result::Result::Err(error) => break '__supervisor_tree ::core::result::Result::Err(error),
        }
    }
}

fn child(entry: &Entry, krate: &TokenStream) -> TokenStream {
    let sv = quote!(#krate::__private);
    let id = entry.key.to_string();
    match &entry.kind {
        EntryKind::Call { function, args, parens, options } => {
            // Every token an error could point at carries the span of the
            // user's token it stands for: the function, or the argument.
            let span = function.span();
            let at = |span| respan(sv.clone(), span);
            let owned: Vec<_> =
                args.iter().enumerate().map(|(i, a)| format_ident!("__arg{}", i, span = a.span())).collect();
            let fresh: Vec<_> =
                args.iter().enumerate().map(|(i, a)| format_ident!("__fresh{}", i, span = a.span())).collect();
            let clones = args.iter().zip(&owned).zip(&fresh).map(|((arg, owned), fresh)| {
                let sv = at(arg.span());
                quote_spanned!(arg.span()=> let #fresh = #sv::clone_arg(&#owned);)
            });
            let sv_fn = at(span);
            let mut call = proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, quote!(#(#fresh),*));
            call.set_span(parens.unwrap_or(span));
            let factory = quote_spanned! {span=>
                {
                    #(let #owned = #args;)*
                    move || {
                        #(#clones)*
                        #sv_fn::child_fn(#function)#call
                    }
                }
            };
            let spec = quote_spanned!(span=> #sv_fn::spec(#id, #factory));
            options.apply(spec, krate)
        }
        EntryKind::Nested(inner) => {
            let name = quote!(#id);
            let spec = supervisor(inner, &name, krate);
            inner.options.apply(quote!(#sv::ChildSpec::supervisor(#spec)), krate)
        }
        EntryKind::Dynamic { child: Some(child), max, intensity, partitions, span, .. } => {
            let sv_child = respan(sv.clone(), child.span());
            let template = quote_spanned!(child.span()=> #sv_child::template(#child));
            let mut builder = quote_spanned!(*span=> #sv::SupervisorSpec::dynamic(#id, #template));
            if let Some((_, max)) = max {
                builder = quote!(#builder.max_children(#max));
            }
            if let Some(intensity) = intensity {
                let intensity = expand_intensity(intensity, krate);
                builder = quote!(#builder.intensity(#intensity));
            }
            match partitions {
                Some(Partitions::Count(_, n)) => builder = quote!(#builder.partitions(#n)),
                Some(Partitions::Workers(span)) => builder = quote_spanned!(*span=> #builder.partitions_per_worker()),
                None => {}
            }
            let spec = built(builder);
            quote!(#sv::ChildSpec::supervisor(#spec))
        }
        EntryKind::Prebuilt(expr) => {
            let sv_spec = respan(sv.clone(), expr.span());
            quote_spanned!(expr.span()=> #sv_spec::prebuilt(#id, #expr))
        }
        // Reported by `valid`; a tree with errors is not expanded.
        EntryKind::Dynamic { child: None, .. } | EntryKind::Group(_) => TokenStream::new(),
    }
}

fn expand_intensity(intensity: &Intensity, krate: &TokenStream) -> TokenStream {
    let max = intensity.max;
    let period = intensity.period.expand(krate);
    let span: Span = intensity.span;
    quote_spanned!(span=> #krate::__private::Intensity::new(#max, #period))
}
