//! The quickstart: `cargo run` at the workspace root.
//!
//! Serves on 127.0.0.1:8000 (`FASTAGENTIC_ADDR` overrides). With no API key
//! set it answers from the offline demo gateway.
//!
//! ```text
//! curl -s localhost:8000/chat -H 'content-type: application/json' -d '{"message": "Hello!"}'
//! curl -sN localhost:8000/chat/stream -H 'content-type: application/json' -d '{"message": "Hello!"}'
//! open http://localhost:8000/docs
//! open http://localhost:8000/dashboard
//! ```

use fastagentic::prelude::*;

/// A chat message from the user.
#[derive(Deserialize, JsonSchema)]
struct ChatIn {
    /// What the user says.
    message: String,
}

/// The model's answer.
#[derive(Serialize, JsonSchema)]
struct ChatOut {
    /// The answer's text.
    reply: String,
    /// The model that answered (`fastagentic-demo` without an API key).
    model: String,
    /// Tokens used and their cost.
    usage: Usage,
}

/// Chats with the model: one message in, one answer out.
#[agent_endpoint(path = "/chat")]
async fn chat(ctx: AgentContext, input: ChatIn) -> Result<ChatOut, AgentError> {
    let request = ChatRequest::new("gpt-4o-mini")
        .system("You are a helpful assistant.")
        .user(&input.message);
    let response = ctx.llm().chat(request).await?;
    Ok(ChatOut {
        reply: response.text().to_owned(),
        model: response.model.clone(),
        usage: response.usage_or_default(),
    })
}

/// Streams the model's answer as server-sent events (OpenAI chunk format).
#[agent_endpoint(path = "/chat/stream", stream = true)]
async fn chat_stream(ctx: AgentContext, input: ChatIn) -> Result<ChatStream, AgentError> {
    let request = ChatRequest::new("gpt-4o-mini").user(&input.message);
    Ok(ctx.llm().chat_stream(request).await?)
}

/// A text to summarize.
#[derive(Deserialize, JsonSchema)]
struct SummarizeIn {
    /// The text.
    text: String,
    /// The longest summary wanted, in words.
    #[serde(default = "default_words")]
    max_words: u32,
}

fn default_words() -> u32 {
    50
}

/// A summary.
#[derive(Serialize, JsonSchema)]
struct SummarizeOut {
    /// The summary.
    summary: String,
}

/// Summarizes a text in at most `max_words` words.
#[agent_endpoint(path = "/summarize")]
async fn summarize(ctx: AgentContext, input: SummarizeIn) -> Result<SummarizeOut, AgentError> {
    if input.text.trim().is_empty() {
        return Err(AgentError::bad_request(
            "`text` is empty: send the text to summarize",
        ));
    }
    let request = ChatRequest::new("gpt-4o-mini")
        .system(format!(
            "Summarize the user's text in at most {} words.",
            input.max_words
        ))
        .user(&input.text);
    let response = ctx.llm().chat(request).await?;
    Ok(SummarizeOut {
        summary: response.text().to_owned(),
    })
}

/// Logs every LLM call's tokens and cost.
#[hook("on_llm_end")]
async fn log_usage(ctx: &HookContext) {
    tracing::info!(
        endpoint = %ctx.endpoint,
        model = ctx.model.as_deref().unwrap_or("?"),
        tokens = ctx.usage.total_tokens,
        cost_usd = ctx.usage.cost.unwrap_or(0.0),
        "LLM call finished"
    );
}

#[tokio::main]
async fn main() -> Result<(), fastagentic::Error> {
    fastagentic_examples::init_logging();
    let addr = std::env::var("FASTAGENTIC_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    App::new("FastAgentic quickstart")
        .description(
            "Chat, streaming chat and summarization, on the demo gateway unless an API key is set.",
        )
        .llm_gateway(fastagentic_examples::gateway_from_env()?)
        // The live dashboard at /dashboard. Bound off loopback, it asks for
        // FASTAGENTIC_DASHBOARD_TOKEN (start-up says so if it is unset).
        .dashboard(Dashboard::new())
        .serve(&addr)
        .await
}
