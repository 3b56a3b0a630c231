//! Generating the registration for a validated endpoint.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::attr::EndpointAttr;
use super::signature::{EndpointSignature, Param};
use crate::doc_comment::doc_comment;
use crate::item_fn::ItemFn;
use crate::naming::record_ident;

pub(crate) fn generate(
    function: &ItemFn,
    attr: &EndpointAttr,
    sig: &EndpointSignature,
) -> TokenStream {
    let fp = quote!(::fastagentic::__private);
    let fn_ident = &function.sig.ident;
    let vis = &function.vis;
    let record = record_ident(fn_ident, "ENDPOINT");
    let path = &attr.path;
    let name = attr.name.as_ref().map_or_else(
        || fn_ident.to_string().trim_start_matches("r#").to_owned(),
        |n| n.value(),
    );
    let description = attr
        .description
        .as_ref()
        .map_or_else(|| doc_comment(&function.attrs), |d| d.value());
    let stream = attr.stream;
    let site = fn_ident.span();

    let (decode, input_schema) = match &sig.input {
        Some(ty) => (
            {
                let fp = private_at(ty.span());
                quote_spanned!(ty.span()=> let input = (#fp::input::<#ty>().decode)(body)?;)
            },
            {
                let fp = private_at(ty.span());
                quote_spanned!(ty.span()=> ::core::option::Option::Some(#fp::input::<#ty>().schema))
            },
        ),
        None => (quote!(let _ = body;), quote!(::core::option::Option::None)),
    };
    let uses_ctx = sig.params.iter().any(|p| matches!(p, Param::Context));
    let drop_ctx = if uses_ctx {
        quote!()
    } else {
        quote!(let _ = ctx;)
    };
    let args = sig.params.iter().map(|p| match p {
        Param::Context => quote!(ctx),
        Param::Input => quote!(input),
    });
    let (output, error) = (&sig.output, &sig.error);
    let to_agent_error = {
        let fp = private_at(error.span());
        quote_spanned!(error.span()=> let result = #fp::agent_error::<_, #error>(result);)
    };
    let reply = {
        let fp = private_at(output.span());
        if stream {
            quote_spanned!(output.span()=> #fp::stream_reply::<#output>(result))
        } else {
            quote_spanned!(output.span()=> (#fp::output::<#output>().reply)(result))
        }
    };
    let output_schema = if stream {
        quote!(#fp::stream_event_schema)
    } else {
        let fp = private_at(output.span());
        quote_spanned!(output.span()=> #fp::output::<#output>().schema)
    };
    let gateway = match &attr.llm_gateway {
        Some(expr) => {
            let call = call_on_expr("gateway", expr, quote!());
            quote!(::core::option::Option::Some({
                fn __fastagentic_gateway() -> #fp::Arc<dyn #fp::LlmGateway> { #call }
                __fastagentic_gateway
            }))
        }
        None => quote!(::core::option::Option::None),
    };

    let optional_fn = |value: &Option<TokenStream>, ty: TokenStream| match value {
        Some(expr) => quote!(::core::option::Option::Some({
            fn __fastagentic_option() -> #ty { #expr }
            __fastagentic_option
        })),
        None => quote!(::core::option::Option::None),
    };
    let retry = optional_fn(&attr.retry, quote!(#fp::RetryPolicy));
    let rate_limit = optional_fn(&attr.rate_limit, quote!(#fp::RateLimit));
    let timeout = optional_fn(&attr.timeout, quote!(#fp::Duration));

    let (user_fn, runnable_static, prepare) = match &attr.runnable {
        Some(expr) => runnable_parts(function, sig, expr, &fp),
        None => (
            function.to_tokens_with_body(None),
            quote!(),
            quote!(::core::option::Option::None),
        ),
    };
    let file = quote_spanned!(site=> ::core::file!());
    let line = quote_spanned!(site=> ::core::line!());
    let doc = format!(
        "The registration of endpoint `{name}` (`POST {}`), for `App::endpoint` where `inventory` does not work.",
        path.value()
    );

    quote! {
        #user_fn

        #runnable_static

        #[doc = #doc]
        #vis static #record: #fp::EndpointRegistration = #fp::EndpointRegistration {
            path: #path,
            name: #name,
            description: #description,
            stream: #stream,
            handler: {
                fn __fastagentic_handler(
                    ctx: #fp::AgentContext,
                    body: #fp::InputBody,
                ) -> #fp::BoxFuture<'static, ::core::result::Result<#fp::EndpointReply, #fp::AgentError>> {
                    ::std::boxed::Box::pin(async move {
                        #decode
                        #drop_ctx
                        let result = #fn_ident(#(#args),*).await;
                        #to_agent_error
                        #reply
                    })
                }
                __fastagentic_handler
            },
            input_schema: #input_schema,
            output_schema: #output_schema,
            gateway: #gateway,
            retry: #retry,
            rate_limit: #rate_limit,
            timeout: #timeout,
            prepare: #prepare,
            module: ::core::module_path!(),
            file: #file,
            line: #line,
        };

        #fp::inventory::submit! { #fp::EndpointEntry(&#record) }
    }
}

/// For `runnable = <expr>`: the agent lives in a static built once at
/// start-up, and the function's body delegates to it.
fn runnable_parts(
    function: &ItemFn,
    sig: &EndpointSignature,
    expr: &syn::Expr,
    fp: &TokenStream,
) -> (TokenStream, TokenStream, TokenStream) {
    let holder = record_ident(&function.sig.ident, "RUNNABLE");
    let (input, output) = (&sig.input, &sig.output);
    let ctx = sig
        .context_ident
        .clone()
        .unwrap_or_else(|| syn::Ident::new("ctx", Span::call_site()));
    let arg = sig
        .input_ident
        .clone()
        .unwrap_or_else(|| syn::Ident::new("input", Span::call_site()));
    let build = call_on_expr(
        "runnable",
        expr,
        quote!(::core::marker::PhantomData::<(#input, #output)>),
    );
    let body = quote!({ #fp::Runnable::run(&**#holder, #ctx, #arg).await });
    let user_fn = function.to_tokens_with_body(Some(body));
    let holder_static = quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #holder: #fp::LazyLock<::std::boxed::Box<dyn #fp::Runnable<#input, #output>>> = #fp::LazyLock::new(|| #build);
    };
    let prepare = quote!(::core::option::Option::Some({
        fn __fastagentic_prepare() { #fp::LazyLock::force(&#holder); }
        __fastagentic_prepare
    }));
    (user_fn, holder_static, prepare)
}

/// `::fastagentic::__private` with every token at `span`, for a call whose
/// trait-bound error must sit on the user's tokens: a call's span runs from
/// its path to its closing parenthesis, so a path at the call site would
/// stretch the error over the whole attribute.
fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::fastagentic::__private)
}

/// `::fastagentic::__private::<function>(<expr>, <more>)` for a function whose
/// trait bound falls on the user's expression. The function's path spans
/// exactly that expression (first segment at its first token, name at its
/// last), so rustc reports the error on the expression alone; with any other
/// span it adds "required by a bound introduced by this call" on the path.
fn call_on_expr(function: &str, expr: &syn::Expr, more: TokenStream) -> TokenStream {
    let tokens = quote::ToTokens::to_token_stream(expr);
    let first = tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    let last = tokens.into_iter().last().map_or(first, |t| t.span());
    let fp = private_at(first);
    let function = syn::Ident::new(function, last);
    quote!(#fp::#function(#expr, #more))
}
