//! Checks every literal with `fastagentic_rules::litellm` and puts each error
//! on the token at fault.

use fastagentic_macro_support::ErrorStore;
use fastagentic_rules::litellm::{check_fallback_models, check_num_retries, check_timeout_secs};
use fastagentic_rules::suggest::closest;
use proc_macro2::Span;
use syn::{Expr, ExprArray, Lit, UnOp};

use crate::parse::Entry;

/// The option names, in the order the docs list them.
const KEYS: [&str; 3] = ["fallback_models", "num_retries", "timeout_secs"];

/// The checked values.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) fallback_models: Option<Vec<String>>,
    pub(crate) num_retries: Option<u32>,
    pub(crate) timeout_secs: Option<f64>,
}

/// Validates every entry, collecting every error.
pub(crate) fn validate(entries: &[Entry], errors: &mut ErrorStore) -> Options {
    let mut options = Options::default();
    if entries.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            format!(
                "`litellm_options!` sets nothing: give at least one of {}",
                KEYS.join(", ")
            ),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for entry in entries {
        let name = entry.key.to_string();
        if seen.contains(&name) {
            errors.at(&entry.key, format!("`{name}` is given twice; keep one"));
            continue;
        }
        seen.push(name.clone());
        match name.as_str() {
            "fallback_models" => options.fallback_models = fallback_models(&entry.value, errors),
            "num_retries" => options.num_retries = num_retries(&entry.value, errors),
            "timeout_secs" => options.timeout_secs = timeout_secs(&entry.value, errors),
            unknown => {
                let mut message = format!(
                    "unknown option `{unknown}`; expected one of {}",
                    KEYS.join(", ")
                );
                if let Some(suggestion) = closest(unknown, &KEYS) {
                    message.push_str(&format!("; did you mean `{suggestion}`?"));
                }
                errors.at(&entry.key, message);
            }
        }
    }
    options
}

fn fallback_models(value: &Expr, errors: &mut ErrorStore) -> Option<Vec<String>> {
    let Expr::Array(array) = value else {
        errors.at(
            value,
            "`fallback_models` takes an array of string literals, e.g. \
             `[\"gpt-4o\", \"claude-3-sonnet\"]`; for a list known only at run time call \
             `.fallback_models(list)` on the gateway (checked at start-up)",
        );
        return None;
    };
    let mut names = Vec::new();
    let mut all_strings = true;
    for element in &array.elems {
        match element {
            Expr::Lit(literal) if matches!(literal.lit, Lit::Str(_)) => {
                if let Lit::Str(text) = &literal.lit {
                    names.push(text.value());
                }
            }
            other => {
                all_strings = false;
                errors.at(
                    other,
                    "a fallback model is a string literal naming a `model_name` of the proxy's \
                     `model_list`, e.g. `\"gpt-4o-mini\"`",
                );
            }
        }
    }
    if !all_strings {
        return None;
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    match check_fallback_models(&refs) {
        Ok(()) => Some(names),
        Err(message) => {
            blame_model(array, &refs, &message, errors);
            None
        }
    }
}

/// Puts a list error on the first model that makes the list invalid (the
/// rules report the first problem in order), or on the whole list when it is empty.
fn blame_model(array: &ExprArray, names: &[&str], message: &str, errors: &mut ErrorStore) {
    let culprit = (0..names.len()).find(|&end| check_fallback_models(&names[..=end]).is_err());
    match culprit.and_then(|index| array.elems.iter().nth(index)) {
        Some(element) => errors.at(element, message),
        None => errors.at(array, message),
    }
}

fn num_retries(value: &Expr, errors: &mut ErrorStore) -> Option<u32> {
    let number = match literal_number(value) {
        Some(Number::Int(number)) => number,
        Some(Number::Float(_)) => {
            errors.at(value, "`num_retries` takes a whole number such as `3`");
            return None;
        }
        None => {
            errors.at(
                value,
                not_a_literal(
                    "num_retries",
                    "a whole number such as `3`",
                    ".num_retries(n)",
                ),
            );
            return None;
        }
    };
    let Ok(number) = i64::try_from(number) else {
        errors.at(
            value,
            format!("`num_retries` {number} is too large: at most {}", u32::MAX),
        );
        return None;
    };
    if let Err(message) = check_num_retries(number) {
        errors.at(value, message);
        return None;
    }
    match u32::try_from(number) {
        Ok(retries) => Some(retries),
        Err(_) => {
            errors.at(
                value,
                format!("`num_retries` {number} is too large: at most {}", u32::MAX),
            );
            None
        }
    }
}

fn timeout_secs(value: &Expr, errors: &mut ErrorStore) -> Option<f64> {
    let secs = match literal_number(value) {
        Some(Number::Int(number)) => number as f64,
        Some(Number::Float(number)) => number,
        None => {
            errors.at(
                value,
                not_a_literal(
                    "timeout_secs",
                    "a number of seconds such as `30`",
                    ".timeout_secs(secs)",
                ),
            );
            return None;
        }
    };
    match check_timeout_secs(secs) {
        Ok(()) => Some(secs),
        Err(message) => {
            errors.at(value, message);
            None
        }
    }
}

fn not_a_literal(key: &str, expected: &str, method: &str) -> String {
    format!(
        "`{key}` takes a literal, {expected}; for a value known only at run time call \
         `{method}` on the gateway (checked at start-up)"
    )
}

enum Number {
    Int(i128),
    Float(f64),
}

/// An integer or float literal, possibly negated.
fn literal_number(expr: &Expr) -> Option<Number> {
    match expr {
        Expr::Lit(literal) => match &literal.lit {
            Lit::Int(int) => int.base10_parse::<i128>().ok().map(Number::Int),
            Lit::Float(float) => float.base10_parse::<f64>().ok().map(Number::Float),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            match literal_number(&unary.expr)? {
                Number::Int(number) => Some(Number::Int(-number)),
                Number::Float(number) => Some(Number::Float(-number)),
            }
        }
        Expr::Paren(inner) => literal_number(&inner.expr),
        Expr::Group(inner) => literal_number(&inner.expr),
        _ => None,
    }
}
