//! `portkey_config!` (compile time) and `PortkeyConfig::from_json` (run time)
//! give the same verdict on the same config: one set of rules
//! (`fastagentic_rules::portkey::validate_config`), two entry points.
//!
//! - Valid configs: the macro's value and compact JSON equal `from_json`'s.
//! - Invalid configs: every `ui/portkey/*.rs` compile-fail case (its errors
//!   reviewed in the `.stderr` next to it) is fed as text to `from_json`,
//!   which must refuse it with exactly the same messages.
//! - A table of configs goes through `validate_config` (the function the macro
//!   calls) and `from_json`: same errors, in the same order.

use std::path::Path;

use fastagentic_portkey::{PortkeyConfig, PortkeyConfigError, portkey_config};
use fastagentic_rules::portkey::validate_config;
use serde_json::Value;

/// The config through the macro, and its JSON text for `from_json`.
macro_rules! both {
    ($($json:tt)+) => {
        (portkey_config!($($json)+), stringify!($($json)+))
    };
}

#[test]
fn valid_configs_are_the_same_value_and_the_same_wire_json() {
    let cases: Vec<(PortkeyConfig, &str)> = vec![
        // The issue's example.
        both!({
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
            "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
        }),
        both!({
            "strategy": {"mode": "loadbalance"},
            "targets": [
                {"provider": "openai", "api_key": "sk-a", "weight": 0.7, "custom_host": "http://127.0.0.1:9/v1"},
                {"provider": "openai", "api_key": "sk-b", "weight": 0.3}
            ]
        }),
        both!({
            "strategy": {
                "mode": "conditional",
                "conditions": [
                    {"query": {"metadata.tier": {"$eq": "premium"}}, "then": "premium"},
                    {"query": {"$or": [{"params.model": {"$in": ["gpt-4", "gpt-4o"]}}, {"metadata._user": "vip"}]}, "then": "premium"}
                ],
                "default": "standard"
            },
            "targets": [
                {"name": "premium", "virtual_key": "openai-key", "override_params": {"model": "gpt-4o", "temperature": 0.2}},
                {"name": "standard", "virtual_key": "openai-key", "override_params": {"model": "gpt-4o-mini", "max_tokens": 512}}
            ]
        }),
        both!({
            "retry": {"attempts": 3, "on_status_codes": [429, 503], "use_retry_after_header": true},
            "cache": {"mode": "semantic", "max_age": 3600},
            "request_timeout": 30000,
            "provider": "openai",
            "api_key": "sk-x",
            "forward_headers": ["x-request-id"]
        }),
        // Nested strategies, non-ASCII text, exponents, large integers.
        both!({
            "strategy": {"mode": "fallback"},
            "targets": [
                {"strategy": {"mode": "loadbalance"}, "targets": [
                    {"provider": "openai", "api_key": "sk-é🚀", "weight": 1e0},
                    {"provider": "anthropic", "api_key": "sk-c", "weight": 18446744073709551615}
                ]},
                {"provider": "openai", "api_key": "sk-d", "override_params": {"model": "gpt-4o-mini", "user": null, "stream": false}}
            ]
        }),
    ];
    for (from_macro, text) in cases {
        let from_json = PortkeyConfig::from_json(text).unwrap_or_else(|error| {
            panic!("from_json refused what the macro took:\n{text}\n{error}")
        });
        assert_eq!(from_macro.as_json(), from_json.as_json(), "{text}");
        assert_eq!(
            from_macro.compact_json(),
            from_json.compact_json(),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<Value>(from_macro.compact_json())
                .ok()
                .as_ref(),
            Some(from_macro.as_json()),
            "the compact JSON is the value"
        );
    }
}

/// The JSON inside `portkey_config!(...)` of a ui case.
fn config_text(source: &str) -> &str {
    let start = source
        .find("portkey_config!(")
        .map(|at| at + "portkey_config!(".len())
        .expect("the case calls portkey_config!");
    let end = source.rfind(");").expect("the call ends with `);`");
    source[start..end].trim()
}

/// The `error: ...` lines of a reviewed `.stderr`.
fn compile_errors(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("error: "))
        .map(str::to_owned)
        .collect()
}

/// Cases that are not JSON (or not strict JSON): the macro's own parser and
/// serde_json word them differently, but both must refuse.
const SYNTAX_CASES: &[&str] = &[
    "key_not_quoted",
    "key_repeated",
    "missing_comma",
    "not_json_bare_word",
    "not_json_trailing_comma",
];

#[test]
fn every_compile_error_case_is_refused_by_from_json_with_the_same_messages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/portkey");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("ui/portkey") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        seen += 1;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let source = std::fs::read_to_string(&path).expect("case source");
        let stderr = std::fs::read_to_string(path.with_extension("stderr"))
            .unwrap_or_else(|_| panic!("{name}: no reviewed .stderr"));
        let macro_errors = compile_errors(&stderr);
        assert!(!macro_errors.is_empty(), "{name}: the macro must refuse it");

        let text = config_text(&source);
        let refused = PortkeyConfig::from_json(text).err().unwrap_or_else(|| {
            panic!("{name}: from_json accepted what the macro refused:\n{text}")
        });
        if SYNTAX_CASES.contains(&name.as_str()) {
            assert!(
                matches!(refused, PortkeyConfigError::Syntax { .. }),
                "{name}: {refused}"
            );
            continue;
        }
        let mut runtime: Vec<String> = refused.errors().iter().map(ToString::to_string).collect();
        let mut compile = macro_errors;
        runtime.sort();
        compile.sort();
        assert_eq!(
            compile, runtime,
            "{name}: compile-time and run-time errors differ"
        );
    }
    assert!(seen >= 11, "expected the ui cases, found {seen}");
}

#[test]
fn the_macros_rule_function_and_from_json_give_the_same_verdicts() {
    let configs = [
        r#"{"strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "a"}, {"virtual_key": "b"}]}"#,
        r#"{"strategy": {"mode": "fallbak"}, "targets": [{"virtual_key": "a"}]}"#,
        r#"{"cache": {"max_age": 60}}"#,
        r#"{"cache": {"mode": "simple", "max_age": -1}}"#,
        r#"{"retry": {"attempts": 9}}"#,
        r#"{"retry": {"attempts": 2, "on_status_codes": [200, 99]}}"#,
        r#"{"strategy": {"mode": "conditional", "conditions": [{"query": {"model": "gpt-4"}, "then": "openai-key"}]}, "targets": [{"name": "x", "virtual_key": "v"}]}"#,
        r#"{"strategy": {"mode": "loadbalance"}, "targets": [{"virtual_key": "a", "weight": 0}, {"virtual_key": "b", "weight": 0}]}"#,
        r#"{"provider": "openai", "api_key": "k", "custom_host": "ftp://example.com"}"#,
        r#"{"provider": "openai"}"#,
        r#"{"options": [{"provider": "openai"}]}"#,
        r#"[]"#,
        r#"{"request_timeout": 1000}"#,
    ];
    for text in configs {
        let value: Value = serde_json::from_str(text).expect("JSON");
        let compile_time: Vec<String> = validate_config(&value)
            .iter()
            .map(ToString::to_string)
            .collect();
        let run_time: Vec<String> = match PortkeyConfig::from_json(text) {
            Ok(_) => Vec::new(),
            Err(error) => error.errors().iter().map(ToString::to_string).collect(),
        };
        assert_eq!(compile_time, run_time, "{text}");
    }
}
