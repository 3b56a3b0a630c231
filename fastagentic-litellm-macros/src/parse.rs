//! The syntax: `key: value` pairs separated by commas (a trailing comma is fine).

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

/// One `key: value` pair, value left to [`validate`](crate::validate).
pub(crate) struct Entry {
    pub(crate) key: Ident,
    pub(crate) value: Expr,
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        if !input.peek(Token![:]) {
            return Err(input.error(format!(
                "expected `:` after `{key}`, as in `{key}: <value>`"
            )));
        }
        input.parse::<Token![:]>()?;
        let value: Expr = input.parse()?;
        Ok(Self { key, value })
    }
}

/// Parses the macro's input.
pub(crate) fn parse(input: TokenStream) -> syn::Result<Vec<Entry>> {
    let entries = Punctuated::<Entry, Token![,]>::parse_terminated.parse2(input)?;
    Ok(entries.into_iter().collect())
}
