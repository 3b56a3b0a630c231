//! `portkey_config!`, re-exported by `fastagentic-portkey`: a Portkey gateway
//! config written as JSON, checked at compile time with the same rules
//! `PortkeyConfig::from_json` applies at run time
//! (`fastagentic_rules::portkey::validate_config`, feature `portkey`).
//!
//! Its own crate so that an app that does not use Portkey compiles neither
//! this macro nor the Portkey rules.
//!
//! Pipeline: [`parse`] the tokens into a JSON tree that keeps each key's and
//! value's span, validate the tree's value with the rules crate, put every
//! error on the key or value it blames ([`locate`]), then [`expand`] to the
//! compact JSON literal plus the structure built in place.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod expand;
mod locate;
mod parse;

use fastagentic_macro_support::ErrorStore;
use proc_macro2::TokenStream;

/// A Portkey gateway config written as JSON, validated at compile time. Use
/// it as `fastagentic_portkey::portkey_config!`, which documents it.
#[proc_macro]
pub fn portkey_config(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand(input.into()).into()
}

/// Expands `portkey_config!(<json>)`.
fn expand(input: TokenStream) -> TokenStream {
    let mut errors = ErrorStore::default();
    let Some(root) = parse::parse(input, &mut errors) else {
        return expand::invalid(errors.to_compile_errors());
    };
    let value = root.to_value();
    for error in fastagentic_rules::portkey::validate_config(&value) {
        let range = locate::locate(&root, &error.path, error.at);
        errors.at_range(range, &error);
    }
    if !errors.is_empty() {
        return expand::invalid(errors.to_compile_errors());
    }
    match serde_json::to_string(&value) {
        Ok(compact) => expand::config(&compact, &root),
        Err(error) => {
            errors.at_range(root.range(), format!("cannot encode the config: {error}"));
            expand::invalid(errors.to_compile_errors())
        }
    }
}
