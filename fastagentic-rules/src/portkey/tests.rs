//! Whole-config tests: real-world configs from Portkey's docs that must pass,
//! and each failure with its path, blame and message.

use serde_json::{Value, json};

use super::*;

fn assert_valid(config: Value) {
    let errors = validate_config(&config);
    assert!(
        errors.is_empty(),
        "expected a valid config:\n{config:#}\ngot:\n{}",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The errors as (path, blame, message).
fn errors(config: Value) -> Vec<(String, Blame, String)> {
    validate_config(&config)
        .into_iter()
        .map(|e| (e.path_string(), e.at, e.message))
        .collect()
}

/// The only error of `config`.
fn only_error(config: Value) -> (String, Blame, String) {
    let mut found = errors(config.clone());
    assert_eq!(
        found.len(),
        1,
        "expected exactly one error for {config}, got {found:#?}"
    );
    found.remove(0)
}

/// The error at `path` (there must be exactly one there).
fn error_at(config: &Value, path: &str) -> (Blame, String) {
    let found: Vec<_> = errors(config.clone())
        .into_iter()
        .filter(|(p, _, _)| p == path)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one error at `{path}` for {config}, got {:#?}",
        errors(config.clone())
    );
    let (_, blame, message) = found.into_iter().next().unwrap_or_else(|| unreachable!());
    (blame, message)
}

// ---------------------------------------------------------------- valid configs

#[test]
fn fallback_with_virtual_keys() {
    assert_valid(json!({
        "strategy": {"mode": "fallback"},
        "targets": [{"virtual_key": "openai-virtual-key"}, {"virtual_key": "anthropic-virtual-key"}]
    }));
    assert_valid(json!({
        "strategy": {"mode": "fallback", "on_status_codes": [429]},
        "targets": [
            {"virtual_key": "openai-virtual-key"},
            {"provider": "azure-openai", "virtual_key": "azure-test-4110dd"}
        ]
    }));
}

#[test]
fn loadbalance_with_weights() {
    assert_valid(json!({
        "strategy": {"mode": "loadbalance"},
        "targets": [
            {"virtual_key": "openai-key-1", "weight": 0.75},
            {"virtual_key": "openai-key-2", "weight": 0.25},
            {"virtual_key": "openai-key-3", "weight": 0}
        ]
    }));
    // A missing weight counts as 1.
    assert_valid(json!({
        "strategy": {"mode": "loadbalance"},
        "targets": [{"virtual_key": "a"}, {"virtual_key": "b", "weight": 0}]
    }));
}

#[test]
fn conditional_on_metadata_tier() {
    assert_valid(json!({
        "strategy": {
            "mode": "conditional",
            "conditions": [
                {"query": {"metadata.user_plan": {"$eq": "paid"}}, "then": "finetuned-gpt4"},
                {"query": {"metadata.user_plan": {"$eq": "free"}}, "then": "base-gpt4"}
            ],
            "default": "base-gpt4"
        },
        "targets": [
            {"name": "finetuned-gpt4", "virtual_key": "xx", "override_params": {"model": "ft://gpt4-xxxxx"}},
            {"name": "base-gpt4", "virtual_key": "yy", "override_params": {"model": "gpt-4"}}
        ]
    }));
    assert_valid(json!({
        "strategy": {
            "mode": "conditional",
            "conditions": [
                {"query": {"metadata.tier": "premium"}, "then": "premium-target"},
                {
                    "query": {"$or": [{"params.model": {"$in": ["fastest", "cheapest"]}}, {"url.pathname": {"$regex": "embeddings"}}]},
                    "then": "free-target"
                },
                {"query": {"params.temperature": {"$gte": 0.7}}, "then": "premium-target"}
            ],
            "default": "free-target"
        },
        "targets": [
            {"name": "premium-target", "provider": "openai", "api_key": "sk-1", "override_params": {"model": "gpt-4o"}},
            {"name": "free-target", "provider": "openai", "api_key": "sk-1", "override_params": {"model": "gpt-4o-mini"}}
        ]
    }));
}

#[test]
fn nested_fallback_inside_loadbalance() {
    assert_valid(json!({
        "strategy": {"mode": "loadbalance"},
        "targets": [
            {
                "strategy": {"mode": "fallback", "on_status_codes": [429, 503]},
                "targets": [{"virtual_key": "openai-1"}, {"virtual_key": "azure-1"}],
                "weight": 0.7
            },
            {"virtual_key": "anthropic-1", "weight": 0.3}
        ]
    }));
}

#[test]
fn cache_and_retry_at_the_top_level() {
    assert_valid(json!({
        "retry": {"attempts": 3},
        "cache": {"mode": "simple"},
        "strategy": {"mode": "loadbalance"},
        "targets": [{"virtual_key": "open-ai-kxey-", "weight": 0.7}, {"virtual_key": "test-virtual-ke", "weight": 0.3}]
    }));
    assert_valid(json!({"retry": {"attempts": 5}, "virtual_key": "virtual-key-xxx"}));
    assert_valid(
        json!({"retry": {"attempts": 3, "on_status_codes": [408, 429, 401]}, "virtual_key": "v"}),
    );
    assert_valid(
        json!({"retry": {"attempts": 3, "on_status_codes": [429], "use_retry_after_header": true}, "virtual_key": "v"}),
    );
    assert_valid(json!({"cache": {"mode": "semantic", "max_age": 60}, "virtual_key": "v"}));
    // What `PortkeyGateway::cache(..)` / `::retry(..)` merge beside a strategy.
    assert_valid(json!({
        "cache": {"mode": "simple", "max_age": 3600},
        "retry": {"attempts": 2, "on_status_codes": [429, 500, 502, 503, 504]},
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "openai", "api_key": "sk-a", "custom_host": "http://127.0.0.1:9000/v1"},
            {"provider": "openai", "api_key": "sk-b", "custom_host": "http://localhost:9001/v1"}
        ]
    }));
    // Cache or retry alone: the provider comes from the `x-portkey-provider` header.
    assert_valid(json!({"cache": {"mode": "simple"}}));
    assert_valid(json!({"retry": {"attempts": 2}, "request_timeout": 10000}));
}

#[test]
fn model_fallback_with_override_params() {
    assert_valid(json!({
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "openai", "api_key": "sk-...", "override_params": {"model": "gpt-4o"}},
            {"provider": "anthropic", "api_key": "sk-ant-...", "override_params": {"model": "claude-3-5-sonnet-20240620", "max_tokens": 1024}},
            {"provider": "openai", "api_key": "sk-...", "override_params": {"model": "gpt-4o-mini", "temperature": 0.2}}
        ]
    }));
}

#[test]
fn model_catalog_forms() {
    assert_valid(
        json!({"retry": {"attempts": 5}, "override_params": {"model": "@openai-prod/gpt-4o"}}),
    );
    assert_valid(json!({
        "strategy": {"mode": "fallback"},
        "targets": [
            {"override_params": {"model": "@openai-prod/gpt-4o"}},
            {"provider": "@anthropic-prod", "override_params": {"model": "claude-3-5-sonnet-latest"}}
        ]
    }));
}

#[test]
fn provider_specific_forms() {
    assert_valid(
        json!({"provider": "openai", "api_key": "sk", "openai_project": "proj", "openai_organization": "org"}),
    );
    assert_valid(
        json!({"provider": "bedrock", "aws_access_key_id": "AKIA", "aws_secret_access_key": "s", "aws_region": "us-east-1"}),
    );
    assert_valid(
        json!({"provider": "vertex-ai", "vertex_project_id": "my-project-id", "vertex_region": "us-central1", "api_key": "ya29..."}),
    );
    assert_valid(
        json!({"provider": "vertex-ai", "vertex_region": "us-central1", "vertex_service_account_json": {"type": "service_account", "project_id": "p"}}),
    );
    assert_valid(
        json!({"provider": "azure-openai", "api_key": "k", "resource_name": "res", "deployment_id": "gpt4", "api_version": "2024-02-01"}),
    );
    assert_valid(
        json!({"provider": "azure-openai", "azure_auth_mode": "managed", "resource_name": "res", "deployment_id": "d", "api_version": "v"}),
    );
    assert_valid(json!({"provider": "ollama", "custom_host": "http://localhost:11434"}));
    assert_valid(json!({"provider": "triton", "custom_host": "http://host.docker.internal:8000"}));
    assert_valid(
        json!({"provider": "openai", "api_key": "sk", "custom_host": "https://llm.example.com/v1", "forward_headers": ["x-request-id"]}),
    );
    assert_valid(
        json!({"provider": "mistral-ai", "api_key": "k", "mistral_fim_completion": "true", "strict_open_ai_compliance": false}),
    );
    assert_valid(
        json!({"provider": "anthropic", "api_key": "k", "anthropic_beta": "prompt-caching-2024-07-31", "anthropic_version": "2023-06-01"}),
    );
    // Azure through a parent's custom host.
    assert_valid(json!({
        "custom_host": "https://gateway.example.com/azure",
        "strategy": {"mode": "single"},
        "targets": [{"provider": "azure-openai", "api_key": "k"}]
    }));
}

#[test]
fn hooks_and_guardrails() {
    assert_valid(json!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
        "targets": [
            {
                "provider": "openai",
                "api_key": "sk-...",
                "retry": {"attempts": 3, "on_status_codes": [429, 500]},
                "request_timeout": 30000,
                "cache": {"mode": "simple", "max_age": 3_600_000},
                "input_guardrails": [{"default.contains": {"operator": "none", "words": ["sensitive-info"]}, "deny": true}],
                "output_guardrails": [{"default.contains": {"operator": "none", "words": ["restricted"]}, "deny": true}]
            },
            {"provider": "anthropic", "api_key": "sk-ant-..."}
        ]
    }));
    assert_valid(
        json!({"virtual_key": "v", "input_guardrails": ["pg-pii-123"], "output_guardrails": ["pg-tox-456"]}),
    );
    assert_valid(
        json!({"virtual_key": "v", "before_request_hooks": [{"id": "pg-abc"}], "after_request_hooks": []}),
    );
    // Hooks alone satisfy the schema at the root.
    assert_valid(
        json!({"output_guardrails": [{"default.contains": {"operator": "none", "words": ["Apple"]}, "deny": true}]}),
    );
}

// ---------------------------------------------------------------- shape

#[test]
fn config_and_targets_must_be_objects() {
    let (path, at, message) = only_error(json!([1]));
    assert_eq!((path.as_str(), at), ("config", Blame::Value));
    assert!(message.starts_with("a Portkey config must be a JSON object, found an array"));
    let config =
        json!({"strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "a"}, "openai"]});
    let (at, message) = error_at(&config, "targets[1]");
    assert_eq!(at, Blame::Value);
    assert!(
        message.starts_with("a target must be an object"),
        "{message}"
    );
}

#[test]
fn config_needs_something_to_act_on() {
    let (path, at, message) = only_error(json!({}));
    assert_eq!((path.as_str(), at), ("config", Blame::Value));
    assert!(message.starts_with("this config gives Portkey nothing to act on"));
    let (path, _, message) = only_error(json!({"provider": "openai"}));
    assert_eq!(path, "config");
    assert!(
        message.starts_with("provider `openai` needs an `api_key`"),
        "{message}"
    );
    let config = json!({"strategy": {"mode": "fallback"}, "targets": [{"override_params": {"model": "gpt-4o"}}]});
    let (at, message) = error_at(&config, "targets[0]");
    assert_eq!(at, Blame::Value);
    assert!(
        message.starts_with("this target has no credentials and no strategy"),
        "{message}"
    );
    // A request_timeout of 0 is falsy for the gateway's schema.
    let found = errors(json!({"request_timeout": 0}));
    assert_eq!(found.len(), 2, "{found:#?}");
}

#[test]
fn targets_never_inherit_a_provider() {
    let config = json!({"strategy": {"mode": "fallback"}, "targets": [{"retry": {"attempts": 2}}]});
    let (at, message) = error_at(&config, "targets[0]");
    assert_eq!(at, Blame::Value);
    assert!(
        message.starts_with("this target names no provider"),
        "{message}"
    );
    let config = json!({
        "provider": "openai", "api_key": "sk",
        "strategy": {"mode": "fallback"},
        "targets": [{"virtual_key": "a"}]
    });
    assert_eq!(errors(config.clone()).len(), 2);
    assert_eq!(error_at(&config, "api_key").0, Blame::Key);
    let (at, message) = error_at(&config, "provider");
    assert_eq!(at, Blame::Key);
    assert!(message.starts_with("`provider` next to `strategy` is ignored"));
}

// ---------------------------------------------------------------- keys

#[test]
fn unknown_keys_are_reported_with_the_closest_key() {
    let (path, at, message) =
        only_error(json!({"stratgy": {"mode": "fallback"}, "virtual_key": "v"}));
    assert_eq!((path.as_str(), at), ("stratgy", Blame::Key));
    assert_eq!(
        message,
        "unknown key `stratgy` in the config; did you mean `strategy`?"
    );
    let config = json!({"strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "v", "overide_params": {}}]});
    let (at, message) = error_at(&config, "targets[0].overide_params");
    assert_eq!(at, Blame::Key);
    assert_eq!(
        message,
        "unknown key `overide_params` in a target; did you mean `override_params`?"
    );
}

#[test]
fn misplaced_and_camel_case_keys_say_where_they_belong() {
    let (_, _, message) = only_error(json!({"virtual_key": "v", "model": "gpt-4o"}));
    assert!(
        message.contains("belongs inside `override_params`"),
        "{message}"
    );
    let (path, _, message) =
        only_error(json!({"virtual_key": "v", "customHost": "http://localhost:1"}));
    assert_eq!(path, "customHost");
    assert!(message.contains("write `custom_host`"), "{message}");
    let (_, _, message) = only_error(json!({"virtual_key": "v", "mode": "fallback"}));
    assert!(
        message.contains("`mode` belongs inside `strategy`"),
        "{message}"
    );
    let (path, at, message) =
        only_error(json!({"options": [{"provider": "openai"}], "retry": {"attempts": 1}}));
    assert_eq!((path.as_str(), at), ("options", Blame::Key));
    assert!(
        message.contains("legacy `options` config format"),
        "{message}"
    );
    let config =
        json!({"strategy": {"mode": "fallback", "targets": []}, "targets": [{"virtual_key": "v"}]});
    let (at, message) = error_at(&config, "strategy.targets");
    assert_eq!(at, Blame::Key);
    assert!(message.starts_with("`targets` belongs beside `strategy`"));
}

#[test]
fn key_types_are_checked() {
    let config = json!({
        "provider": "openai", "api_key": 123, "forward_headers": "x-id",
        "strict_open_ai_compliance": "false", "override_params": [], "name": 7
    });
    let found = errors(config.clone());
    assert_eq!(found.len(), 5, "{found:#?}");
    assert_eq!(
        error_at(&config, "api_key").1,
        "`api_key` must be a string, found a number: write `\"123\"`"
    );
    assert!(
        error_at(&config, "forward_headers")
            .1
            .contains("write `[\"x-id\"]`")
    );
    assert!(
        error_at(&config, "strict_open_ai_compliance")
            .1
            .contains("write `false` without quotes")
    );
    assert_eq!(
        error_at(&config, "override_params").1,
        "`override_params` must be an object, found an array"
    );
    assert_eq!(
        error_at(&config, "name").1,
        "`name` must be a string, found a number: write `\"7\"`"
    );
    assert!(
        error_at(
            &json!({"virtual_key": "v", "vertex_service_account_json": "{}"}),
            "vertex_service_account_json"
        )
        .1
        .contains("an object of strings")
    );
    assert!(
        error_at(
            &json!({"virtual_key": "v", "input_guardrails": ["a", {}]}),
            "input_guardrails[1]"
        )
        .1
        .contains("don't mix")
    );
    assert!(
        error_at(
            &json!({"virtual_key": "v", "before_request_hooks": ["a"]}),
            "before_request_hooks[0]"
        )
        .1
        .contains("a hook object")
    );
    assert!(
        error_at(
            &json!({"virtual_key": "v", "after_request_hooks": {}}),
            "after_request_hooks"
        )
        .1
        .contains("array of hook objects")
    );
    assert!(
        error_at(&json!({"virtual_key": " "}), "virtual_key")
            .1
            .contains("blank")
    );
}

// ---------------------------------------------------------------- strategy

#[test]
fn strategy_mode_is_checked_with_a_suggestion() {
    let config = json!({"strategy": {"mode": "fallbak"}, "targets": [{"virtual_key": "a"}]});
    let (path, at, message) = only_error(config);
    assert_eq!((path.as_str(), at), ("strategy.mode", Blame::Value));
    assert_eq!(
        message,
        "unknown strategy mode `fallbak`; expected one of single, loadbalance, fallback, conditional; did you mean `fallback`?"
    );
    let (path, _, message) = only_error(json!({"strategy": {}, "targets": [{"virtual_key": "a"}]}));
    assert_eq!(path, "strategy");
    assert_eq!(
        message,
        "`strategy` needs a `mode`: one of single, loadbalance, fallback, conditional"
    );
    let (_, _, message) =
        only_error(json!({"strategy": "fallback", "targets": [{"virtual_key": "a"}]}));
    assert_eq!(
        message,
        "`strategy` must be an object, found a string: write `{\"mode\": \"fallback\"}`"
    );
    assert_eq!(
        STRATEGY_MODES,
        ["single", "loadbalance", "fallback", "conditional"]
    );
    assert_eq!(CACHE_MODES, ["simple", "semantic"]);
}

#[test]
fn strategy_needs_targets() {
    let (path, _, message) = only_error(json!({"strategy": {"mode": "single"}}));
    assert_eq!(path, "strategy");
    assert!(
        message.starts_with("a `single` strategy needs `targets`"),
        "{message}"
    );
    let (path, at, message) =
        only_error(json!({"strategy": {"mode": "fallback"}, "retry": {"attempts": 1}}));
    assert_eq!((path.as_str(), at), ("strategy", Blame::Value));
    assert!(
        message.starts_with("a `fallback` strategy needs `targets`"),
        "{message}"
    );
    let (path, at, message) =
        only_error(json!({"strategy": {"mode": "loadbalance"}, "targets": []}));
    assert_eq!((path.as_str(), at), ("targets", Blame::Value));
    assert_eq!(
        message,
        "`targets` is empty: a `loadbalance` strategy needs at least one target"
    );
    let (path, at, message) =
        only_error(json!({"targets": [{"virtual_key": "a"}], "retry": {"attempts": 1}}));
    assert_eq!((path.as_str(), at), ("targets", Blame::Key));
    assert!(message.starts_with("`targets` without a `strategy` are never used"));
    assert!(
        error_at(
            &json!({"strategy": {"mode": "single"}, "targets": {}}),
            "targets"
        )
        .1
        .contains("must be an array")
    );
}

#[test]
fn strategy_status_codes() {
    let config = json!({"strategy": {"mode": "fallback", "on_status_codes": [429, "503", 700]}, "targets": [{"virtual_key": "a"}]});
    let found = errors(config);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].0, "strategy.on_status_codes[1]");
    assert_eq!(found[1].0, "strategy.on_status_codes[2]");
    assert!(found[1].2.contains("100..=599"));
    // `loadbalance` reads them in-process (failover to siblings); the seed's example.
    assert!(
        errors(json!({"strategy": {"mode": "loadbalance", "on_status_codes": [429]}, "targets": [{"virtual_key": "a"}]}))
            .is_empty()
    );
    let (path, at, message) = only_error(json!({
        "strategy": {"mode": "conditional", "on_status_codes": [429], "conditions": [{"query": {"metadata.tier": "a"}, "then": "a"}]},
        "targets": [{"name": "a", "virtual_key": "a"}]
    }));
    assert_eq!(
        (path.as_str(), at),
        ("strategy.on_status_codes", Blame::Key)
    );
    assert!(message.contains("only `fallback` (and `loadbalance`, in-process) reads it"));
    let (path, at, message) = only_error(
        json!({"on_status_codes": [429], "strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "a"}]}),
    );
    assert_eq!((path.as_str(), at), ("on_status_codes", Blame::Key));
    assert!(message.starts_with("`on_status_codes` here is read by nothing"));
}

#[test]
fn weights_and_timeouts() {
    let config = json!({"strategy": {"mode": "loadbalance"}, "targets": [{"virtual_key": "a", "weight": -1}, {"virtual_key": "b", "weight": "0.5"}]});
    assert!(
        error_at(&config, "targets[0].weight")
            .1
            .starts_with("`weight` must be 0 or more, got -1")
    );
    assert!(
        error_at(&config, "targets[1].weight")
            .1
            .contains("write `0.5` without quotes")
    );
    let (path, _, message) = only_error(
        json!({"strategy": {"mode": "loadbalance"}, "targets": [{"virtual_key": "a", "weight": 0}, {"virtual_key": "b", "weight": 0.0}]}),
    );
    assert_eq!(path, "targets");
    assert!(message.starts_with("every target has `weight` 0"));
    let (path, at, message) = only_error(json!({"virtual_key": "v", "request_timeout": -5}));
    assert_eq!((path.as_str(), at), ("request_timeout", Blame::Value));
    assert!(
        message.starts_with("`request_timeout` must be a positive number of milliseconds, got -5")
    );
}

// ---------------------------------------------------------------- cache and retry

#[test]
fn cache_rules() {
    let (path, at, message) = only_error(json!({"virtual_key": "v", "cache": {"max_age": 60}}));
    assert_eq!((path.as_str(), at), ("cache", Blame::Value));
    assert!(message.starts_with("`cache` needs a `mode`"));
    let (path, _, message) = only_error(json!({"virtual_key": "v", "cache": {"mode": "simpel"}}));
    assert_eq!(path, "cache.mode");
    assert_eq!(
        message,
        "unknown cache mode `simpel`; expected one of simple, semantic; did you mean `simple`?"
    );
    let (path, _, message) =
        only_error(json!({"virtual_key": "v", "cache": {"mode": "simple", "max_age": 0}}));
    assert_eq!(path, "cache.max_age");
    assert!(message.contains("already expired"));
}

#[test]
fn retry_rules() {
    let (path, at, message) =
        only_error(json!({"virtual_key": "v", "retry": {"on_status_codes": [429]}}));
    assert_eq!((path.as_str(), at), ("retry", Blame::Value));
    assert!(message.starts_with("`retry` needs `attempts`"));
    assert!(
        only_error(json!({"virtual_key": "v", "retry": {"attempts": -1}}))
            .2
            .contains("from 0 to 5")
    );
    assert!(
        only_error(json!({"virtual_key": "v", "retry": {"attempts": 6}}))
            .2
            .contains("at most 5 times")
    );
    let (path, at, message) = only_error(
        json!({"virtual_key": "v", "retry": {"attempts": 3, "use_retry_after_headers": true}}),
    );
    assert_eq!(
        (path.as_str(), at),
        ("retry.use_retry_after_headers", Blame::Key)
    );
    assert!(
        message.contains("reads `use_retry_after_header`"),
        "{message}"
    );
    let (path, _, _) = only_error(
        json!({"virtual_key": "v", "retry": {"attempts": 3, "on_status_codes": [429, 99]}}),
    );
    assert_eq!(path, "retry.on_status_codes[1]");
    assert_eq!(MAX_RETRY_ATTEMPTS, 5);
}

// ---------------------------------------------------------------- provider and custom host

#[test]
fn provider_must_be_known() {
    let (path, at, message) = only_error(json!({"provider": "opneai", "api_key": "sk"}));
    assert_eq!((path.as_str(), at), ("provider", Blame::Value));
    assert!(message.ends_with("did you mean `openai`?"), "{message}");
    assert!(PROVIDERS.contains(&"openai"));
}

#[test]
fn custom_host_is_guarded() {
    for (url, expected) in [
        ("ftp://example.com/v1", "not `ftp://`"),
        ("file:///etc/passwd", "not `file://`"),
        (
            "http://user:secret@example.com/v1",
            "credentials in the URL",
        ),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://metadata.google.internal/", "cloud metadata"),
        ("http://[::1]:8000/v1", "IPv6"),
        ("http://10.1.2.3:8000/v1", "private network"),
    ] {
        let (path, at, message) =
            only_error(json!({"provider": "openai", "api_key": "sk", "custom_host": url}));
        assert_eq!((path.as_str(), at), ("custom_host", Blame::Value), "{url}");
        assert!(message.contains(expected), "{url}: {message}");
    }
    assert_valid(
        json!({"provider": "openai", "api_key": "sk", "custom_host": "http://127.0.0.1:8080/v1"}),
    );
    assert_valid(
        json!({"provider": "openai", "api_key": "sk", "custom_host": "http://localhost:8080/v1"}),
    );
    // The gateway's TRUSTED_CUSTOM_HOSTS can admit a private address.
    let config =
        json!({"provider": "openai", "api_key": "sk", "custom_host": "http://10.1.2.3:8000/v1"});
    let options = ValidationOptions {
        trusted_custom_hosts: vec!["10.1.2.3".to_owned()],
    };
    assert!(validate_config_with(&config, &options).is_empty());
}

#[test]
fn provider_specific_requirements() {
    let (path, at, message) = only_error(
        json!({"provider": "vertex-ai", "api_key": "ya29", "vertex_region": "us-central1"}),
    );
    assert_eq!((path.as_str(), at), ("config", Blame::Value));
    assert!(
        message.starts_with("provider `vertex-ai` needs `vertex_region` and either"),
        "{message}"
    );
    let (_, _, message) = only_error(json!({"provider": "azure-openai", "api_key": "k"}));
    assert!(
        message.starts_with("provider `azure-openai` needs `resource_name`"),
        "{message}"
    );
}

// ---------------------------------------------------------------- conditional routing

fn conditional(conditions: Value, default: Option<&str>) -> Value {
    let mut strategy = json!({"mode": "conditional", "conditions": conditions});
    if let (Some(default), Some(map)) = (default, strategy.as_object_mut()) {
        map.insert("default".to_owned(), json!(default));
    }
    json!({
        "strategy": strategy,
        "targets": [
            {"name": "openai-key", "virtual_key": "a"},
            {"name": "anthropic-key", "virtual_key": "b"}
        ]
    })
}

#[test]
fn the_short_form_is_rejected_with_the_working_form() {
    let config = conditional(
        json!([{"query": {"model": "gpt-4"}, "then": "openai-key"}]),
        None,
    );
    let (path, at, message) = only_error(config);
    assert_eq!(
        (path.as_str(), at),
        ("strategy.conditions[0].query.model", Blame::Key)
    );
    assert_eq!(
        message,
        "query key `model` reads nothing: Portkey conditions read `metadata.*`, `params.*` or \
         `url.pathname`; write `{\"params.model\": {\"$eq\": \"gpt-4\"}}`"
    );
}

#[test]
fn then_and_default_must_name_a_target() {
    let config = conditional(
        json!([{"query": {"metadata.tier": "premium"}, "then": "openai"}]),
        Some("claude"),
    );
    let found = errors(config);
    assert_eq!(found.len(), 2, "{found:#?}");
    let then = found
        .iter()
        .find(|e| e.0 == "strategy.conditions[0].then")
        .map(|e| e.2.clone())
        .unwrap_or_default();
    assert_eq!(
        then,
        "`then` names the target `openai`, but no target in `targets` has that `name` (the request \
         would fail); target names: openai-key, anthropic-key"
    );
    let default = found
        .iter()
        .find(|e| e.0 == "strategy.default")
        .map(|e| e.2.clone())
        .unwrap_or_default();
    assert!(
        default.starts_with("`default` names the target `claude`"),
        "{default}"
    );
    let unnamed = json!({
        "strategy": {"mode": "conditional", "conditions": [{"query": {"metadata.a": "1"}, "then": "x"}]},
        "targets": [{"virtual_key": "a"}]
    });
    assert!(
        only_error(unnamed)
            .2
            .contains("no target in `targets` has a `name`: add `\"name\": \"x\"`")
    );
    let typo = conditional(
        json!([{"query": {"metadata.a": "1"}, "then": "openai-kye"}]),
        None,
    );
    assert!(only_error(typo).2.ends_with("did you mean `openai-key`?"));
}

#[test]
fn conditional_needs_conditions() {
    let config = json!({"strategy": {"mode": "conditional", "default": "a"}, "targets": [{"name": "a", "virtual_key": "v"}]});
    let (path, at, message) = only_error(config);
    assert_eq!((path.as_str(), at), ("strategy", Blame::Value));
    assert!(message.starts_with("a `conditional` strategy needs `conditions`"));
    let (path, _, message) = only_error(conditional(json!([]), Some("openai-key")));
    assert_eq!(path, "strategy.conditions");
    assert!(message.starts_with("`conditions` is empty"));
    let (path, _, _) = only_error(conditional(json!({"query": {}}), None));
    assert_eq!(path, "strategy.conditions");
}

#[test]
fn conditions_are_checked_one_by_one() {
    let config = conditional(
        json!([
            {"query": {"metadata.tier": "a"}},
            {"then": "openai-key"},
            "x",
            {"query": {"metadata.tier": "a"}, "then": "openai-key", "else": "anthropic-key"},
            {"query": {"metadata.tier": {"$in": "premium"}}, "then": "openai-key"}
        ]),
        None,
    );
    let found = errors(config);
    let paths: Vec<(&str, Blame)> = found.iter().map(|e| (e.0.as_str(), e.1)).collect();
    assert_eq!(
        paths,
        [
            ("strategy.conditions[0]", Blame::Value),
            ("strategy.conditions[1]", Blame::Value),
            ("strategy.conditions[2]", Blame::Value),
            ("strategy.conditions[3].else", Blame::Key),
            (
                "strategy.conditions[4].query[\"metadata.tier\"].$in",
                Blame::Value
            ),
        ]
    );
    assert_eq!(
        found[0].2,
        "a condition needs `then`: add `\"then\": \"<target name>\"`"
    );
    assert!(found[1].2.starts_with("a condition needs `query`"));
}

#[test]
fn conditions_outside_conditional_mode_are_ignored_keys() {
    let config = json!({
        "strategy": {"mode": "fallback", "conditions": [], "default": "a"},
        "targets": [{"name": "a", "virtual_key": "v"}]
    });
    let found = errors(config);
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|e| e.1 == Blame::Key && e.2.contains("only `conditional` reads it"))
    );
}

#[test]
fn target_names_are_unique_among_siblings() {
    let config = json!({
        "strategy": {"mode": "fallback"},
        "targets": [
            {"name": "a", "virtual_key": "1"},
            {"name": "b", "virtual_key": "2"},
            {"name": "a", "virtual_key": "3"},
            {"strategy": {"mode": "single"}, "targets": [{"name": "a", "virtual_key": "4"}]}
        ]
    });
    let (path, at, message) = only_error(config);
    assert_eq!((path.as_str(), at), ("targets[2].name", Blame::Value));
    assert!(message.starts_with("target name `a` is already used by `targets[0]`"));
}

// ---------------------------------------------------------------- recursion and collection

#[test]
fn nested_targets_get_full_paths() {
    let config = json!({
        "strategy": {"mode": "loadbalance"},
        "targets": [
            {"virtual_key": "a"},
            {
                "strategy": {"mode": "fallback"},
                "targets": [
                    {"strategy": {"mode": "singel"}, "targets": [{"provider": "openai", "api_key": "k", "cache": {"mode": "x"}}]}
                ]
            }
        ]
    });
    let found = errors(config);
    let paths: Vec<&str> = found.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "targets[1].targets[0].strategy.mode",
            "targets[1].targets[0].targets[0].cache.mode"
        ]
    );
    assert!(found[0].2.ends_with("did you mean `single`?"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let config = json!({
        "stratgy": {"mode": "fallback"},
        "cache": {"mode": "simple", "max_age": -1},
        "retry": {"attempts": 3, "use_retry_after_headers": true},
        "strategy": {"mode": "fallbak"},
        "targets": [
            {"provider": "opneai", "api_key": "sk", "custom_host": "ftp://x.example.com"},
            {"virtual_key": "b", "weight": -2}
        ]
    });
    let found = validate_config(&config);
    let paths: Vec<String> = found.iter().map(ConfigError::path_string).collect();
    for expected in [
        "stratgy",
        "cache.max_age",
        "retry.use_retry_after_headers",
        "strategy.mode",
        "targets[0].provider",
        "targets[0].custom_host",
        "targets[1].weight",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "missing `{expected}` in {paths:?}"
        );
    }
    assert_eq!(found.len(), 7, "{paths:?}");
    assert!(found.iter().all(|e| {
        e.to_string()
            .starts_with(&format!("`{}`: ", e.path_string()))
    }));
}

#[test]
fn options_default_to_the_gateway_defaults() {
    let options = ValidationOptions::default();
    assert_eq!(
        options.trusted_custom_hosts,
        ["localhost", "127.0.0.1", "::1", "host.docker.internal"]
    );
}
