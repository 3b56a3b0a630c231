//! Names of generated items.

use proc_macro2::Ident;

/// `triage` -> `TRIAGE_ENDPOINT`: the registration record a user can pass by hand.
pub(crate) fn record_ident(function: &Ident, suffix: &str) -> Ident {
    let name = function.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    Ident::new(
        &format!("{}_{suffix}", name.to_uppercase()),
        function.span(),
    )
}

/// `on_llm_end` -> `OnLlmEnd`: the `HookEvent` variant.
pub(crate) fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn camel_case() {
        assert_eq!(super::camel_case("on_llm_end"), "OnLlmEnd");
    }
}
