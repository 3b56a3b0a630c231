//! Troubleshooting built in: Portkey's response facts for hooks, and errors
//! that say why a fallback or retry did not happen and what Portkey refused.

use fastagentic::GatewayError;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::PortkeyConfig;
use crate::prepared::Prepared;
use crate::retry::DEFAULT_RETRY_STATUS_CODES;
use crate::wire;

/// What the effective config says about fallbacks and retries.
#[derive(Debug, Default)]
pub(crate) struct Diagnosis {
    /// `strategy.on_status_codes` of a top-level `fallback` strategy.
    fallback_codes: Option<Vec<u16>>,
    /// Top-level `retry`: attempts and the codes it retries.
    retry: Option<(u64, Vec<u16>)>,
    /// Some target has a `virtual_key` and no `provider`.
    virtual_key_targets: bool,
    hosted: bool,
}

impl Diagnosis {
    pub(crate) fn new(config: Option<&PortkeyConfig>, hosted: bool) -> Self {
        let Some(json) = config.map(PortkeyConfig::as_json) else {
            return Self {
                hosted,
                ..Self::default()
            };
        };
        let codes = |value: Option<&Value>| -> Option<Vec<u16>> {
            value?.as_array().map(|codes| {
                codes
                    .iter()
                    .filter_map(Value::as_u64)
                    .filter_map(|code| u16::try_from(code).ok())
                    .collect()
            })
        };
        let fallback_codes = (json.pointer("/strategy/mode").and_then(Value::as_str)
            == Some("fallback"))
        .then(|| codes(json.pointer("/strategy/on_status_codes")))
        .flatten();
        let retry = json
            .pointer("/retry/attempts")
            .and_then(Value::as_u64)
            .filter(|attempts| *attempts > 0)
            .map(|attempts| {
                let codes = codes(json.pointer("/retry/on_status_codes"))
                    .unwrap_or_else(|| DEFAULT_RETRY_STATUS_CODES.to_vec());
                (attempts, codes)
            });
        Self {
            fallback_codes,
            retry,
            virtual_key_targets: has_virtual_key_target(json),
            hosted,
        }
    }
}

fn has_virtual_key_target(node: &Value) -> bool {
    node.get("targets")
        .and_then(Value::as_array)
        .is_some_and(|targets| {
            targets.iter().any(|target| {
                (target.get("virtual_key").is_some() && target.get("provider").is_none())
                    || has_virtual_key_target(target)
            })
        })
}

fn list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Prepared {
    /// `HookContext::metadata["portkey"]` from the response headers.
    pub(crate) fn section(&self, headers: &HeaderMap, sent_trace_id: Option<String>) -> Value {
        let text = |name: &http::HeaderName| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        let cache_status = text(&wire::CACHE_STATUS);
        let cache_hit =
            cache_status.is_some_and(|status| status.to_ascii_uppercase().ends_with("HIT"));
        let count = text(&wire::RETRY_ATTEMPT_COUNT).and_then(|count| count.parse::<i64>().ok());
        let (retry_attempts, retries_exhausted) = match count {
            Some(count) => match u64::try_from(count) {
                Ok(count) => (Some(count), false),
                // -1: every retry was used.
                Err(_) => (self.diagnosis.retry.as_ref().map(|(n, _)| *n), true),
            },
            None => (None, false),
        };
        let trace_id = text(&wire::TRACE_ID).map(str::to_owned).or(sent_trace_id);
        json!({
            "cache_status": cache_status,
            "cache_hit": cache_hit,
            "retry_attempts": retry_attempts,
            "retries_exhausted": retries_exhausted,
            "last_used_option_index": text(&wire::LAST_USED_OPTION_INDEX),
            "provider": text(&wire::PROVIDER),
            "trace_id": trace_id,
        })
    }

    /// Adds what Portkey's configuration explains about a failure.
    pub(crate) fn diagnose(&self, error: GatewayError) -> GatewayError {
        let GatewayError::Upstream {
            provider,
            status,
            mut message,
            body,
            retry_after,
        } = error
        else {
            return error;
        };
        let parsed = serde_json::from_str::<Value>(&body).ok();
        let refused_by_portkey = parsed
            .as_ref()
            .is_some_and(|body| body.get("status").and_then(Value::as_str) == Some("failure"));
        if refused_by_portkey {
            if let Some(refusal) = parsed.as_ref().and_then(|body| self.refusal(body)) {
                message = refusal;
            }
        } else {
            if let Some(codes) = &self.diagnosis.fallback_codes
                && !codes.contains(&status)
            {
                message.push_str(&format!(
                    "; fallback not triggered: {status} is not in on_status_codes [{}]",
                    list(codes)
                ));
            }
            if let Some((_, codes)) = &self.diagnosis.retry
                && !codes.contains(&status)
            {
                message.push_str(&format!(
                    "; not retried: {status} is not in retry.on_status_codes [{}]",
                    list(codes)
                ));
            }
        }
        GatewayError::Upstream {
            provider,
            status,
            message,
            body,
            retry_after,
        }
    }

    /// Portkey's own refusal (`{"status": "failure", "message", "errors"}`),
    /// its `errors` listed verbatim.
    fn refusal(&self, body: &Value) -> Option<String> {
        let own = body.get("message").and_then(Value::as_str)?;
        let mut message = format!("Portkey refused the request: {own}");
        if let Some(errors) = body.get("errors").and_then(Value::as_array) {
            for error in errors {
                message.push_str("\n  - ");
                match error.as_str() {
                    Some(text) => message.push_str(text),
                    None => message.push_str(&error.to_string()),
                }
            }
            if self.diagnosis.virtual_key_targets && !self.diagnosis.hosted {
                message.push_str(
                    "\n(targets with only a `virtual_key` need hosted Portkey; a self-hosted \
                     gateway wants `provider` and `api_key` in each target)",
                );
            }
        }
        Some(message)
    }
}
