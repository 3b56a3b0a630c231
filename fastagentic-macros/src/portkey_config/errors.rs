//! Every error of one `portkey_config!` call, each on its own tokens.

use std::fmt::Display;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::parse::SpanRange;

/// The errors found so far; all of them are reported.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// An error underlining `range` (from its first to its last token).
    pub(crate) fn at_range(&mut self, range: SpanRange, message: impl Display) {
        let first = Ident::new("first", range.first);
        let last = Ident::new("last", range.last);
        self.errors
            .push(syn::Error::new_spanned(quote!(#first #last), message));
    }

    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per error.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }
}
