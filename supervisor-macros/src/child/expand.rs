//! The expansion of a valid `#[child]`: the function, marked through its
//! return type, and the type that carries its options.
//!
//! The function keeps its parameters after the `Ctx`, so a call names just
//! those (as a tree entry does) and rustc counts them as the user does; it
//! returns the body waiting for its `Ctx`, which each start hands over.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::attr::ChildAttr;
use super::valid::ChildFn;
use crate::fields::respan;

pub(super) fn expand(attr: &ChildAttr, child: &ChildFn<'_>) -> TokenStream {
    let ChildAttr { options, krate } = attr;
    let function = child.function;
    let (attrs, vis, sig, block) = (&function.attrs, &function.vis, &function.sig, &function.block);
    let name = &sig.ident;
    let (ctx, args) = (&child.ctx, sig.inputs.iter().skip(1));
    let (ctx_pat, ctx_ty) = (&ctx.pat, &ctx.ty);
    let output = &child.output;
    let options_type = format_ident!("__{}_child_options", name);
    let applied = options.apply(quote!(spec), krate);
    // A temporary child is never restarted: a dynamic one gets its
    // arguments moved in, so they need not be `Clone`.
    let args_policy = if options.is_temporary() { quote!(Moved) } else { quote!(Cloned) };
    let output_check = quote_spanned!(child.output_span()=>
        #krate::__private::assert_child_return::<#output>
    );
    // Spanned on the name, so a child whose future is not `Send` is named.
    let returned = respan(
        quote! {
            #krate::__private::Child<
                impl #krate::__private::ChildBody<
                    Future = impl ::core::future::Future<Output = #output> + ::core::marker::Send + 'static,
                >,
                #options_type,
            >
        },
        name.span(),
    );
    let body = quote_spanned! {name.span()=>
        #krate::__private::Child::new(move |#ctx_pat: #ctx_ty| async move {
            let __child_return: #output = #block;
            #[allow(unreachable_code)]
            __child_return
        })
    };
    quote! {
        #(#attrs)*
        #vis fn #name(#(#args),*) -> #returned {
            #body
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #options_type;

        impl #krate::__private::ChildOptions for #options_type {
            type Args = #krate::__private::#args_policy;
            fn apply(spec: #krate::__private::ChildSpec) -> #krate::__private::ChildSpec {
                #applied
            }
        }

        const _: fn() = #output_check;
    }
}
