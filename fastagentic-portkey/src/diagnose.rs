//! Troubleshooting built in: errors that say why a fallback or retry did not
//! happen and what Portkey refused.

use fastagentic::GatewayError;
use fastagentic::gateway::kit::explain_upstream;
use serde_json::Value;

use crate::PortkeyConfig;
use crate::retry::DEFAULT_RETRY_STATUS_CODES;

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

impl Diagnosis {
    /// The retries the config allows, when it has a top-level `retry`.
    pub(crate) fn retry_attempts(&self) -> Option<u64> {
        self.retry.as_ref().map(|(attempts, _)| *attempts)
    }

    /// Adds what Portkey's configuration explains about a failure.
    pub(crate) fn explain(&self, error: GatewayError) -> GatewayError {
        explain_upstream(error, |failure| {
            let status = failure.status;
            let parsed = serde_json::from_str::<Value>(&failure.body).ok();
            let refused_by_portkey = parsed
                .as_ref()
                .is_some_and(|body| body.get("status").and_then(Value::as_str) == Some("failure"));
            if refused_by_portkey {
                if let Some(refusal) = parsed.as_ref().and_then(|body| self.refusal(body)) {
                    failure.message = refusal;
                }
                return;
            }
            if let Some(codes) = &self.fallback_codes
                && !codes.contains(&status)
            {
                failure.message.push_str(&format!(
                    "; fallback not triggered: {status} is not in on_status_codes [{}]",
                    list(codes)
                ));
            }
            if let Some((_, codes)) = &self.retry
                && !codes.contains(&status)
            {
                failure.message.push_str(&format!(
                    "; not retried: {status} is not in retry.on_status_codes [{}]",
                    list(codes)
                ));
            }
        })
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
            if self.virtual_key_targets && !self.hosted {
                message.push_str(
                    "\n(targets with only a `virtual_key` need hosted Portkey; a self-hosted \
                     gateway wants `provider` and `api_key` in each target)",
                );
            }
        }
        Some(message)
    }
}
