//! The walk over a config and its targets: one schema for both, applied
//! recursively with each node's path.
//!
//! Facts (Portkey-AI/gateway v1.15.2):
//! - `configSchema` (`src/middlewares/requestValidator/schema/config.ts`)
//!   checks the config and every target alike, and refines each: it must have
//!   `provider` + `api_key`, or `strategy` + `targets`, or `cache`, `retry`,
//!   `request_timeout`, hooks or guardrails, or a provider-specific form
//!   (ollama, triton, AWS keys, Vertex AI region + project or service
//!   account, Azure OpenAI with `azure_auth_mode`); `vertex-ai` needs its
//!   region and project or service account;
//! - `tryTargetsRecursively` (`src/handlers/handlerUtils.ts`): children
//!   inherit `retry`, `cache`, `custom_host`, `request_timeout`,
//!   `forward_headers`, `override_params`, hooks, never `provider` or keys;
//!   `targets` without a `strategy` are never visited; a target-level
//!   `on_status_codes` is read by nothing;
//! - `requestValidator` (`src/middlewares/requestValidator/index.ts`):
//!   rejects the legacy `options` format.
//!
//! Hosted Portkey also resolves credentials from a `virtual_key`, an
//! `@provider-slug` provider or an `@provider-slug/model` in
//! `override_params.model`; those count as credentials here.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::cache::check_cache;
use super::custom_host::check_custom_host;
use super::error::{JsonPath, Report};
use super::extensions::check_circuit_breaker;
use super::hooks::{HOOK_KEYS, check_hooks};
use super::providers::{ProviderRef, parse_provider};
use super::retry::check_retry;
use super::schema::{self, TARGET_KEYS, check_kind, describe, kind_of};
use super::strategy::check_strategy;

/// What a node inherits from its parents and the caller's settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) trusted_hosts: &'a [&'a str],
    /// A parent sets `custom_host`, which this node inherits.
    pub(crate) inherits_custom_host: bool,
}

/// Checks a config (at the root path) or a target, and its targets recursively.
pub(crate) fn check_node(value: &Value, path: &JsonPath, scope: Scope<'_>, report: &mut Report) {
    let Value::Object(node) = value else {
        let message = if path.is_root() {
            format!(
                "a Portkey config must be a JSON object, found {}: write e.g. \
                 `{{\"provider\": \"openai\", \"api_key\": \"...\"}}`",
                describe(value)
            )
        } else {
            format!(
                "a target must be an object such as `{{\"provider\": \"openai\", \"api_key\": \"...\"}}`, found {}",
                describe(value)
            )
        };
        report.value(path, message);
        return;
    };
    let place = if path.is_root() {
        "the config"
    } else {
        "a target"
    };
    for (key, item) in node {
        check_entry(node, key, item, &path.key(key), place, scope, report);
    }
    check_strategy(node, path, report);
    check_credentials(node, path, report);
    let inner = Scope {
        inherits_custom_host: scope.inherits_custom_host || node.contains_key("custom_host"),
        ..scope
    };
    check_provider_needs(node, path, inner, report);
    if let Some(Value::Array(targets)) = node.get("targets") {
        check_targets(targets, &path.key("targets"), inner, report);
    }
}

fn check_entry(
    node: &Map<String, Value>,
    key: &str,
    value: &Value,
    path: &JsonPath,
    place: &str,
    scope: Scope<'_>,
    report: &mut Report,
) {
    let Some(kind) = kind_of(TARGET_KEYS, key) else {
        let message = if key == "options" {
            "the legacy `options` config format is refused by the gateway (\"Please migrate to the \
             latest version\"): list the providers in `targets` with a `strategy`"
                .to_owned()
        } else {
            schema::unknown_key(key, place, TARGET_KEYS)
        };
        report.key(path, message);
        return;
    };
    match key {
        // Checked with the node as a whole.
        "strategy" => {}
        "retry" => check_retry(value, path, report),
        "cache" => check_cache(value, path, report),
        "circuit_breaker" => check_circuit_breaker(value, path, report),
        "targets" => {
            if let Err(message) = check_kind(key, value, kind) {
                report.value(path, message);
            } else if !node.contains_key("strategy") {
                report.key(
                    path,
                    "`targets` without a `strategy` are never used: add e.g. \
                     `\"strategy\": {\"mode\": \"fallback\"}` beside them",
                );
            }
        }
        "on_status_codes" => report.key(
            path,
            "`on_status_codes` here is read by nothing: for fallbacks put it in `strategy` \
             (`\"strategy\": {\"mode\": \"fallback\", \"on_status_codes\": [...]}`), for retries in `retry`",
        ),
        _ if HOOK_KEYS.iter().any(|(name, _)| *name == key) => check_hooks(key, value, path, report),
        _ => {
            if let Err(message) = check_kind(key, value, kind) {
                report.value(path, message);
                return;
            }
            check_scalar(key, value, path, scope, report);
        }
    }
}

/// Rules on single values whose type is already right.
fn check_scalar(key: &str, value: &Value, path: &JsonPath, scope: Scope<'_>, report: &mut Report) {
    match (key, value) {
        ("provider", Value::String(provider)) => {
            if let Err(message) = parse_provider(provider) {
                report.value(path, message);
            }
        }
        ("custom_host", Value::String(url)) => {
            if let Err(message) = check_custom_host(url, scope.trusted_hosts) {
                report.value(path, message);
            }
        }
        ("weight", Value::Number(weight)) if weight.as_f64().is_none_or(|weight| weight < 0.0) => {
            report.value(
                path,
                format!("`weight` must be 0 or more, got {weight}: it is this target's share of a `loadbalance`"),
            );
        }
        ("request_timeout", Value::Number(timeout))
            if timeout.as_f64().is_none_or(|timeout| timeout <= 0.0) =>
        {
            report.value(
                path,
                format!(
                    "`request_timeout` must be a positive number of milliseconds, got {timeout}; \
                     write e.g. 30000, or remove it for no timeout"
                ),
            );
        }
        ("name" | "virtual_key" | "id", Value::String(text)) if text.trim().is_empty() => {
            report.value(
                path,
                format!("`{key}` is blank: write a value or remove the key"),
            );
        }
        _ => {}
    }
}

fn check_targets(targets: &[Value], path: &JsonPath, scope: Scope<'_>, report: &mut Report) {
    let mut first_with_name: HashMap<&str, usize> = HashMap::new();
    for (index, target) in targets.iter().enumerate() {
        let target_path = path.index(index);
        check_node(target, &target_path, scope, report);
        let Some(name) = target.get("name").and_then(Value::as_str) else {
            continue;
        };
        if let Some(first) = first_with_name.get(name) {
            report.value(
                &target_path.key("name"),
                format!(
                    "target name `{name}` is already used by `{}`: conditions pick the first target \
                     with a name, so give each target its own",
                    path.index(*first).display()
                ),
            );
        } else {
            first_with_name.insert(name, index);
        }
    }
}

fn present(node: &Map<String, Value>, key: &str) -> bool {
    node.contains_key(key)
}

/// JavaScript truthiness, as the gateway's refinements test keys.
fn truthy(node: &Map<String, Value>, key: &str) -> bool {
    match node.get(key) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(text)) => !text.is_empty(),
        Some(_) => true,
    }
}

fn provider_of(node: &Map<String, Value>) -> Option<&str> {
    node.get("provider").and_then(Value::as_str)
}

/// Credentials hosted Portkey resolves itself: a virtual key, an
/// `@provider-slug`, or an `@provider-slug/model` model.
fn has_hosted_credentials(node: &Map<String, Value>) -> bool {
    let catalog_provider =
        provider_of(node).is_some_and(|p| matches!(parse_provider(p), Ok(ProviderRef::Catalog)));
    let catalog_model = node
        .get("override_params")
        .and_then(|params| params.get("model"))
        .and_then(Value::as_str)
        .is_some_and(|model| model.starts_with('@') && model.contains('/'));
    truthy(node, "virtual_key") || catalog_provider || catalog_model
}

/// The gateway schema's "needs one of" refinement, plus hosted credentials.
fn satisfies_schema(node: &Map<String, Value>) -> bool {
    let provider = provider_of(node);
    (present(node, "provider") && present(node, "api_key"))
        || (present(node, "strategy") && present(node, "targets"))
        || [
            "cache",
            "retry",
            "request_timeout",
            "after_request_hooks",
            "before_request_hooks",
            "input_guardrails",
            "output_guardrails",
        ]
        .iter()
        .any(|key| truthy(node, key))
        || matches!(provider, Some("ollama" | "triton"))
        || (truthy(node, "aws_access_key_id") && truthy(node, "aws_secret_access_key"))
        || (provider == Some("vertex-ai")
            && truthy(node, "vertex_region")
            && (truthy(node, "vertex_service_account_json") || truthy(node, "vertex_project_id")))
        || (provider == Some("azure-openai") && truthy(node, "azure_auth_mode"))
        || has_hosted_credentials(node)
}

fn check_credentials(node: &Map<String, Value>, path: &JsonPath, report: &mut Report) {
    if present(node, "strategy") {
        for key in ["provider", "api_key"] {
            if present(node, key) {
                report.key(
                    &path.key(key),
                    format!(
                        "`{key}` next to `strategy` is ignored: targets never inherit credentials; \
                         move it into each target"
                    ),
                );
            }
        }
    }
    if present(node, "strategy") && !present(node, "targets") {
        return; // reported by the strategy: it needs `targets`
    }
    if satisfies_schema(node) {
        if !path.is_root()
            && !present(node, "strategy")
            && !present(node, "provider")
            && !has_hosted_credentials(node)
        {
            report.value(
                path,
                "this target names no provider, and targets never inherit one: add `provider` and \
                 `api_key` (or a hosted `virtual_key`)",
            );
        }
        return;
    }
    let message = if provider_of(node) == Some("azure-openai") && !present(node, "api_key") {
        "provider `azure-openai` needs an `api_key` (the gateway's schema requires it): add \
         `\"api_key\": \"...\"`; with an Entra ID token add `azure_ad_token` and \
         `azure_auth_mode`, or use a hosted `virtual_key`"
            .to_owned()
    } else if let Some(provider) = provider_of(node).filter(|_| !present(node, "api_key")) {
        format!(
            "provider `{provider}` needs an `api_key` (the gateway's schema requires both): add \
             `\"api_key\": \"...\"`, or use a hosted `virtual_key`"
        )
    } else if path.is_root() {
        "this config gives Portkey nothing to act on: set `provider` and `api_key`, a hosted \
         `virtual_key`, `strategy` and `targets`, or at least one of `cache`, `retry`, `request_timeout`"
            .to_owned()
    } else {
        "this target has no credentials and no strategy: give it `provider` and `api_key`, a hosted \
         `virtual_key` or `@provider-slug`, or a `strategy` with `targets`"
            .to_owned()
    };
    report.value(path, message);
}

/// Provider-specific keys without which every request fails.
fn check_provider_needs(
    node: &Map<String, Value>,
    path: &JsonPath,
    scope: Scope<'_>,
    report: &mut Report,
) {
    if has_hosted_credentials(node) {
        return;
    }
    match provider_of(node) {
        Some("vertex-ai") => {
            let region = truthy(node, "vertex_region");
            let account =
                truthy(node, "vertex_project_id") || truthy(node, "vertex_service_account_json");
            if !(region && account) {
                report.value(
                    path,
                    "provider `vertex-ai` needs `vertex_region` and either `vertex_project_id` or \
                     `vertex_service_account_json`, e.g. `{\"provider\": \"vertex-ai\", \
                     \"vertex_project_id\": \"my-project-id\", \"vertex_region\": \"us-central1\", \
                     \"api_key\": \"ya29...\"}`",
                );
            }
        }
        Some("azure-openai") if !scope.inherits_custom_host && !truthy(node, "resource_name") => {
            report.value(
                path,
                "provider `azure-openai` needs `resource_name` (requests go to \
                 `https://<resource_name>.openai.azure.com`), with `deployment_id` and `api_version`; \
                 or set `custom_host`",
            );
        }
        _ => {}
    }
}
