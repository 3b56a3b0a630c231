//! The reliability keys: `retry`, `rate_limit` and `timeout`.
//!
//! Each takes either literals, checked here at compile time with the rules
//! the runtime applies at start-up (`fastagentic_rules::reliability`,
//! `fastagentic_rules::duration`), or any expression of the runtime type,
//! checked at start-up:
//!
//! - `retry = 3` or `retry(attempts = 3, backoff = "exponential", initial_delay = "100ms",
//!   max_delay = "2s", jitter = 0.2, on = ["rate_limit", "server_error", 409])`
//!   or `retry = <RetryPolicy expr>`
//! - `rate_limit(requests_per_minute = 60, tokens_per_minute = 100_000, burst = 10, wait = "2s")`
//!   or `rate_limit = <RateLimit expr>`
//! - `timeout = "30s"` or `timeout = <Duration expr>`

use fastagentic_macro_support::ErrorStore;
use fastagentic_rules::duration::parse_duration_ms;
use fastagentic_rules::reliability as rules;
use fastagentic_rules::suggest::closest;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

use super::attr::Entry;

const RETRY_KEYS: &[&str] = &[
    "attempts",
    "backoff",
    "initial_delay",
    "max_delay",
    "jitter",
    "on",
];
const RATE_LIMIT_KEYS: &[&str] = &["requests_per_minute", "tokens_per_minute", "burst", "wait"];

fn fp() -> TokenStream {
    quote!(::fastagentic::__private)
}

/// A literal's value, or `None` (the value is an expression).
fn literal(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(lit) => Some(&lit.lit),
        _ => None,
    }
}

fn int(expr: &Expr, what: &str, errors: &mut ErrorStore) -> Option<u64> {
    match literal(expr) {
        Some(Lit::Int(i)) => match i.base10_parse::<u64>() {
            Ok(v) => Some(v),
            Err(e) => {
                errors.at(expr, format!("`{what}`: {e}"));
                None
            }
        },
        _ => {
            errors.at(expr, format!("`{what}` takes a whole number literal"));
            None
        }
    }
}

fn duration_ms(expr: &Expr, what: &str, errors: &mut ErrorStore) -> Option<u64> {
    match literal(expr) {
        Some(Lit::Str(s)) => match parse_duration_ms(&s.value()) {
            Ok(ms) => Some(ms),
            Err(message) => {
                errors.at(expr, format!("`{what}`: {message}"));
                None
            }
        },
        _ => {
            errors.at(
                expr,
                format!("`{what}` takes a duration literal such as \"250ms\" or \"30s\""),
            );
            None
        }
    }
}

fn check(
    result: Result<(), String>,
    at: impl ToTokens,
    what: &str,
    errors: &mut ErrorStore,
) -> bool {
    match result {
        Ok(()) => true,
        Err(message) => {
            errors.at(at, format!("`{what}`: {message}"));
            false
        }
    }
}

fn unknown_key(entry: &Entry, allowed: &[&str], errors: &mut ErrorStore) {
    let key = entry.key.to_string();
    let hint = closest(&key, allowed)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    errors.at(
        &entry.key,
        format!(
            "unknown key `{key}`; expected one of {}{hint}",
            allowed.join(", ")
        ),
    );
}

/// The value of a nested `key = value`.
fn value<'a>(entry: &'a Entry, errors: &mut ErrorStore) -> Option<&'a Expr> {
    if entry.value.is_none() {
        errors.at(
            &entry.key,
            format!("`{}` needs a value: `{} = ...`", entry.key, entry.key),
        );
    }
    entry.value.as_ref()
}

/// `retry = ...`: an expression building a `RetryPolicy`.
pub(super) fn retry(entry: &Entry, errors: &mut ErrorStore) -> Option<TokenStream> {
    let fp = fp();
    if let Some(expr) = &entry.value {
        if literal(expr).is_none() {
            return Some(quote_spanned!(expr.span()=> #fp::retry_policy(#expr)));
        }
        let attempts = int(expr, "retry", errors)?;
        check(rules::check_retry_attempts(attempts), expr, "retry", errors).then_some(())?;
        let attempts = attempts as u32;
        return Some(quote!(#fp::RetryPolicy::new(#attempts)));
    }
    let Some(list) = &entry.list else {
        errors.at(&entry.key, "`retry` needs a value: `retry = 3` or `retry(attempts = 3, backoff = \"exponential\")`");
        return None;
    };
    let mut attempts: Option<(u64, &Expr)> = None;
    let mut kind: Option<(String, &Expr)> = None;
    let mut initial: Option<(u64, &Expr)> = None;
    let mut max: Option<(u64, &Expr)> = None;
    let mut jitter: Option<f64> = None;
    let mut on: Option<TokenStream> = None;
    let before = errors.len();
    for nested in list {
        let Some(v) = value(nested, errors) else {
            continue;
        };
        match nested.key.to_string().as_str() {
            "attempts" => {
                if let Some(n) = int(v, "attempts", errors)
                    && check(rules::check_retry_attempts(n), v, "attempts", errors)
                {
                    attempts = Some((n, v));
                }
            }
            "backoff" => match literal(v) {
                Some(Lit::Str(s))
                    if check(rules::check_backoff(&s.value()), v, "backoff", errors) =>
                {
                    kind = Some((s.value(), v))
                }
                Some(Lit::Str(_)) => {}
                _ => errors.at(
                    v,
                    format!("`backoff` takes one of {}", rules::BACKOFF_KINDS.join(", ")),
                ),
            },
            "initial_delay" => initial = duration_ms(v, "initial_delay", errors).map(|ms| (ms, v)),
            "max_delay" => max = duration_ms(v, "max_delay", errors).map(|ms| (ms, v)),
            "jitter" => match literal(v) {
                Some(Lit::Float(f)) => match f.base10_parse::<f64>() {
                    Ok(x) if check(rules::check_jitter(x), v, "jitter", errors) => jitter = Some(x),
                    Ok(_) => {}
                    Err(e) => errors.at(v, format!("`jitter`: {e}")),
                },
                Some(Lit::Int(i)) if i.base10_digits() == "0" || i.base10_digits() == "1" => {
                    jitter = i.base10_parse::<f64>().ok();
                }
                _ => errors.at(v, "`jitter` takes a number from 0 to 1, such as 0.2"),
            },
            "on" => on = error_filter(v, errors),
            _ => unknown_key(nested, RETRY_KEYS, errors),
        }
    }
    let Some((attempts, _)) = attempts else {
        if errors.len() == before {
            errors.at(
                &entry.key,
                "`retry(...)` needs `attempts = N` (the first call included)",
            );
        }
        return None;
    };
    let initial_ms = initial.map_or(200, |(ms, _)| ms);
    let max_ms = max.map_or(8_000.max(initial_ms), |(ms, _)| ms);
    let delays_at = max
        .map(|(_, e)| e.to_token_stream())
        .or_else(|| initial.map(|(_, e)| e.to_token_stream()));
    if let Some(at) = delays_at
        && !check(rules::check_delays(initial_ms, max_ms), at, "retry", errors)
    {
        return None;
    }
    if errors.len() != before {
        return None;
    }
    let kind = match kind.as_ref().map_or("exponential", |(k, _)| k.as_str()) {
        "fixed" => quote!(#fp::BackoffKind::Fixed),
        "linear" => quote!(#fp::BackoffKind::Linear),
        _ => quote!(#fp::BackoffKind::Exponential),
    };
    let jitter = jitter.unwrap_or(0.2);
    let attempts = attempts as u32;
    let mut policy = quote! {
        #fp::RetryPolicy::new(#attempts).backoff(
            #fp::Backoff::new(#kind, #fp::Duration::from_millis(#initial_ms), #fp::Duration::from_millis(#max_ms)).jitter(#jitter)
        )
    };
    if let Some(filter) = on {
        policy = quote!(#policy.retry_on(#filter));
    }
    Some(policy)
}

/// `on = ["rate_limit", 409, ...]`: an `ErrorFilter`.
fn error_filter(expr: &Expr, errors: &mut ErrorStore) -> Option<TokenStream> {
    let fp = fp();
    let Expr::Array(array) = expr else {
        errors.at(
            expr,
            format!(
                "`on` takes a list of error classes ({}) and status codes",
                rules::ERROR_CLASSES.join(", ")
            ),
        );
        return None;
    };
    let mut filter = quote!(#fp::ErrorFilter::none());
    for item in &array.elems {
        match literal(item) {
            Some(Lit::Str(s)) => {
                let name = s.value();
                if check(rules::check_error_class(&name), item, "on", errors) {
                    let variant = match name.as_str() {
                        "rate_limit" => quote!(RateLimit),
                        "timeout" => quote!(Timeout),
                        "server_error" => quote!(ServerError),
                        _ => quote!(Connection),
                    };
                    filter = quote!(#filter.with(#fp::ErrorClass::#variant));
                }
            }
            Some(Lit::Int(_)) => {
                if let Some(code) = int(item, "on", errors)
                    && check(rules::check_error_status(code), item, "on", errors)
                {
                    let code = code as u16;
                    filter = quote!(#filter.status(#code));
                }
            }
            _ => errors.at(
                item,
                format!(
                    "`on` lists error classes ({}) and status codes",
                    rules::ERROR_CLASSES.join(", ")
                ),
            ),
        }
    }
    Some(filter)
}

/// `rate_limit = ...`: an expression building a `RateLimit`.
pub(super) fn rate_limit(entry: &Entry, errors: &mut ErrorStore) -> Option<TokenStream> {
    let fp = fp();
    if let Some(expr) = &entry.value {
        return Some(quote_spanned!(expr.span()=> #fp::rate_limit(#expr)));
    }
    let Some(list) = &entry.list else {
        errors.at(
            &entry.key,
            "`rate_limit` needs a value: `rate_limit(requests_per_minute = 60)`",
        );
        return None;
    };
    let before = errors.len();
    let mut limit = quote!(#fp::RateLimit::new());
    let (mut rpm, mut burst): (Option<u64>, Option<(u64, &Expr)>) = (None, None);
    let mut any_rate = false;
    for nested in list {
        let Some(v) = value(nested, errors) else {
            continue;
        };
        match nested.key.to_string().as_str() {
            "requests_per_minute" => {
                if let Some(n) = int(v, "requests_per_minute", errors)
                    && check(rules::check_rate(n), v, "requests_per_minute", errors)
                {
                    rpm = Some(n);
                    any_rate = true;
                    let n = n as u32;
                    limit = quote!(#limit.requests_per_minute(#n));
                }
            }
            "tokens_per_minute" => {
                if let Some(n) = int(v, "tokens_per_minute", errors)
                    && check(rules::check_token_rate(n), v, "tokens_per_minute", errors)
                {
                    any_rate = true;
                    limit = quote!(#limit.tokens_per_minute(#n));
                }
            }
            "burst" => burst = int(v, "burst", errors).map(|n| (n, v)),
            "wait" => {
                if let Some(ms) = duration_ms(v, "wait", errors)
                    && check(rules::check_positive_ms("wait", ms), v, "wait", errors)
                {
                    limit = quote!(#limit.wait(#fp::Duration::from_millis(#ms)));
                }
            }
            _ => unknown_key(nested, RATE_LIMIT_KEYS, errors),
        }
    }
    if let Some((n, at)) = burst
        && check(rules::check_burst(n, rpm.unwrap_or(0)), at, "burst", errors)
    {
        let n = n as u32;
        limit = quote!(#limit.burst(#n));
    }
    if !any_rate && errors.len() == before {
        errors.at(
            &entry.key,
            "`rate_limit(...)` needs `requests_per_minute = N` or `tokens_per_minute = N`",
        );
    }
    (errors.len() == before).then_some(limit)
}

/// `timeout = "30s"`: the endpoint's request timeout, a `Duration`.
pub(super) fn timeout(entry: &Entry, errors: &mut ErrorStore) -> Option<TokenStream> {
    let fp = fp();
    let Some(expr) = &entry.value else {
        errors.at(&entry.key, "`timeout` needs a value: `timeout = \"30s\"`");
        return None;
    };
    if literal(expr).is_none() {
        return Some(quote_spanned!(expr.span()=> #fp::timeout(#expr)));
    }
    let ms = duration_ms(expr, "timeout", errors)?;
    check(
        rules::check_positive_ms("timeout", ms),
        expr,
        "timeout",
        errors,
    )
    .then_some(())?;
    Some(quote!(#fp::Duration::from_millis(#ms)))
}
