//! Hooks and guardrails: `before_request_hooks`, `after_request_hooks`,
//! `input_guardrails`, `output_guardrails`, `input_mutators`, `output_mutators`.
//!
//! Facts (Portkey-AI/gateway v1.15.2): the schema (`schema/config.ts`) wants
//! the two `*_request_hooks` as arrays of objects and each guardrail list as
//! either an array of strings (guardrail ids) or an array of objects (inline
//! checks), never a mix; `tryTargetsRecursively` reads the two mutator lists
//! with the guardrail shorthand (`convertHooksShorthand`). The objects' own
//! contents are the hooks' business and are not checked here.

use serde_json::Value;

use super::error::{JsonPath, Report};
use super::schema::describe;

/// Keys holding hooks, and whether each takes the guardrail shorthand
/// (strings or objects) or only hook objects.
pub(crate) const HOOK_KEYS: &[(&str, bool)] = &[
    ("before_request_hooks", false),
    ("after_request_hooks", false),
    ("input_guardrails", true),
    ("output_guardrails", true),
    ("input_mutators", true),
    ("output_mutators", true),
];

/// Checks a hooks value; `key` must be one of [`HOOK_KEYS`].
pub(crate) fn check_hooks(key: &str, value: &Value, path: &JsonPath, report: &mut Report) {
    let shorthand = HOOK_KEYS
        .iter()
        .any(|(name, shorthand)| *name == key && *shorthand);
    let Value::Array(items) = value else {
        let expected = if shorthand {
            "an array of guardrail ids or of check objects"
        } else {
            "an array of hook objects"
        };
        report.value(
            path,
            format!("`{key}` must be {expected}, found {}", describe(value)),
        );
        return;
    };
    let all_strings = shorthand && items.first().is_some_and(Value::is_string);
    for (index, item) in items.iter().enumerate() {
        let fits = if all_strings {
            item.is_string()
        } else {
            item.is_object()
        };
        if !fits {
            let expected = match (shorthand, all_strings) {
                (false, _) => "a hook object",
                (true, _) if index == 0 => "a guardrail id string or a check object",
                (true, true) => {
                    "a guardrail id string like the items before it (don't mix ids and objects)"
                }
                (true, false) => {
                    "a check object like the items before it (don't mix ids and objects)"
                }
            };
            report.value(
                &path.index(index),
                format!(
                    "each item of `{key}` must be {expected}, found {}",
                    describe(item)
                ),
            );
        }
    }
}
