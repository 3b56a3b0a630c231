//! `#[agent_endpoint(...)]`: parse the attribute and the function, validate
//! both (every error collected), then generate the registration.

mod attr;
mod expand;
mod reliability_keys;
mod signature;

use fastagentic_macro_support::ErrorStore;
use proc_macro2::TokenStream;

use crate::item_fn::ItemFn;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(e) => {
            let error = syn::Error::new(
                e.span(),
                format!("#[agent_endpoint] goes on an `async fn`: {e}"),
            )
            .to_compile_error();
            return quote::quote!(#error #item);
        }
    };
    let mut errors = ErrorStore::default();
    let attr = attr::EndpointAttr::parse(attr, &mut errors);
    let signature = signature::EndpointSignature::read(&function, &attr, &mut errors);
    match (errors.is_empty(), attr, signature) {
        (true, Some(attr), Some(signature)) => expand::generate(&function, &attr, &signature),
        _ => {
            let original = function.to_tokens_with_body(None);
            let compile_errors = errors.to_compile_errors();
            quote::quote!(#compile_errors #original)
        }
    }
}
