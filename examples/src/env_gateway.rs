//! Picking the gateway from the environment, as the quickstart does.

use std::sync::Arc;
use std::time::Duration;

use fastagentic::{DemoGateway, LlmGateway, OpenAiGateway};

/// The gateway the environment asks for: `OPENAI_API_KEY` (with optional
/// `OPENAI_BASE_URL`) selects OpenAI; with nothing set, the offline demo.
pub fn gateway_from_env() -> Result<Arc<dyn LlmGateway>, fastagentic::Error> {
    if std::env::var("OPENAI_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        tracing::info!("LLM gateway: OpenAI-compatible API (OPENAI_API_KEY is set)");
        return Ok(Arc::new(OpenAiGateway::from_env()?));
    }
    tracing::warn!(
        "LLM gateway: the offline demo (no OPENAI_API_KEY, PORTKEY_API_KEY or LITELLM_PROXY_API_BASE set); answers are canned and say so"
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
