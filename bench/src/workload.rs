//! The one workload every path serves: classify a support ticket with one
//! chat completion (or stream the answer).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The model asked for.
pub const MODEL: &str = "gpt-4o-mini";
/// The system prompt of the classification call.
pub const SYSTEM_PROMPT: &str = "Label the support ticket: billing, bug or other.";
/// The ticket every request sends.
pub const TICKET_TEXT: &str = "I was charged twice for my subscription this month.";

/// An endpoint's input.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Ticket {
    /// The ticket's text.
    pub text: String,
}

/// An endpoint's output.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Triage {
    /// The label the model chose.
    pub label: String,
}

/// The body sent to the `/triage` and `/stream` endpoints.
pub fn ticket_body() -> String {
    serde_json::json!({ "text": TICKET_TEXT }).to_string()
}

/// The chat-completion body sent straight to an OpenAI-compatible API (the
/// upstream, a peer, or FastAgentic's OpenAI-compatible route): the same
/// call the endpoints make.
pub fn chat_body(stream: bool) -> String {
    let mut body = serde_json::json!({
        "model": MODEL,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": TICKET_TEXT},
        ],
    });
    if stream {
        body["stream"] = serde_json::Value::Bool(true);
    }
    body.to_string()
}

/// The seed's Portkey configs, as the benchmark runs them in-process
/// (`PortkeyGateway::..in_process(..)`) and through the Portkey gateway.
/// Every target is `provider: openai` with `custom_host` at the bench
/// upstream, so each config measures its routing, never a failure: the
/// fallback's first target answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedConfig {
    /// The seed's fallback: `on_status_codes` 429/500/502/503, two targets.
    Fallback,
    /// The seed's load balancing: two targets weighted 0.7 / 0.3, with the
    /// seed's `on_status_codes` (failover to the sibling in-process; the
    /// Portkey gateway ignores them).
    LoadBalance,
    /// The fallback with the exact cache on (`cache.mode: simple`): every
    /// request of the benchmark is the same, so all but the first are hits.
    CachedFallback,
}

impl SeedConfig {
    /// Every config, in report order.
    pub const ALL: [SeedConfig; 3] = [
        SeedConfig::Fallback,
        SeedConfig::LoadBalance,
        SeedConfig::CachedFallback,
    ];

    /// The name `serve-fastagentic --portkey-config NAME` takes.
    pub fn name(self) -> &'static str {
        match self {
            SeedConfig::Fallback => "fallback",
            SeedConfig::LoadBalance => "loadbalance",
            SeedConfig::CachedFallback => "cached-fallback",
        }
    }

    /// The config called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The config's JSON, its targets at `upstream_v1`.
    pub fn json(self, upstream_v1: &str) -> serde_json::Value {
        use serde_json::json;
        let target =
            |key: &str| json!({"provider": "openai", "api_key": key, "custom_host": upstream_v1});
        let fallback = json!({
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
            "targets": [target("sk-test-primary"), target("sk-test-secondary")],
        });
        match self {
            SeedConfig::Fallback => fallback,
            SeedConfig::LoadBalance => {
                let (mut heavy, mut light) = (target("sk-test-a"), target("sk-test-b"));
                heavy["weight"] = json!(0.7);
                light["weight"] = json!(0.3);
                json!({
                    "strategy": {"mode": "loadbalance", "on_status_codes": [429, 500, 502, 503]},
                    "targets": [heavy, light],
                })
            }
            SeedConfig::CachedFallback => {
                let mut cached = fallback;
                cached["cache"] = json!({"mode": "simple", "max_age": 3600});
                cached
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_configs_pass_the_portkey_rules() {
        for config in SeedConfig::ALL {
            assert_eq!(SeedConfig::from_name(config.name()), Some(config));
            fastagentic_portkey::PortkeyConfig::from_value(config.json("http://127.0.0.1:9/v1"))
                .unwrap_or_else(|e| panic!("{}: {e}", config.name()));
        }
        assert_eq!(SeedConfig::from_name("nope"), None);
    }
}
