//! `litellm_options!`, re-exported by `fastagentic-litellm`: LiteLLM gateway
//! options written as literals, checked at compile time with the rules
//! `LiteLLMGateway::check` applies at start-up (`fastagentic_rules::litellm`,
//! feature `litellm`), so both give the same verdict in the same words.
//!
//! Its own crate so that an app that does not use LiteLLM compiles neither
//! this macro nor the LiteLLM rules.
//!
//! Pipeline: [`parse`] `key: value` pairs, [`validate`] every literal with the
//! rules crate (collecting every error, each on the token at fault), then
//! [`expand`] to a `LiteLLMOptions` built from the literals.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod expand;
mod parse;
mod validate;

use fastagentic_macro_support::ErrorStore;
use proc_macro2::TokenStream;

/// LiteLLM gateway options as literals, checked at compile time. Use it as
/// `fastagentic_litellm::litellm_options!`, which documents it.
#[proc_macro]
pub fn litellm_options(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand(input.into()).into()
}

/// Expands `litellm_options! { fallback_models: [...], num_retries: N, timeout_secs: S }`.
fn expand(input: TokenStream) -> TokenStream {
    let mut errors = ErrorStore::default();
    let entries = match parse::parse(input) {
        Ok(entries) => entries,
        Err(error) => return expand::invalid(error.to_compile_error()),
    };
    let options = validate::validate(&entries, &mut errors);
    if !errors.is_empty() {
        return expand::invalid(errors.to_compile_errors());
    }
    expand::options(&options)
}
