//! Observability: spans over OTLP, `GET /metrics`, and Langfuse.
//!
//! ```text
//! # logs only; metrics at http://127.0.0.1:8000/metrics
//! cargo run --bin observability
//!
//! # spans to an OpenTelemetry collector (or Jaeger, Tempo, ...) over OTLP/HTTP
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=support-agent \
//!     cargo run --bin observability
//!
//! # traces and generations to Langfuse as well
//! LANGFUSE_PUBLIC_KEY=pk-lf-... LANGFUSE_SECRET_KEY=sk-lf-... LANGFUSE_HOST=https://cloud.langfuse.com \
//!     cargo run --bin observability
//!
//! curl -s localhost:8000/triage -H 'content-type: application/json' -d '{"text": "My printer is on fire"}'
//! curl -s localhost:8000/metrics | grep fastagentic_llm
//! ```
//!
//! With no `OPENAI_API_KEY` it answers from the offline demo gateway.

use std::time::Duration;

use fastagentic::observability::{LangfuseHook, Telemetry};
use fastagentic::prelude::*;
use fastagentic::reliability::{ReliableGateway, RetryPolicy};

/// A support ticket.
#[derive(Deserialize, JsonSchema)]
struct Ticket {
    /// What the customer wrote.
    text: String,
}

/// The ticket's label.
#[derive(Serialize, JsonSchema)]
struct Triage {
    /// The label the model chose.
    label: String,
}

/// Labels a support ticket. Its request and LLM call each get a span.
#[agent_endpoint(path = "/triage")]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let request = ChatRequest::new("gpt-4o-mini")
        .system("Label the ticket: billing, bug or other.")
        .user(&input.text);
    let reply = ctx.llm().chat(request).await?;
    Ok(Triage {
        label: reply.text().to_owned(),
    })
}

/// The app: the endpoint behind `gateway` with retries, `GET /metrics`
/// (on by default), and Langfuse when configured.
pub fn app<G: LlmGateway>(gateway: G, langfuse: Option<LangfuseHook>) -> App {
    // Retries show up as span events, on /metrics and in Langfuse.
    let gateway = ReliableGateway::new(gateway)
        .retry(RetryPolicy::new(3))
        .timeout(Duration::from_secs(30));
    App::new("Support agent")
        .without_inventory()
        .endpoint(&TRIAGE_ENDPOINT)
        .llm_gateway(gateway)
        .hooks(langfuse)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Logs to stderr; spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    // Keep the guard alive: dropping it sends the spans still queued.
    let telemetry = Telemetry::from_env().service_name("support-agent").init()?;

    // LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY, LANGFUSE_HOST
    let langfuse = LangfuseHook::from_env()
        .inspect_err(|not_configured| tracing::info!("{not_configured}; Langfuse export is off"))
        .ok();
    let addr = std::env::var("FASTAGENTIC_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    match OpenAiGateway::from_env() {
        Ok(openai) => app(openai, langfuse).serve(&addr).await?,
        Err(_) => app(DemoGateway::new(), langfuse).serve(&addr).await?,
    }
    drop(telemetry);
    Ok(())
}
