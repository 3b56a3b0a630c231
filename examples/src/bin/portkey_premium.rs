//! Per-endpoint Portkey gateways: `/premium` falls back from GPT-4 to Claude 3
//! Opus, `/standard` answers with GPT-3.5 (cached), and every other endpoint
//! (`/chat`) goes through the app's default gateway.
//!
//! Needs hosted Portkey: `PORTKEY_API_KEY`, with virtual keys `openai-key`
//! and `anthropic-key` set up there (`PORTKEY_BASE_URL` points elsewhere).
//! Serves on 127.0.0.1:8000 (`FASTAGENTIC_ADDR` overrides).
//!
//! ```text
//! PORTKEY_API_KEY=pk-... cargo run --bin portkey_premium
//! curl -s localhost:8000/premium -H 'content-type: application/json' -d '{"message": "Hello!"}'
//! ```
//!
//! Proven by `tests/tests/portkey_premium_example.rs`.

use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic_portkey::{Cache, PortkeyGateway, RetryConfig, portkey_config};

/// A message for the model.
#[derive(Deserialize, JsonSchema)]
struct Question {
    /// What the user asks.
    message: String,
}

/// The model's answer.
#[derive(Serialize, JsonSchema)]
struct Reply {
    /// The text.
    reply: String,
    /// The model that answered (after a fallback, not the one asked for).
    model: String,
}

/// `/premium`: GPT-4, falling back to Claude 3 Opus when OpenAI fails or is
/// rate-limited. The config is checked at compile time.
fn premium_gateway() -> PortkeyGateway {
    PortkeyGateway::new()
        .config(portkey_config!({
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504]},
            "targets": [
                {"virtual_key": "openai-key", "override_params": {"model": "gpt-4"}},
                {"virtual_key": "anthropic-key", "override_params": {"model": "claude-3-opus-20240229"}}
            ]
        }))
        .retry(RetryConfig::attempts(2))
        .metadata("tier", "premium")
        .metadata_with("_user", |ctx| ctx.user_id())
        // Links Portkey's traces to FastAgentic's runs.
        .trace_id_with(|ctx| ctx.run_id().to_string())
}

/// `/standard`: GPT-3.5 through one virtual key, answers cached for 10 minutes.
fn standard_gateway() -> PortkeyGateway {
    PortkeyGateway::new()
        .virtual_key("openai-key")
        .cache(Cache::simple().max_age(Duration::from_secs(600)))
        .metadata("tier", "standard")
}

/// Every endpoint without its own gateway.
fn default_gateway() -> PortkeyGateway {
    PortkeyGateway::new()
        .virtual_key("openai-key")
        .retry(RetryConfig::attempts(3).on_status_codes([429, 503]))
        .metadata("tier", "default")
}

async fn answer(ctx: &AgentContext, model: &str, message: String) -> Result<Reply, AgentError> {
    let response = ctx
        .llm()
        .chat(ChatRequest::new(model).user(message))
        .await?;
    Ok(Reply {
        reply: response.text().to_owned(),
        model: response.model.clone(),
    })
}

/// Answers with GPT-4, or Claude 3 Opus when GPT-4 is unavailable.
#[agent_endpoint(path = "/premium", llm_gateway = premium_gateway())]
async fn premium(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, "gpt-4", input.message).await
}

/// Answers with GPT-3.5.
#[agent_endpoint(path = "/standard", llm_gateway = standard_gateway())]
async fn standard(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, "gpt-3.5-turbo", input.message).await
}

/// Answers through the app's default gateway.
#[agent_endpoint(path = "/chat")]
async fn chat(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, "gpt-4o-mini", input.message).await
}

/// Logs what Portkey reported about each call: cost, cache and fallback.
#[hook("on_llm_end")]
async fn log_portkey(ctx: &HookContext) {
    let Some(portkey) = ctx.metadata.get("portkey") else {
        return; // a call through another gateway
    };
    tracing::info!(
        endpoint = %ctx.endpoint,
        cost = %portkey["cost"],
        cache = %portkey["cache_status"],
        target = %portkey["last_used_option_index"],
        "LLM call done"
    );
}

/// The app: its default gateway; the endpoints bring their own (also run by
/// `tests/tests/portkey_premium_example.rs`).
pub(crate) fn app() -> App {
    App::new("Premium and standard").llm_gateway(default_gateway())
}

#[tokio::main]
async fn main() -> Result<(), fastagentic::Error> {
    let _ = tracing_subscriber::fmt().with_target(false).try_init();
    let addr = std::env::var("FASTAGENTIC_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    // Start-up checks every gateway: a missing PORTKEY_API_KEY stops here, named.
    app().serve(&addr).await
}
