//! FastAgentic's in-process extensions of a Portkey config, which the real
//! gateway does not have:
//!
//! - `strategy.balance` of a `loadbalance` strategy: `weighted` (the
//!   default, Portkey's weighted random pick), `least_latency` (the target
//!   with the lowest moving average of its latency) or `least_busy` (the less
//!   busy of two weighted random picks, "power of two choices");
//! - `circuit_breaker` on a target: `{"failure_threshold": 5, "window":
//!   60000, "cooldown": 30000}` (durations in milliseconds, as Portkey's
//!   `request_timeout`, or as text such as `"30s"`): after
//!   `failure_threshold` failures (5xx, unreachable, timeouts) within
//!   `window` the target is skipped for `cooldown`, then probed.
//!
//! Both are checked here for `portkey_config!` and `PortkeyConfig::from_json`
//! alike. A config carrying them runs only in-process: [`extensions_in`]
//! lists where they are, so a gateway sending the config to a remote Portkey
//! gateway (whose schema strips unknown keys silently) refuses it at start-up.

use serde_json::{Map, Value};

use super::error::{ConfigError, JsonPath, Report};
use super::schema::describe;
use crate::duration::parse_duration_ms;
use crate::reliability::{check_breaker, check_positive_ms};
use crate::suggest::closest;

/// The values of `strategy.balance`, the default first.
pub const BALANCE_POLICIES: &[&str] = &["weighted", "least_latency", "least_busy"];

/// The keys of a target's `circuit_breaker`.
pub const CIRCUIT_BREAKER_KEYS: &[&str] = &["failure_threshold", "window", "cooldown"];

/// A breaker's `window` when none is given: one minute.
pub const DEFAULT_BREAKER_WINDOW_MS: u64 = 60_000;

/// A breaker's `cooldown` when none is given: 30 seconds.
pub const DEFAULT_BREAKER_COOLDOWN_MS: u64 = 30_000;

/// A target's `circuit_breaker`, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitBreakerSettings {
    /// Failures within the window that open the circuit (at least 1).
    pub failure_threshold: u32,
    /// The window failures are counted over, in milliseconds.
    pub window_ms: u64,
    /// How long an open circuit skips the target, in milliseconds.
    pub cooldown_ms: u64,
}

/// Checks `strategy.balance` (at `path`) of a strategy whose mode is `mode`.
pub(crate) fn check_balance(
    value: &Value,
    path: &JsonPath,
    mode: Option<&str>,
    report: &mut Report,
) {
    if let Some(mode) = mode.filter(|mode| *mode != "loadbalance") {
        report.key(
            path,
            format!(
                "`balance` is read only by a `loadbalance` strategy, not `{mode}`: remove it, or \
                 write `\"mode\": \"loadbalance\"`"
            ),
        );
        return;
    }
    let Some(name) = value.as_str() else {
        report.value(
            path,
            format!(
                "`balance` must be a string, one of {}; found {}",
                BALANCE_POLICIES.join(", "),
                describe(value)
            ),
        );
        return;
    };
    if BALANCE_POLICIES.contains(&name) {
        return;
    }
    let mut message = format!(
        "unknown balance `{name}`; expected one of {}",
        BALANCE_POLICIES.join(", ")
    );
    if let Some(suggestion) = closest(name, BALANCE_POLICIES) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    report.value(path, message);
}

/// Checks a target's `circuit_breaker` (at `path`).
pub(crate) fn check_circuit_breaker(value: &Value, path: &JsonPath, report: &mut Report) {
    let Value::Object(breaker) = value else {
        report.value(
            path,
            format!(
                "`circuit_breaker` must be an object such as `{{\"failure_threshold\": 5, \
                 \"window\": 60000, \"cooldown\": 30000}}`, found {}",
                describe(value)
            ),
        );
        return;
    };
    for (key, item) in breaker {
        let item_path = path.key(key);
        let checked = match key.as_str() {
            "failure_threshold" => threshold(item).map(|_| ()),
            "window" => duration_ms("window", item).and_then(|ms| check_breaker(1, ms)),
            "cooldown" => {
                duration_ms("cooldown", item).and_then(|ms| check_positive_ms("cooldown", ms))
            }
            _ => {
                let mut message = format!(
                    "unknown key `{key}` in `circuit_breaker`; expected one of {}",
                    CIRCUIT_BREAKER_KEYS.join(", ")
                );
                if let Some(suggestion) = closest(key, CIRCUIT_BREAKER_KEYS) {
                    message = format!(
                        "unknown key `{key}` in `circuit_breaker`; did you mean `{suggestion}`?"
                    );
                }
                report.key(&item_path, message);
                continue;
            }
        };
        if let Err(message) = checked {
            report.value(&item_path, message);
        }
    }
    if !breaker.contains_key("failure_threshold") {
        report.value(
            path,
            "`circuit_breaker` needs `failure_threshold`: the failures within `window` that open \
             it, e.g. `\"failure_threshold\": 5`",
        );
    }
}

/// `failure_threshold`: a whole number of at least 1.
fn threshold(value: &Value) -> Result<u32, String> {
    let Some(n) = value.as_u64() else {
        return Err(format!(
            "`failure_threshold` must be a whole number of failures (at least 1), found {}",
            match value {
                Value::Number(n) => n.to_string(),
                other => describe(other).to_owned(),
            }
        ));
    };
    check_breaker(n, DEFAULT_BREAKER_WINDOW_MS)?;
    u32::try_from(n).map_err(|_| format!("`failure_threshold` is {n}, too large"))
}

/// A duration: a number of milliseconds or text such as `"30s"`.
fn duration_ms(key: &str, value: &Value) -> Result<u64, String> {
    match value {
        Value::Number(n) => n.as_u64().ok_or_else(|| {
            format!("`{key}` must be a whole number of milliseconds (or text such as \"30s\"), found {n}")
        }),
        Value::String(text) => parse_duration_ms(text).map_err(|m| format!("`{key}`: {m}")),
        other => Err(format!(
            "`{key}` must be a number of milliseconds or text such as \"30s\", found {}",
            describe(other)
        )),
    }
}

/// A valid `circuit_breaker` read, with the defaults filled in; `None` when
/// it is not valid (check the config first).
pub fn circuit_breaker_settings(value: &Value) -> Option<CircuitBreakerSettings> {
    let breaker = value.as_object()?;
    let read = |key: &str, default: u64| match breaker.get(key) {
        Some(item) => duration_ms(key, item).ok(),
        None => Some(default),
    };
    Some(CircuitBreakerSettings {
        failure_threshold: threshold(breaker.get("failure_threshold")?).ok()?,
        window_ms: read("window", DEFAULT_BREAKER_WINDOW_MS)?,
        cooldown_ms: read("cooldown", DEFAULT_BREAKER_COOLDOWN_MS)?,
    })
}

/// Where a config uses an in-process extension (`strategy.balance`,
/// `circuit_breaker`), each as an error saying a remote gateway does not
/// know it: what a gateway sending the config to Portkey refuses.
///
/// ```
/// use fastagentic_rules::portkey::extensions_in;
/// use serde_json::json;
///
/// let config = json!({
///     "strategy": {"mode": "fallback"},
///     "targets": [
///         {"provider": "openai", "api_key": "k"},
///         {"provider": "openai", "api_key": "k", "circuit_breaker": {"failure_threshold": 3}}
///     ]
/// });
/// let found = extensions_in(&config);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].path_string(), "targets[1].circuit_breaker");
/// ```
pub fn extensions_in(config: &Value) -> Vec<ConfigError> {
    let mut report = Report::default();
    walk(config, &JsonPath::root(), &mut report);
    report.into_errors()
}

fn walk(node: &Value, path: &JsonPath, report: &mut Report) {
    let Some(node) = node.as_object() else {
        return;
    };
    let remote = "is a FastAgentic in-process extension that the Portkey gateway does not know \
                  (it would drop it silently): run this config in-process \
                  (`PortkeyGateway::in_process`) or remove it";
    if strategy_of(node).is_some_and(|strategy| strategy.contains_key("balance")) {
        report.key(
            &path.key("strategy").key("balance"),
            format!("`balance` {remote}"),
        );
    }
    if node.contains_key("circuit_breaker") {
        report.key(
            &path.key("circuit_breaker"),
            format!("`circuit_breaker` {remote}"),
        );
    }
    if let Some(Value::Array(targets)) = node.get("targets") {
        let targets_path = path.key("targets");
        for (index, target) in targets.iter().enumerate() {
            walk(target, &targets_path.index(index), report);
        }
    }
}

fn strategy_of(node: &Map<String, Value>) -> Option<&Map<String, Value>> {
    node.get("strategy")?.as_object()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(check: impl FnOnce(&JsonPath, &mut Report)) -> Vec<String> {
        let mut report = Report::default();
        check(&JsonPath::root().key("x"), &mut report);
        report
            .into_errors()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn balance_names_the_policies_and_only_loadbalance_reads_it() {
        for name in BALANCE_POLICIES {
            assert!(
                errors(|p, r| check_balance(&json!(name), p, Some("loadbalance"), r)).is_empty()
            );
        }
        let unknown =
            errors(|p, r| check_balance(&json!("least_latncy"), p, Some("loadbalance"), r));
        assert_eq!(
            unknown,
            [
                "`x`: unknown balance `least_latncy`; expected one of weighted, least_latency, \
              least_busy; did you mean `least_latency`?"
            ]
        );
        let misplaced = errors(|p, r| check_balance(&json!("least_busy"), p, Some("fallback"), r));
        assert!(
            misplaced[0].contains("only by a `loadbalance`"),
            "{misplaced:?}"
        );
    }

    #[test]
    fn circuit_breakers_need_a_threshold_of_one_or_more_and_real_durations() {
        let ok = json!({"failure_threshold": 3, "window": "10s", "cooldown": 500});
        assert!(errors(|p, r| check_circuit_breaker(&ok, p, r)).is_empty());
        assert_eq!(
            circuit_breaker_settings(&ok),
            Some(CircuitBreakerSettings {
                failure_threshold: 3,
                window_ms: 10_000,
                cooldown_ms: 500
            })
        );
        assert_eq!(
            circuit_breaker_settings(&json!({"failure_threshold": 1})),
            Some(CircuitBreakerSettings {
                failure_threshold: 1,
                window_ms: DEFAULT_BREAKER_WINDOW_MS,
                cooldown_ms: DEFAULT_BREAKER_COOLDOWN_MS
            })
        );
        let zero = errors(|p, r| check_circuit_breaker(&json!({"failure_threshold": 0}), p, r));
        assert!(
            zero[0].starts_with("`x.failure_threshold`: `failure_threshold` is 0"),
            "{zero:?}"
        );
        let bad = errors(|p, r| {
            check_circuit_breaker(
                &json!({"window": 0, "cooldown": "soon", "treshold": 1}),
                p,
                r,
            )
        });
        assert_eq!(bad.len(), 4, "{bad:?}");
        assert!(
            bad.iter().any(|e| e.contains("unknown key `treshold`")),
            "{bad:?}"
        );
        assert!(circuit_breaker_settings(&json!({"failure_threshold": 0})).is_none());
    }

    #[test]
    fn extensions_are_found_at_any_depth() {
        let config = json!({
            "strategy": {"mode": "loadbalance", "balance": "least_busy"},
            "targets": [
                {"strategy": {"mode": "fallback"}, "targets": [
                    {"provider": "openai", "api_key": "k", "circuit_breaker": {"failure_threshold": 2}}
                ]}
            ]
        });
        let paths: Vec<String> = extensions_in(&config)
            .iter()
            .map(ConfigError::path_string)
            .collect();
        assert_eq!(
            paths,
            ["strategy.balance", "targets[0].targets[0].circuit_breaker"]
        );
    }
}
