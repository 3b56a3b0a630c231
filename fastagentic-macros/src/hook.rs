//! `#[hook("on_llm_end")]`: registers an `async fn(ctx: &HookContext)`.

use fastagentic_macro_support::ErrorStore;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, LitStr, Type};

use crate::item_fn::ItemFn;
use crate::naming::{camel_case, record_ident};

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(e) => {
            let error = syn::Error::new(e.span(), format!("#[hook] goes on an `async fn`: {e}"))
                .to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = ErrorStore::default();
    let event = read_event(attr, &mut errors);
    function.check_plain_async("a hook", &mut errors);
    if function.body.is_none() {
        errors.at(&function.sig.ident, "a hook needs a body");
    }
    check_parameters(&function, &mut errors);
    let original = function.to_tokens_with_body(None);
    let Some(event) = event.filter(|_| errors.is_empty()) else {
        let compile_errors = errors.to_compile_errors();
        return quote!(#compile_errors #original);
    };

    let fp = quote!(::fastagentic::__private);
    let fn_ident = &function.sig.ident;
    let vis = &function.vis;
    let record = record_ident(fn_ident, "HOOK");
    let variant = syn::Ident::new(&camel_case(&event.value()), event.span());
    let name = fn_ident.to_string();
    // The context argument at the parameter's type (its last token), so a
    // parameter of another type fails there, not on the attribute.
    let ctx_arg = match function.sig.inputs.first() {
        Some(FnArg::Typed(param)) => {
            let span = quote::ToTokens::to_token_stream(&param.ty)
                .into_iter()
                .last()
                .map_or_else(proc_macro2::Span::call_site, |t| t.span());
            syn::Ident::new("ctx", span)
        }
        _ => syn::Ident::new("ctx", proc_macro2::Span::call_site()),
    };
    let into_result = match &function.sig.output {
        syn::ReturnType::Type(_, ty) => {
            // The whole call at the return type, path included: a path at the
            // call site would stretch the error's "introduced by this call"
            // label over the attribute.
            quote_spanned!(ty.span()=> ::fastagentic::__private::IntoHookResult::into_hook_result(result))
        }
        syn::ReturnType::Default => quote!(#fp::IntoHookResult::into_hook_result(result)),
    };
    let site = fn_ident.span();
    let file = quote_spanned!(site=> ::core::file!());
    let line = quote_spanned!(site=> ::core::line!());
    let doc = format!(
        "The registration of hook `{name}` ({}), for `App::hook_fn` where `inventory` does not work.",
        event.value()
    );
    quote! {
        #original

        #[doc = #doc]
        #vis static #record: #fp::HookRegistration = #fp::HookRegistration {
            event: #fp::HookEvent::#variant,
            name: #name,
            module: ::core::module_path!(),
            func: {
                fn __fastagentic_hook(
                    ctx: &#fp::HookContext,
                ) -> #fp::BoxFuture<'_, ::core::result::Result<#fp::HookResult, ::std::string::String>> {
                    ::std::boxed::Box::pin(async move {
                        let result = #fn_ident(#ctx_arg).await;
                        #into_result
                    })
                }
                __fastagentic_hook
            },
            file: #file,
            line: #line,
        };

        #fp::inventory::submit! { #fp::HookEntry(&#record) }
    }
}

fn read_event(attr: TokenStream, errors: &mut ErrorStore) -> Option<LitStr> {
    let events = fastagentic_rules::hook_event::HOOK_EVENTS.join(", ");
    if attr.is_empty() {
        errors.push(syn::Error::new(
            proc_macro2::Span::call_site(),
            format!("#[hook] needs an event: `#[hook(\"on_llm_end\")]`; events: {events}"),
        ));
        return None;
    }
    match syn::parse2::<LitStr>(attr.clone()) {
        Ok(lit) => match fastagentic_rules::hook_event::check_hook_event(&lit.value()) {
            Ok(()) => Some(lit),
            Err(message) => {
                errors.at(&lit, message);
                None
            }
        },
        Err(_) => {
            errors.at(attr, format!("#[hook] takes the event name as a string: `#[hook(\"on_llm_end\")]`; events: {events}"));
            None
        }
    }
}

fn check_parameters(function: &ItemFn, errors: &mut ErrorStore) {
    let typed: Vec<_> = function
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(t),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let expected = "a hook takes one parameter, `ctx: &HookContext`";
    match typed.as_slice() {
        [] => errors.at(
            &function.sig.ident,
            format!(
                "{expected}: write `async fn {}(ctx: &HookContext)`",
                function.sig.ident
            ),
        ),
        [one] => match &*one.ty {
            Type::Reference(r) if r.mutability.is_none() => {
                let names_agent_context = matches!(&*r.elem, Type::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "AgentContext"));
                if names_agent_context {
                    errors.at(
                            &one.ty,
                            "a hook gets a `&HookContext`; `AgentContext` is an endpoint's: write `ctx: &HookContext`",
                        );
                }
            }
            _ => errors.at(
                &one.ty,
                "a hook borrows its context: write `ctx: &HookContext`",
            ),
        },
        [_, extra @ ..] => {
            for arg in extra {
                errors.at(arg, format!("{expected}; remove this parameter"));
            }
        }
    }
}
