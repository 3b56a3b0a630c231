//! The annotated function: signature parsed, body left to rustc. A body-less
//! `async fn f(..) -> T;` is accepted too (for `runnable = ...`).

use fastagentic_macro_support::ErrorStore;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Block, FnArg, Signature, Token, Visibility};

/// A function item, with or without a body.
pub(crate) struct ItemFn {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: Option<Block>,
}

impl Parse for ItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body = if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            None
        } else {
            Some(input.parse()?)
        };
        Ok(Self {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ItemFn {
    /// The function as the user wrote it (a body-less one gets an empty body
    /// so it still compiles when the macro reports errors).
    pub(crate) fn to_tokens_with_body(&self, body: Option<TokenStream>) -> TokenStream {
        let Self {
            attrs, vis, sig, ..
        } = self;
        let body = match (body, &self.body) {
            (Some(body), _) => body,
            (None, Some(block)) => block.to_token_stream(),
            (None, None) => quote!({ ::core::unimplemented!() }),
        };
        quote!(#(#attrs)* #vis #sig #body)
    }

    /// The checks every FastAgentic function shares: async, no generics, no `self`.
    pub(crate) fn check_plain_async(&self, what: &str, errors: &mut ErrorStore) {
        if self.sig.asyncness.is_none() {
            errors.at(
                self.sig.fn_token,
                format!(
                    "{what} must be an `async fn`: write `async fn {}`",
                    self.sig.ident
                ),
            );
        }
        if !self.sig.generics.params.is_empty() {
            errors.at(
                &self.sig.generics,
                format!("{what} cannot be generic: the framework calls it with concrete types; remove the generic parameters"),
            );
        } else if let Some(where_clause) = &self.sig.generics.where_clause {
            errors.at(
                where_clause,
                format!("{what} cannot have a `where` clause: the framework calls it with concrete types; remove it"),
            );
        }
        for arg in &self.sig.inputs {
            if let FnArg::Receiver(receiver) = arg {
                errors.at(receiver, format!("{what} cannot take `self`: write a free function (use a `runnable` object for state)"));
            }
        }
        if let Some(variadic) = &self.sig.variadic {
            errors.at(variadic, format!("{what} cannot be variadic"));
        }
    }
}
