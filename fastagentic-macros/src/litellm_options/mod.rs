//! `litellm_options!`: LiteLLM gateway options written as literals, checked at
//! compile time with the rules `LiteLLMGateway::check` applies at start-up
//! (`fastagentic_rules::litellm`), so both give the same verdict in the same
//! words.
//!
//! Pipeline: [`parse`] `key: value` pairs, [`validate`] every literal with the
//! rules crate (collecting every error, each on the token at fault), then
//! [`expand`] to a `LiteLLMOptions` built from the literals.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

use crate::error_store::ErrorStore;

/// Expands `litellm_options! { fallback_models: [...], num_retries: N, timeout_secs: S }`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
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
