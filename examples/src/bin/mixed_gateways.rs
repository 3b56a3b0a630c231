//! Three gateways in one app, chosen per endpoint:
//!
//! - `/premium` through Portkey (GPT-4 falling back to Claude 3 Opus, a routing
//!   config checked at compile time);
//! - `/team` through the team's LiteLLM proxy (with its own fallback models);
//! - `/chat`, and every endpoint without its own gateway, through the built-in
//!   gateway: OpenAI directly, with retries and a rate limit in-process.
//!
//! ```text
//! PORTKEY_API_KEY=pk-... LITELLM_PROXY_API_BASE=http://localhost:4000 LITELLM_PROXY_API_KEY=sk-... \
//! OPENAI_API_KEY=sk-... cargo run --bin mixed_gateways
//! ```
//!
//! Proven by `examples/tests/mixed_gateways.rs`, which points each gateway at
//! its own mock provider and checks where every request went.

use fastagentic::prelude::*;
use fastagentic::reliability::{RateLimit, ReliableGateway, RetryPolicy};
use fastagentic_litellm::LiteLLMGateway;
use fastagentic_portkey::{PortkeyGateway, portkey_config};

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
}

async fn answer(ctx: &AgentContext, model: &str, message: String) -> Result<Reply, AgentError> {
    let response = ctx
        .llm()
        .chat(ChatRequest::new(model).user(message))
        .await?;
    Ok(Reply {
        reply: response.text().to_owned(),
    })
}

/// Portkey: GPT-4, or Claude 3 Opus when OpenAI fails.
fn portkey() -> PortkeyGateway {
    PortkeyGateway::new().config(portkey_config!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504]},
        "targets": [
            {"virtual_key": "openai-key", "override_params": {"model": "gpt-4"}},
            {"virtual_key": "anthropic-key", "override_params": {"model": "claude-3-opus-20240229"}}
        ]
    }))
}

/// The team's LiteLLM proxy (`LITELLM_PROXY_API_BASE`, `LITELLM_PROXY_API_KEY`).
fn litellm() -> LiteLLMGateway {
    LiteLLMGateway::new().fallback_models(["claude-3-sonnet", "gemini-pro"])
}

/// Answers with GPT-4 through Portkey.
#[agent_endpoint(path = "/premium", llm_gateway = portkey())]
async fn premium(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, "gpt-4", input.message).await
}

/// Answers through the team's LiteLLM proxy.
#[agent_endpoint(path = "/team", llm_gateway = litellm())]
async fn team(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, "gpt-4o", input.message).await
}

/// Answers through the built-in gateway, the app's default.
#[agent_endpoint(path = "/chat")]
async fn chat(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, "gpt-4o-mini", input.message).await
}

#[tokio::main]
async fn main() -> Result<(), fastagentic::Error> {
    fastagentic_examples::init_logging();
    // The built-in gateway: OpenAI (OPENAI_API_KEY, OPENAI_BASE_URL), retried on
    // 429/5xx and held to 600 requests a minute, all in-process.
    let built_in = ReliableGateway::new(OpenAiGateway::from_env()?)
        .retry(RetryPolicy::new(3))
        .rate_limit(RateLimit::new().requests_per_minute(600));
    let addr = std::env::var("FASTAGENTIC_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    App::new("Mixed gateways")
        .llm_gateway(built_in)
        .serve(&addr)
        .await
}
