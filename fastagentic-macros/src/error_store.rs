//! Collects every error of one macro call, so the user sees them all at once.

use proc_macro2::TokenStream;

/// The errors found so far.
#[derive(Default)]
pub(crate) struct ErrorStore {
    errors: Vec<syn::Error>,
}

impl ErrorStore {
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub(crate) fn at<T: quote::ToTokens>(&mut self, tokens: T, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }
}
