//! The attribute: `path = "/x", name = "...", description = "...",
//! llm_gateway = <expr>, stream = true, runnable = <expr>, retry = ..,
//! rate_limit = .., timeout = ..`.

use fastagentic_macro_support::ErrorStore;
use fastagentic_rules::suggest::closest;
use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitBool, LitStr, Token};

const KEYS: &[&str] = &[
    "path",
    "name",
    "description",
    "llm_gateway",
    "stream",
    "runnable",
    "retry",
    "rate_limit",
    "timeout",
];

/// The validated attribute.
pub(crate) struct EndpointAttr {
    pub path: LitStr,
    pub name: Option<LitStr>,
    pub description: Option<LitStr>,
    pub llm_gateway: Option<Expr>,
    pub stream: bool,
    pub runnable: Option<Expr>,
    /// An expression building the endpoint's `RetryPolicy`.
    pub retry: Option<TokenStream>,
    /// An expression building the endpoint's `RateLimit`.
    pub rate_limit: Option<TokenStream>,
    /// An expression building the endpoint's request timeout (`Duration`).
    pub timeout: Option<TokenStream>,
}

/// One `key = value`, `key(nested, ...)` or a bare `key`.
pub(super) struct Entry {
    pub key: Ident,
    pub value: Option<Expr>,
    pub list: Option<Punctuated<Entry, Token![,]>>,
}

impl syn::parse::Parse for Entry {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let (mut value, mut list) = (None, None);
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            value = Some(input.parse()?);
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            list = Some(content.parse_terminated(Entry::parse, Token![,])?);
        }
        Ok(Self { key, value, list })
    }
}

fn lit_str(entry: &Entry, errors: &mut ErrorStore) -> Option<LitStr> {
    match &entry.value {
        Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        })) => Some(s.clone()),
        Some(other) => {
            errors.at(
                other,
                format!(
                    "`{}` takes a string literal: `{} = \"...\"`",
                    entry.key, entry.key
                ),
            );
            None
        }
        None => {
            errors.at(
                &entry.key,
                format!("`{}` needs a value: `{} = \"...\"`", entry.key, entry.key),
            );
            None
        }
    }
}

fn expr(entry: &Entry, example: &str, errors: &mut ErrorStore) -> Option<Expr> {
    match &entry.value {
        Some(value) => Some(value.clone()),
        None => {
            errors.at(
                &entry.key,
                format!("`{}` needs a value: `{} = {example}`", entry.key, entry.key),
            );
            None
        }
    }
}

impl EndpointAttr {
    pub(crate) fn parse(tokens: TokenStream, errors: &mut ErrorStore) -> Option<Self> {
        let entries = match Punctuated::<Entry, Token![,]>::parse_terminated.parse2(tokens.clone())
        {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(syn::Error::new(
                    e.span(),
                    format!("{e}; write `#[agent_endpoint(path = \"/name\", ...)]`"),
                ));
                return None;
            }
        };
        let mut seen: Vec<String> = Vec::new();
        let mut misspelt_path = false;
        let (mut path, mut name, mut description, mut llm_gateway, mut stream, mut runnable) =
            (None, None, None, None, false, None);
        let (mut retry, mut rate_limit, mut timeout) = (None, None, None);
        for entry in &entries {
            let key = entry.key.to_string();
            if seen.contains(&key) {
                errors.at(&entry.key, format!("`{key}` is given twice; keep one"));
                continue;
            }
            seen.push(key.clone());
            match key.as_str() {
                "path" => {
                    if let Some(lit) = lit_str(entry, errors) {
                        if let Err(e) = fastagentic_rules::path::check_endpoint_path(&lit.value()) {
                            errors.at(&lit, e.message);
                        }
                        path = Some(lit);
                    }
                }
                "name" => name = lit_str(entry, errors),
                "description" => description = lit_str(entry, errors),
                "llm_gateway" => llm_gateway = expr(entry, "OpenAiGateway::from_env()?", errors),
                "runnable" => runnable = expr(entry, "MyAgent::new()", errors),
                "retry" => retry = super::reliability_keys::retry(entry, errors),
                "rate_limit" => rate_limit = super::reliability_keys::rate_limit(entry, errors),
                "timeout" => timeout = super::reliability_keys::timeout(entry, errors),
                "stream" => match &entry.value {
                    None => stream = true,
                    Some(Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Bool(LitBool { value, .. }),
                        ..
                    })) => stream = *value,
                    Some(other) => errors.at(other, "`stream` takes `true` or `false`"),
                },
                _ => {
                    let suggestion = closest(&key, KEYS);
                    // A misspelt `path` is reported once, here, not again as missing.
                    misspelt_path |= suggestion == Some("path");
                    let hint = suggestion
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    errors.at(
                        &entry.key,
                        format!(
                            "unknown key `{key}`; expected one of {}{hint}",
                            KEYS.join(", ")
                        ),
                    );
                }
            }
        }
        let Some(path) = path else {
            if !seen.iter().any(|k| k == "path") && !misspelt_path {
                // On the arguments (where `path` goes), or on the whole
                // attribute when it has none.
                let message = "#[agent_endpoint] needs a path: add `path = \"/name\"`";
                errors.push(if tokens.is_empty() {
                    syn::Error::new(proc_macro2::Span::call_site(), message)
                } else {
                    syn::Error::new_spanned(&tokens, message)
                });
            }
            return None;
        };
        Some(Self {
            path,
            name,
            description,
            llm_gateway,
            stream,
            runnable,
            retry,
            rate_limit,
            timeout,
        })
    }
}
