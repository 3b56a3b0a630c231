//! Every reliability key form the README documents for `#[agent_endpoint]`:
//! `retry` as a number, a list of settings and an expression; `rate_limit` as
//! settings and an expression; `timeout` as a literal and an expression.

use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::reliability::{RateLimit, RetryPolicy};

#[derive(Deserialize, JsonSchema)]
struct Ticket {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

async fn ask(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let reply = ctx.llm().chat(ChatRequest::new("gpt-4o-mini").user(&input.text)).await?;
    Ok(Triage { label: reply.text().to_owned() })
}

#[agent_endpoint(path = "/retry/number", retry = 3, llm_gateway = DemoGateway::new())]
async fn retry_number(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    ask(ctx, input).await
}

#[agent_endpoint(
    path = "/retry/settings",
    retry(
        attempts = 3,
        backoff = "exponential",
        initial_delay = "100ms",
        max_delay = "2s",
        jitter = 0.2,
        on = ["rate_limit", "server_error", 409]
    ),
    llm_gateway = DemoGateway::new()
)]
async fn retry_settings(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    ask(ctx, input).await
}

#[agent_endpoint(path = "/retry/expr", retry = RetryPolicy::new(2), llm_gateway = DemoGateway::new())]
async fn retry_expr(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    ask(ctx, input).await
}

#[agent_endpoint(
    path = "/limit/settings",
    rate_limit(requests_per_minute = 60, tokens_per_minute = 100_000, burst = 10, wait = "2s"),
    llm_gateway = DemoGateway::new()
)]
async fn limit_settings(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    ask(ctx, input).await
}

#[agent_endpoint(
    path = "/limit/expr",
    rate_limit = RateLimit::new().requests_per_minute(30).burst(5),
    llm_gateway = DemoGateway::new()
)]
async fn limit_expr(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    ask(ctx, input).await
}

#[agent_endpoint(path = "/timeout/literal", timeout = "30s", llm_gateway = DemoGateway::new())]
async fn timeout_literal(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    ask(ctx, input).await
}

#[agent_endpoint(
    path = "/timeout/expr",
    timeout = Duration::from_millis(1_500),
    llm_gateway = DemoGateway::new()
)]
async fn timeout_expr(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    ask(ctx, input).await
}

fn main() {
    let _app = App::new("Reliability keys")
        .endpoint(&RETRY_NUMBER_ENDPOINT)
        .endpoint(&RETRY_SETTINGS_ENDPOINT)
        .endpoint(&RETRY_EXPR_ENDPOINT)
        .endpoint(&LIMIT_SETTINGS_ENDPOINT)
        .endpoint(&LIMIT_EXPR_ENDPOINT)
        .endpoint(&TIMEOUT_LITERAL_ENDPOINT)
        .endpoint(&TIMEOUT_EXPR_ENDPOINT);
}
