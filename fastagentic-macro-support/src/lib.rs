//! What FastAgentic's proc-macro crates share (`fastagentic-macros`,
//! `fastagentic-portkey-macros`, `fastagentic-litellm-macros`): the store that
//! collects every error of one macro call, each on its own tokens, so the
//! user sees them all at once.
//!
//! A plain library (proc-macro crates cannot export anything but macros);
//! not a public API.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use std::fmt::Display;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

/// The errors found so far; all of them are reported.
#[derive(Default)]
pub struct ErrorStore {
    errors: Vec<syn::Error>,
}

impl ErrorStore {
    /// Adds an error built elsewhere.
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// An error on `tokens`.
    pub fn at<T: quote::ToTokens>(&mut self, tokens: T, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error underlining `range` (from its first to its last token).
    pub fn at_range(&mut self, range: SpanRange, message: impl Display) {
        let first = Ident::new("first", range.first);
        let last = Ident::new("last", range.last);
        self.at(quote!(#first #last), message);
    }

    /// How many errors were found.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether none was found.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per error.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }
}

/// The first and last token of a value, so an error can underline all of it
/// (e.g. both tokens of `-1`).
#[derive(Clone, Copy, Debug)]
pub struct SpanRange {
    /// The first token's span.
    pub first: Span,
    /// The last token's span.
    pub last: Span,
}

impl SpanRange {
    /// One token.
    pub fn single(span: Span) -> Self {
        Self {
            first: span,
            last: span,
        }
    }
}
