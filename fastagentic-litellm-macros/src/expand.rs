//! The generated code: a `LiteLLMOptions` built from the checked literals
//! (a `const fn` call, so it also works in a `const`).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::validate::Options;

/// `::fastagentic_litellm::__private::options(<models>, <retries>, <timeout>)`.
pub(crate) fn options(options: &Options) -> TokenStream {
    let models = match &options.fallback_models {
        Some(models) => {
            let models = models.iter().map(|model| Literal::string(model));
            quote! { ::core::option::Option::Some(&[#(#models),*]) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let retries = match options.num_retries {
        Some(retries) => {
            let retries = Literal::u32_suffixed(retries);
            quote! { ::core::option::Option::Some(#retries) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let timeout = match options.timeout_secs {
        Some(secs) => {
            let secs = Literal::f64_suffixed(secs);
            quote! { ::core::option::Option::Some(#secs) }
        }
        None => quote! { ::core::option::Option::None },
    };
    quote! { ::fastagentic_litellm::__private::options(#models, #retries, #timeout) }
}

/// A placeholder of the right type after errors, so no follow-on type error
/// hides the real ones.
pub(crate) fn invalid(errors: TokenStream) -> TokenStream {
    quote! {{
        #errors
        ::fastagentic_litellm::__private::invalid_options()
    }}
}
