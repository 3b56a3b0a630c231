//! Procedural macros for FastAgentic. Use them through the `fastagentic`
//! crate (`fastagentic::agent_endpoint`, `fastagentic::hook`), which
//! documents them.
//!
//! Each macro is a pipeline: parse the attribute and the item, validate
//! (collecting every error, with the rules of `fastagentic-rules`), then
//! generate. The user's function is always emitted, even with errors, so
//! follow-on diagnostics stay sane.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

use proc_macro::TokenStream;

mod doc_comment;
mod endpoint;
mod hook;
mod item_fn;
mod naming;

/// Marks an `async fn` as an HTTP endpoint. See `fastagentic::agent_endpoint`.
#[proc_macro_attribute]
pub fn agent_endpoint(attr: TokenStream, item: TokenStream) -> TokenStream {
    endpoint::expand(attr.into(), item.into()).into()
}

/// Registers an `async fn` as a lifecycle hook. See `fastagentic::hook`.
#[proc_macro_attribute]
pub fn hook(attr: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(attr.into(), item.into()).into()
}
