//! `strategy`: how a config or target routes among its `targets`.
//!
//! Facts (Portkey-AI/gateway v1.15.2):
//! - schema (`schema/config.ts`): `mode` required, one of single,
//!   loadbalance, fallback, conditional; `on_status_codes` numbers;
//!   `conditions` an array of `{query: object, then: string}`; `default` a string;
//! - `tryTargetsRecursively` (`src/handlers/handlerUtils.ts`): every mode walks
//!   `targets` (a strategy without them fails the request); only `fallback`
//!   reads `on_status_codes`; `loadbalance` treats a missing `weight` as 1 and
//!   picks by weighted random (all weights 0 picks nothing); `single` uses the
//!   first target;
//! - `ConditionalRouter` (`src/services/conditionalRouter.ts`): `conditions`
//!   is required, `then` and `default` are looked up by `name` among this
//!   strategy's own `targets` (no match fails the request).

use serde_json::{Map, Value};

use super::error::{JsonPath, Report};
use super::extensions::check_balance;
use super::query::check_query;
use super::schema::{self, CONDITION_KEYS, STRATEGY_KEYS, describe};
use super::status_codes::{Trigger, check_status_codes};
use crate::suggest::closest;

/// The routing modes Portkey knows.
pub const STRATEGY_MODES: &[&str] = &["single", "loadbalance", "fallback", "conditional"];

/// Checks the `strategy` of `node` (a config or target at `node_path`),
/// including what it needs from the node's `targets`.
pub(crate) fn check_strategy(node: &Map<String, Value>, node_path: &JsonPath, report: &mut Report) {
    let Some(value) = node.get("strategy") else {
        return;
    };
    let path = node_path.key("strategy");
    let Value::Object(strategy) = value else {
        let hint = match value.as_str() {
            Some(mode) if STRATEGY_MODES.contains(&mode) => {
                format!("write `{{\"mode\": \"{mode}\"}}`")
            }
            _ => "write e.g. `{\"mode\": \"fallback\"}`".to_owned(),
        };
        report.value(
            &path,
            format!(
                "`strategy` must be an object, found {}: {hint}",
                describe(value)
            ),
        );
        return;
    };
    let mode = check_mode(strategy, &path, report);
    let names = target_names(node);

    for (key, item) in strategy {
        let item_path = path.key(key);
        match key.as_str() {
            "mode" => {}
            "on_status_codes" => match mode {
                // `loadbalance` too: Portkey's gateway accepts and ignores it
                // there; FastAgentic's in-process engine fails over to the
                // siblings on these statuses (and says so when a config with
                // it goes to a remote gateway).
                Some(mode) if mode != "fallback" && mode != "loadbalance" => report.key(
                    &item_path,
                    format!(
                        "`on_status_codes` in a `{mode}` strategy is ignored: only `fallback` (and \
                         `loadbalance`, in-process) reads it; to retry on status codes put them in \
                         `retry.on_status_codes`"
                    ),
                ),
                _ => check_status_codes(item, &item_path, Trigger::Fallback, report),
            },
            "conditions" | "default" => match mode {
                Some(mode) if mode != "conditional" => report.key(
                    &item_path,
                    format!("`{key}` is ignored in a `{mode}` strategy: only `conditional` reads it"),
                ),
                _ if key == "conditions" => check_conditions(item, &item_path, names.as_deref(), report),
                _ => check_target_reference("default", item, &item_path, names.as_deref(), report),
            },
            "balance" => check_balance(item, &item_path, mode, report),
            "targets" => report.key(
                &item_path,
                "`targets` belongs beside `strategy`, not inside it: `{\"strategy\": {\"mode\": ...}, \"targets\": [...]}`",
            ),
            _ => report.key(&item_path, schema::unknown_key(key, "`strategy`", STRATEGY_KEYS)),
        }
    }

    if mode == Some("conditional") && !strategy.contains_key("conditions") {
        report.value(
            &path,
            "a `conditional` strategy needs `conditions` (the gateway fails every request without \
             them): add `\"conditions\": [{\"query\": {\"metadata.tier\": {\"$eq\": \"premium\"}}, \
             \"then\": \"<target name>\"}]`",
        );
    }
    check_targets_for(mode, node, node_path, &path, report);
}

/// The mode, if it is a known one; reports a missing or unknown mode.
fn check_mode<'a>(
    strategy: &'a Map<String, Value>,
    path: &JsonPath,
    report: &mut Report,
) -> Option<&'a str> {
    let Some(value) = strategy.get("mode") else {
        report.value(
            path,
            format!(
                "`strategy` needs a `mode`: one of {}",
                STRATEGY_MODES.join(", ")
            ),
        );
        return None;
    };
    let mode_path = path.key("mode");
    let Some(mode) = value.as_str() else {
        report.value(
            &mode_path,
            format!(
                "strategy `mode` must be a string ({}), found {}",
                STRATEGY_MODES.join(", "),
                describe(value)
            ),
        );
        return None;
    };
    if STRATEGY_MODES.contains(&mode) {
        return Some(mode);
    }
    let mut message = format!(
        "unknown strategy mode `{mode}`; expected one of {}",
        STRATEGY_MODES.join(", ")
    );
    if let Some(suggestion) = closest(mode, STRATEGY_MODES) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    report.value(&mode_path, message);
    None
}

/// The string `name`s of the node's targets, or `None` when `targets` is not an array.
fn target_names(node: &Map<String, Value>) -> Option<Vec<&str>> {
    let targets = node.get("targets")?.as_array()?;
    Some(
        targets
            .iter()
            .filter_map(|target| target.get("name")?.as_str())
            .collect(),
    )
}

/// What the strategy needs from the node's `targets`.
fn check_targets_for(
    mode: Option<&str>,
    node: &Map<String, Value>,
    node_path: &JsonPath,
    strategy_path: &JsonPath,
    report: &mut Report,
) {
    let label = mode.map_or_else(|| "a".to_owned(), |mode| format!("a `{mode}`"));
    let Some(targets) = node.get("targets") else {
        report.value(
            strategy_path,
            format!(
                "{label} strategy needs `targets` (the gateway fails the request without them): add \
                 `\"targets\": [{{\"provider\": \"openai\", \"api_key\": \"...\"}}, ...]` beside `strategy`"
            ),
        );
        return;
    };
    let Some(targets) = targets.as_array() else {
        return; // the type error is reported with `targets`
    };
    let targets_path = node_path.key("targets");
    if targets.is_empty() {
        report.value(
            &targets_path,
            format!("`targets` is empty: {label} strategy needs at least one target"),
        );
        return;
    }
    if mode == Some("loadbalance") {
        let weights: Vec<f64> = targets
            .iter()
            .map(|target| target.get("weight").map_or(Some(1.0), Value::as_f64))
            .collect::<Option<Vec<f64>>>()
            .unwrap_or_default();
        if !weights.is_empty() && weights.iter().all(|weight| *weight == 0.0) {
            report.value(
                &targets_path,
                "every target has `weight` 0, so `loadbalance` can pick none of them and the request \
                 fails: give at least one target a positive weight",
            );
        }
    }
}

fn check_conditions(value: &Value, path: &JsonPath, names: Option<&[&str]>, report: &mut Report) {
    let Value::Array(conditions) = value else {
        report.value(
            path,
            format!(
                "`conditions` must be an array of `{{\"query\": {{...}}, \"then\": \"<target name>\"}}`, found {}",
                describe(value)
            ),
        );
        return;
    };
    if conditions.is_empty() {
        report.value(
            path,
            "`conditions` is empty: add a condition such as `{\"query\": {\"metadata.tier\": {\"$eq\": \
             \"premium\"}}, \"then\": \"<target name>\"}`, or use mode `single`",
        );
        return;
    }
    for (index, condition) in conditions.iter().enumerate() {
        let condition_path = path.index(index);
        let Value::Object(condition) = condition else {
            report.value(
                &condition_path,
                format!(
                    "a condition must be an object `{{\"query\": {{...}}, \"then\": \"<target name>\"}}`, found {}",
                    describe(condition)
                ),
            );
            continue;
        };
        for (key, item) in condition {
            let item_path = condition_path.key(key);
            match key.as_str() {
                "query" => check_query(item, &item_path, report),
                "then" => check_target_reference("then", item, &item_path, names, report),
                _ => report.key(
                    &item_path,
                    schema::unknown_key(key, "a condition", CONDITION_KEYS),
                ),
            }
        }
        for required in ["query", "then"] {
            if !condition.contains_key(required) {
                let example = if required == "query" {
                    "`\"query\": {\"metadata.tier\": {\"$eq\": \"premium\"}}`"
                } else {
                    "`\"then\": \"<target name>\"`"
                };
                report.value(
                    &condition_path,
                    format!("a condition needs `{required}`: add {example}"),
                );
            }
        }
    }
}

/// `then` / `default`: a string naming one of this strategy's targets.
fn check_target_reference(
    key: &str,
    value: &Value,
    path: &JsonPath,
    names: Option<&[&str]>,
    report: &mut Report,
) {
    let Some(name) = value.as_str() else {
        report.value(
            path,
            format!(
                "`{key}` must be a target's `name` (a string), found {}",
                describe(value)
            ),
        );
        return;
    };
    let Some(names) = names else {
        return; // no usable `targets`: reported there
    };
    if names.contains(&name) {
        return;
    }
    let message = if names.is_empty() {
        format!(
            "`{key}` names the target `{name}`, but no target in `targets` has a `name`: add \
             `\"name\": \"{name}\"` to the target it should pick"
        )
    } else {
        let mut message = format!(
            "`{key}` names the target `{name}`, but no target in `targets` has that `name` (the request \
             would fail); target names: {}",
            names.join(", ")
        );
        if let Some(suggestion) = closest(name, names) {
            message.push_str(&format!("; did you mean `{suggestion}`?"));
        }
        message
    };
    report.value(path, message);
}
