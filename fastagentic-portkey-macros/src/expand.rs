//! The generated code: the config's compact JSON as a string literal (what
//! `x-portkey-config` carries) and its parsed structure built directly, so
//! nothing is parsed at run time.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::parse::Node;

/// `::fastagentic_portkey::__private::config("<compact JSON>", <value>)`.
pub(crate) fn config(compact: &str, node: &Node) -> TokenStream {
    let compact = Literal::string(compact);
    let value = value(node);
    quote! { ::fastagentic_portkey::__private::config(#compact, #value) }
}

/// A placeholder of the right type after errors, so no follow-on type error
/// hides the real ones.
pub(crate) fn invalid(errors: TokenStream) -> TokenStream {
    quote! {{
        #errors
        ::fastagentic_portkey::__private::invalid_config()
    }}
}

/// An expression building `node` as a `serde_json::Value`.
fn value(node: &Node) -> TokenStream {
    match node {
        Node::Null(_) => quote! { ::fastagentic_portkey::__private::null() },
        Node::Bool(value, _) => quote! { ::fastagentic_portkey::__private::boolean(#value) },
        Node::Number(number, _) => {
            if let Some(n) = number.as_u64() {
                let n = Literal::u64_suffixed(n);
                quote! { ::fastagentic_portkey::__private::uint(#n) }
            } else if let Some(n) = number.as_i64() {
                let n = Literal::i64_suffixed(n);
                quote! { ::fastagentic_portkey::__private::int(#n) }
            } else {
                // serde_json holds every other number as a finite f64.
                let n = Literal::f64_suffixed(number.as_f64().unwrap_or_default());
                quote! { ::fastagentic_portkey::__private::float(#n) }
            }
        }
        Node::String(text, _) => {
            let text = Literal::string(text);
            quote! { ::fastagentic_portkey::__private::string(#text) }
        }
        Node::Array(items, _) => {
            let items = items.iter().map(value);
            quote! { ::fastagentic_portkey::__private::array([#(#items),*]) }
        }
        Node::Object(entries, _) => {
            let members = entries.iter().map(|entry| {
                let key = Literal::string(&entry.key);
                let value = value(&entry.value);
                quote! { (#key, #value) }
            });
            quote! { ::fastagentic_portkey::__private::object([#(#members),*]) }
        }
    }
}
