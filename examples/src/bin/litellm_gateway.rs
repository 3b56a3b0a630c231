//! Every LLM call through a LiteLLM proxy: `gpt-4o` first, then Claude, then
//! Gemini, as the proxy's `model_list` names them.
//!
//! ```text
//! export LITELLM_PROXY_API_BASE=http://localhost:4000   # the default
//! export LITELLM_PROXY_API_KEY=sk-...                   # the proxy's master key or a virtual key
//! cargo run --bin litellm_gateway
//! curl -s localhost:8000/ask -H 'content-type: application/json' -d '{"question": "Hello!"}'
//! curl -s localhost:8000/ask -H 'content-type: application/json' -d '{"question": "Hello!", "fresh": true}'
//! ```
//!
//! Serves on 127.0.0.1:8000 (`FASTAGENTIC_ADDR` overrides). See
//! `docs/litellm.md` for every option and for starting a proxy.

use fastagentic::prelude::*;
use fastagentic_litellm::{CacheControl, LiteLLMGateway, LiteLLMRequest};

/// A question for the model.
#[derive(Deserialize, JsonSchema)]
struct Question {
    /// What the user asks.
    question: String,
    /// Skip the proxy's cache for this question.
    #[serde(default)]
    fresh: bool,
}

/// The model's answer.
#[derive(Serialize, JsonSchema)]
struct Reply {
    /// The answer's text.
    answer: String,
    /// The model that answered: after a fallback, the fallback's.
    model: String,
}

/// Answers a question, through the proxy's fallbacks and cache.
#[agent_endpoint(path = "/ask")]
async fn ask(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    let mut request = ChatRequest::new("gpt-4o")
        .user(&input.question)
        // Kept by the proxy with the call (its logs, callbacks, spend reports).
        .litellm_metadata("endpoint", "ask");
    if input.fresh {
        request = request.litellm_cache(CacheControl::new().no_cache());
    }
    let reply = ctx.llm().chat(request).await?;
    Ok(Reply {
        answer: reply.text().to_owned(),
        model: reply.model.clone(),
    })
}

/// Logs what the proxy reported about each call: LiteLLM's cost, retries,
/// fallbacks and cache hits.
#[hook("on_llm_end")]
async fn log_litellm_facts(ctx: &HookContext) {
    if let Some(litellm) = ctx.metadata.get("litellm") {
        tracing::info!(
            model = ?ctx.model,
            cost = ?ctx.usage.cost,
            attempted_retries = %litellm["attempted_retries"],
            attempted_fallbacks = %litellm["attempted_fallbacks"],
            cache_hit = %litellm["cache_hit"],
            "LLM call through LiteLLM"
        );
    }
}

/// The app: the seed's snippet, as written.
#[rustfmt::skip]
fn app() -> App {
    App::new("My Agent").llm_gateway(
        LiteLLMGateway::new().fallback_models(["gpt-4o", "claude-3-sonnet", "gemini-pro"]),
    )
}

#[tokio::main]
async fn main() -> Result<(), fastagentic::Error> {
    fastagentic_examples::init_logging();
    let addr = std::env::var("FASTAGENTIC_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    app().serve(&addr).await
}
