//! The keys a Portkey config may hold at each level, and the JSON type of each.
//!
//! Facts from Portkey-AI/gateway at tag v1.15.2:
//! - `src/middlewares/requestValidator/schema/config.ts`: the zod schema the
//!   gateway checks every config (and, recursively, every target) against;
//! - `src/types/requestBody.ts` (`Options`, `Targets`, `Strategy`,
//!   `RetrySettings`, `CacheSettings`): the provider-specific keys the gateway
//!   reads after turning snake_case keys into camelCase
//!   (`convertKeysToCamelCase` in `src/utils.ts`);
//! - `src/handlers/handlerUtils.ts` (`tryTargetsRecursively`): hook, mutator
//!   and circuit-breaker keys (`input_mutators`, `output_mutators`, `id`,
//!   `cb_config`).
//!
//! Keys the gateway only sets for itself (`index`, `original_index`,
//! `url_to_fetch`, `transform_to_form_data`, `default_input_guardrails`,
//! `default_output_guardrails`, `model_pricing_config`) are not accepted.
//! The zod schema strips keys it does not know without a word, so an unknown
//! key is always a mistake worth reporting.

use serde_json::Value;

use crate::suggest::closest;

/// The JSON type a key's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Number,
    Bool,
    Object,
    Array,
    /// An array of strings.
    StringArray,
    /// An object whose values are strings.
    StringMap,
}

/// Keys of a config or a target (the gateway checks both with one schema).
pub(crate) const TARGET_KEYS: &[(&str, Kind)] = &[
    // routing
    ("strategy", Kind::Object),
    ("targets", Kind::Array),
    ("name", Kind::String),
    ("weight", Kind::Number),
    ("on_status_codes", Kind::Array),
    // credentials
    ("provider", Kind::String),
    ("api_key", Kind::String),
    ("virtual_key", Kind::String),
    // behaviour, inherited by child targets
    ("retry", Kind::Object),
    ("cache", Kind::Object),
    ("request_timeout", Kind::Number),
    ("custom_host", Kind::String),
    ("forward_headers", Kind::StringArray),
    ("override_params", Kind::Object),
    ("strict_open_ai_compliance", Kind::Bool),
    // hooks and guardrails
    ("before_request_hooks", Kind::Array),
    ("after_request_hooks", Kind::Array),
    ("input_guardrails", Kind::Array),
    ("output_guardrails", Kind::Array),
    ("input_mutators", Kind::Array),
    ("output_mutators", Kind::Array),
    // circuit breaker (hosted Portkey)
    ("id", Kind::String),
    ("cb_config", Kind::Object),
    // circuit breaker (FastAgentic in-process extension, `extensions.rs`)
    ("circuit_breaker", Kind::Object),
    // OpenAI
    ("openai_project", Kind::String),
    ("openai_organization", Kind::String),
    ("openai_beta", Kind::String),
    // Azure OpenAI
    ("resource_name", Kind::String),
    ("deployment_id", Kind::String),
    ("api_version", Kind::String),
    ("ad_auth", Kind::String),
    ("azure_auth_mode", Kind::String),
    ("azure_managed_client_id", Kind::String),
    ("azure_workload_client_id", Kind::String),
    ("azure_entra_client_id", Kind::String),
    ("azure_entra_client_secret", Kind::String),
    ("azure_entra_tenant_id", Kind::String),
    ("azure_entra_scope", Kind::String),
    ("azure_ad_token", Kind::String),
    ("azure_model_name", Kind::String),
    // Azure AI inference
    ("azure_api_version", Kind::String),
    ("azure_endpoint_name", Kind::String),
    ("azure_foundry_url", Kind::String),
    ("azure_extra_parameters", Kind::String),
    ("azure_deployment_name", Kind::String),
    // AWS (Bedrock, SageMaker)
    ("aws_access_key_id", Kind::String),
    ("aws_secret_access_key", Kind::String),
    ("aws_session_token", Kind::String),
    ("aws_region", Kind::String),
    ("aws_auth_type", Kind::String),
    ("aws_role_arn", Kind::String),
    ("aws_external_id", Kind::String),
    ("aws_s3_bucket", Kind::String),
    ("aws_s3_object_key", Kind::String),
    ("aws_bedrock_model", Kind::String),
    ("aws_server_side_encryption", Kind::String),
    // The gateway reads `awsServerSideEncryptionKMSKeyId`; no snake_case key
    // converts to that spelling, so this one is written in camelCase.
    ("awsServerSideEncryptionKMSKeyId", Kind::String),
    ("aws_service", Kind::String),
    ("foundation_model", Kind::String),
    // SageMaker
    ("amzn_sagemaker_custom_attributes", Kind::String),
    ("amzn_sagemaker_target_model", Kind::String),
    ("amzn_sagemaker_target_variant", Kind::String),
    ("amzn_sagemaker_target_container_hostname", Kind::String),
    ("amzn_sagemaker_inference_id", Kind::String),
    ("amzn_sagemaker_enable_explanations", Kind::String),
    ("amzn_sagemaker_inference_component", Kind::String),
    ("amzn_sagemaker_session_id", Kind::String),
    ("amzn_sagemaker_model_name", Kind::String),
    // Stability AI
    ("stability_client_id", Kind::String),
    ("stability_client_user_id", Kind::String),
    ("stability_client_version", Kind::String),
    // Hugging Face
    ("huggingface_base_url", Kind::String),
    // Google Vertex AI
    ("vertex_project_id", Kind::String),
    ("vertex_region", Kind::String),
    ("vertex_service_account_json", Kind::StringMap),
    ("vertex_storage_bucket_name", Kind::String),
    ("vertex_model_name", Kind::String),
    ("vertex_batch_endpoint", Kind::String),
    ("filename", Kind::String),
    // Workers AI
    ("workers_ai_account_id", Kind::String),
    // Mistral (the gateway compares it with the string "true")
    ("mistral_fim_completion", Kind::String),
    // Anthropic
    ("anthropic_beta", Kind::String),
    ("anthropic_version", Kind::String),
    ("anthropic_api_key", Kind::String),
    // Fireworks
    ("fireworks_account_id", Kind::String),
    ("fireworks_file_length", Kind::String),
    // Snowflake Cortex
    ("snowflake_account", Kind::String),
    // Oracle
    ("oracle_api_version", Kind::String),
    ("oracle_region", Kind::String),
    ("oracle_compartment_id", Kind::String),
    ("oracle_serving_mode", Kind::String),
    ("oracle_tenancy", Kind::String),
    ("oracle_user", Kind::String),
    ("oracle_fingerprint", Kind::String),
    ("oracle_private_key", Kind::String),
    ("oracle_key_passphrase", Kind::String),
];

/// Keys of `strategy`.
pub(crate) const STRATEGY_KEYS: &[(&str, Kind)] = &[
    ("mode", Kind::String),
    ("on_status_codes", Kind::Array),
    ("conditions", Kind::Array),
    ("default", Kind::String),
    // FastAgentic in-process extension (`extensions.rs`)
    ("balance", Kind::String),
];

/// Keys of `cache`.
pub(crate) const CACHE_KEYS: &[(&str, Kind)] = &[("mode", Kind::String), ("max_age", Kind::Number)];

/// Keys of `retry`.
pub(crate) const RETRY_KEYS: &[(&str, Kind)] = &[
    ("attempts", Kind::Number),
    ("on_status_codes", Kind::Array),
    ("use_retry_after_header", Kind::Bool),
];

/// Keys of one entry of `strategy.conditions`.
pub(crate) const CONDITION_KEYS: &[(&str, Kind)] =
    &[("query", Kind::Object), ("then", Kind::String)];

/// The kind of `key` in `keys`, if it is known.
pub(crate) fn kind_of(keys: &[(&str, Kind)], key: &str) -> Option<Kind> {
    keys.iter()
        .find(|(name, _)| *name == key)
        .map(|(_, kind)| *kind)
}

/// The names in a key table, in table order.
pub(crate) fn names(keys: &[(&'static str, Kind)]) -> Vec<&'static str> {
    keys.iter().map(|(name, _)| *name).collect()
}

/// How a value reads in a message: "a string", "a number", ...
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks `value` against `kind`; the error names the key, the expected and
/// the found type, and the fix when it is obvious (`"true"` for a string).
pub(crate) fn check_kind(key: &str, value: &Value, kind: Kind) -> Result<(), String> {
    let ok = match kind {
        Kind::String => value.is_string(),
        Kind::Number => value.is_number(),
        Kind::Bool => value.is_boolean(),
        Kind::Object | Kind::StringMap => value.is_object(),
        Kind::Array | Kind::StringArray => value.is_array(),
    };
    if !ok {
        let expected = match kind {
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Bool => "`true` or `false`",
            Kind::Object => "an object",
            Kind::StringMap => "an object of strings",
            Kind::Array => "an array",
            Kind::StringArray => "an array of strings",
        };
        let mut message = format!("`{key}` must be {expected}, found {}", describe(value));
        match (kind, value) {
            (Kind::String, Value::Bool(_) | Value::Number(_)) => {
                message.push_str(&format!(": write `\"{value}\"`"));
            }
            (Kind::Number, Value::String(text)) if text.trim().parse::<f64>().is_ok() => {
                message.push_str(&format!(": write `{}` without quotes", text.trim()));
            }
            (Kind::Bool, Value::String(text)) if text == "true" || text == "false" => {
                message.push_str(&format!(": write `{text}` without quotes"));
            }
            (Kind::StringArray, Value::String(text)) => {
                message.push_str(&format!(": write `[\"{text}\"]`"));
            }
            _ => {}
        }
        return Err(message);
    }
    match (kind, value) {
        (Kind::StringArray, Value::Array(items)) => {
            if let Some((index, item)) =
                items.iter().enumerate().find(|(_, item)| !item.is_string())
            {
                return Err(format!(
                    "`{key}` must be an array of strings, but item {index} is {}",
                    describe(item)
                ));
            }
        }
        (Kind::StringMap, Value::Object(map)) => {
            if let Some((name, item)) = map.iter().find(|(_, item)| !item.is_string()) {
                return Err(format!(
                    "`{key}` must map keys to strings, but `{name}` is {}",
                    describe(item)
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Keys people put at the wrong level, and where each belongs.
const MISPLACED: &[(&str, &str)] = &[
    ("mode", "inside `strategy` (routing) or `cache`"),
    ("conditions", "inside `strategy`"),
    ("default", "inside `strategy`"),
    ("attempts", "inside `retry`"),
    ("use_retry_after_header", "inside `retry`"),
    ("max_age", "inside `cache`"),
    (
        "model",
        "inside `override_params`: `\"override_params\": {\"model\": \"...\"}`",
    ),
    ("temperature", "inside `override_params`"),
    ("max_tokens", "inside `override_params`"),
];

/// The message for a key that `keys` (the keys of `place`, e.g. "a target")
/// does not know: a misplaced key says where it belongs, a camelCase key gets
/// its snake_case spelling, a typo gets the closest key.
pub(crate) fn unknown_key(key: &str, place: &str, keys: &[(&'static str, Kind)]) -> String {
    let known = names(keys);
    let mut message = format!("unknown key `{key}` in {place}");
    if let Some((_, home)) = MISPLACED.iter().find(|(name, _)| *name == key)
        && !known.contains(&key)
    {
        message.push_str(&format!("; `{key}` belongs {home}"));
        return message;
    }
    let snake = to_snake_case(key);
    if snake != key && known.contains(&snake.as_str()) {
        message.push_str(&format!(
            "; Portkey config keys are snake_case: write `{snake}` (the gateway's schema checks \
             only the snake_case spelling)"
        ));
        return message;
    }
    if let Some(suggestion) = closest(key, &known) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    } else if known.len() <= 8 {
        message.push_str(&format!("; expected one of {}", known.join(", ")));
    } else {
        message.push_str("; the gateway silently drops keys it does not know, so remove it");
    }
    message
}

fn to_snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_tables_have_no_duplicates() {
        for table in [
            TARGET_KEYS,
            STRATEGY_KEYS,
            CACHE_KEYS,
            RETRY_KEYS,
            CONDITION_KEYS,
        ] {
            let mut seen = names(table);
            seen.sort_unstable();
            let before = seen.len();
            seen.dedup();
            assert_eq!(before, seen.len());
        }
    }

    #[test]
    fn every_key_of_the_gateway_zod_schema_is_known() {
        // The keys of `configSchema` in config.ts at v1.15.2.
        for key in [
            "strategy",
            "provider",
            "api_key",
            "aws_secret_access_key",
            "aws_access_key_id",
            "aws_session_token",
            "aws_region",
            "cache",
            "retry",
            "weight",
            "on_status_codes",
            "targets",
            "request_timeout",
            "custom_host",
            "forward_headers",
            "vertex_project_id",
            "vertex_region",
            "after_request_hooks",
            "before_request_hooks",
            "input_guardrails",
            "output_guardrails",
            "vertex_service_account_json",
            "openai_project",
            "openai_organization",
            "azure_model_name",
            "azure_auth_mode",
            "strict_open_ai_compliance",
        ] {
            assert!(kind_of(TARGET_KEYS, key).is_some(), "{key}");
        }
    }

    #[test]
    fn kinds_are_checked() {
        assert_eq!(check_kind("a", &json!("x"), Kind::String), Ok(()));
        assert_eq!(check_kind("a", &json!(1.5), Kind::Number), Ok(()));
        assert_eq!(check_kind("a", &json!(false), Kind::Bool), Ok(()));
        assert_eq!(check_kind("a", &json!({}), Kind::Object), Ok(()));
        assert_eq!(check_kind("a", &json!([1, "x"]), Kind::Array), Ok(()));
        assert_eq!(check_kind("a", &json!(["x"]), Kind::StringArray), Ok(()));
        assert_eq!(check_kind("a", &json!({"k": "v"}), Kind::StringMap), Ok(()));
        assert_eq!(
            check_kind("api_key", &json!(12), Kind::String),
            Err("`api_key` must be a string, found a number: write `\"12\"`".to_owned())
        );
        assert_eq!(
            check_kind("mistral_fim_completion", &json!(true), Kind::String),
            Err(
                "`mistral_fim_completion` must be a string, found a boolean: write `\"true\"`"
                    .to_owned()
            )
        );
        assert_eq!(
            check_kind("weight", &json!("0.5"), Kind::Number),
            Err("`weight` must be a number, found a string: write `0.5` without quotes".to_owned())
        );
        assert_eq!(
            check_kind("x", &json!("yes"), Kind::Bool),
            Err("`x` must be `true` or `false`, found a string".to_owned())
        );
        assert!(
            check_kind("x", &json!("true"), Kind::Bool)
                .expect_err("must be rejected")
                .ends_with("write `true` without quotes")
        );
        assert_eq!(
            check_kind("forward_headers", &json!("x-id"), Kind::StringArray),
            Err(
                "`forward_headers` must be an array of strings, found a string: write `[\"x-id\"]`"
                    .to_owned()
            )
        );
        assert_eq!(
            check_kind("forward_headers", &json!(["a", 1]), Kind::StringArray),
            Err("`forward_headers` must be an array of strings, but item 1 is a number".to_owned())
        );
        assert_eq!(
            check_kind(
                "vertex_service_account_json",
                &json!({"k": 1}),
                Kind::StringMap
            ),
            Err(
                "`vertex_service_account_json` must map keys to strings, but `k` is a number"
                    .to_owned()
            )
        );
        assert!(
            check_kind("x", &Value::Null, Kind::Object)
                .expect_err("must be rejected")
                .ends_with("found null")
        );
    }

    #[test]
    fn unknown_keys_get_the_best_hint() {
        assert_eq!(
            unknown_key("stratgy", "the config", TARGET_KEYS),
            "unknown key `stratgy` in the config; did you mean `strategy`?"
        );
        assert_eq!(
            unknown_key("customHost", "a target", TARGET_KEYS),
            "unknown key `customHost` in a target; Portkey config keys are snake_case: write \
             `custom_host` (the gateway's schema checks only the snake_case spelling)"
        );
        assert_eq!(
            unknown_key("model", "a target", TARGET_KEYS),
            "unknown key `model` in a target; `model` belongs inside `override_params`: \
             `\"override_params\": {\"model\": \"...\"}`"
        );
        assert_eq!(
            unknown_key("banana", "`cache`", CACHE_KEYS),
            "unknown key `banana` in `cache`; expected one of mode, max_age"
        );
        assert_eq!(
            unknown_key("zzzzzzzz", "a target", TARGET_KEYS),
            "unknown key `zzzzzzzz` in a target; the gateway silently drops keys it does not know, so remove it"
        );
        // `mode` is known in `cache`, so it is never reported as misplaced there.
        assert!(unknown_key("modes", "`cache`", CACHE_KEYS).ends_with("did you mean `mode`?"));
    }
}
