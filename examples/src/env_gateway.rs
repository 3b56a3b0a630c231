//! Picking the gateway from the environment, as the quickstart does.

use std::sync::Arc;
use std::time::Duration;

use fastagentic::{DemoGateway, LlmGateway, OpenAiGateway};
use fastagentic_litellm::LiteLLMGateway;
use fastagentic_portkey::PortkeyGateway;

fn set(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// The gateway the environment asks for, first match wins:
///
/// 1. `PORTKEY_API_KEY` (with `PORTKEY_BASE_URL` for a self-hosted gateway and
///    `PORTKEY_VIRTUAL_KEY` for the provider's credentials): [`PortkeyGateway`];
/// 2. `LITELLM_PROXY_API_BASE` (with `LITELLM_PROXY_API_KEY`): [`LiteLLMGateway`];
/// 3. `OPENAI_API_KEY` (with `OPENAI_BASE_URL` for any OpenAI-compatible server): [`OpenAiGateway`];
/// 4. nothing: the offline [`DemoGateway`], whose answers say they are the demo.
pub fn gateway_from_env() -> Result<Arc<dyn LlmGateway>, fastagentic::Error> {
    if set("PORTKEY_API_KEY").is_some() {
        tracing::info!("LLM gateway: Portkey (PORTKEY_API_KEY is set)");
        let gateway = PortkeyGateway::new();
        return Ok(Arc::new(match set("PORTKEY_VIRTUAL_KEY") {
            Some(key) => gateway.virtual_key(key),
            None => gateway,
        }));
    }
    if set("LITELLM_PROXY_API_BASE").is_some() {
        tracing::info!("LLM gateway: the LiteLLM proxy (LITELLM_PROXY_API_BASE is set)");
        return Ok(Arc::new(LiteLLMGateway::new()));
    }
    if set("OPENAI_API_KEY").is_some() {
        tracing::info!("LLM gateway: OpenAI-compatible API (OPENAI_API_KEY is set)");
        return Ok(Arc::new(OpenAiGateway::from_env()?));
    }
    tracing::warn!(
        "LLM gateway: the offline demo (no PORTKEY_API_KEY, LITELLM_PROXY_API_BASE or OPENAI_API_KEY set); answers are canned and say so"
    );
    Ok(Arc::new(
        DemoGateway::new().token_delay(Duration::from_millis(30)),
    ))
}

/// Logs to stderr; `RUST_LOG` overrides the default `info`.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
