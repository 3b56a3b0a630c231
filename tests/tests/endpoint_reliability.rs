//! Reliability per endpoint: `#[agent_endpoint(retry = .., rate_limit = .., timeout = ..)]`.

use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::reliability::RetryPolicy;
use fastagentic::testing::{MockProvider, MockReply};
use serde_json::{Value, json};

#[derive(Deserialize, JsonSchema)]
struct Ask {
    q: String,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    a: String,
}

async fn answer(ctx: &AgentContext, model: &str, q: String) -> Result<Answer, AgentError> {
    let reply = ctx.llm().chat(ChatRequest::new(model).user(q)).await?;
    Ok(Answer {
        a: reply.text().to_owned(),
    })
}

#[agent_endpoint(path = "/retry-three", retry = 3)]
async fn retry_three(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    answer(&ctx, "m-three", input.q).await
}

#[agent_endpoint(
    path = "/retry-detailed",
    retry(attempts = 2, backoff = "fixed", initial_delay = "5ms", max_delay = "5ms", jitter = 0, on = ["server_error", 409])
)]
async fn retry_detailed(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    answer(&ctx, "m-detailed", input.q).await
}

#[agent_endpoint(path = "/retry-expr", retry = RetryPolicy::new(2).backoff(fastagentic::reliability::Backoff::fixed(Duration::from_millis(1))))]
async fn retry_expr(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    answer(&ctx, "m-expr", input.q).await
}

#[agent_endpoint(path = "/limited", rate_limit(requests_per_minute = 2))]
async fn limited(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    answer(&ctx, "m-limited", input.q).await
}

#[agent_endpoint(path = "/quick", timeout = "150ms")]
async fn quick(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    answer(&ctx, "m-quick", input.q).await
}

#[agent_endpoint(path = "/patient")]
async fn patient(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    answer(&ctx, "m-patient", input.q).await
}

async fn start(mock: &MockProvider) -> fastagentic::ServerHandle {
    App::new("Endpoint reliability")
        .llm_gateway(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .spawn("127.0.0.1:0")
        .await
        .unwrap()
}

async fn post(app: &fastagentic::ServerHandle, path: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.url()))
        .json(&json!({"q": "x"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        status,
        retry_after,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn retry_literal_retries_the_endpoints_calls() {
    let mock = MockProvider::start().await;
    mock.push_for_model("m-three", MockReply::status(503));
    mock.push_for_model("m-three", MockReply::status(503));
    mock.push_for_model("m-three", MockReply::text("third time"));
    let app = start(&mock).await;
    let (status, _, body) = post(&app, "/retry-three").await;
    assert_eq!((status, body["a"].clone()), (200, json!("third time")));
    assert_eq!(mock.requests_for_model("m-three"), 3);
}

#[tokio::test]
async fn retry_lists_set_attempts_classes_and_codes() {
    let mock = MockProvider::start().await;
    mock.on_model("m-detailed", MockReply::status(503));
    let app = start(&mock).await;
    let (status, _, _) = post(&app, "/retry-detailed").await;
    assert_eq!(status, 502);
    assert_eq!(mock.requests_for_model("m-detailed"), 2, "attempts = 2");

    let mock = MockProvider::start().await;
    mock.push_for_model("m-detailed", MockReply::status(409));
    mock.push_for_model("m-detailed", MockReply::text("ok"));
    let app = start(&mock).await;
    assert_eq!(
        post(&app, "/retry-detailed").await.0,
        200,
        "409 is named in `on`"
    );
    assert_eq!(mock.requests_for_model("m-detailed"), 2);

    // Endpoints without `retry` do not retry.
    mock.push_for_model("m-patient", MockReply::status(503));
    assert_eq!(post(&app, "/patient").await.0, 502);
    assert_eq!(mock.requests_for_model("m-patient"), 1);
}

#[tokio::test]
async fn retry_expressions_are_taken_as_policies() {
    let mock = MockProvider::start().await;
    mock.push_for_model("m-expr", MockReply::status(500));
    let app = start(&mock).await;
    assert_eq!(post(&app, "/retry-expr").await.0, 200);
    assert_eq!(mock.requests_for_model("m-expr"), 2);
}

#[tokio::test]
async fn rate_limits_hold_per_endpoint() {
    let mock = MockProvider::start().await;
    let app = start(&mock).await;
    assert_eq!(post(&app, "/limited").await.0, 200);
    assert_eq!(post(&app, "/limited").await.0, 200);
    let (status, retry_after, body) = post(&app, "/limited").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["type"], "rate_limited");
    assert!(
        retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|secs| (1..=60).contains(&secs)))
    );
    assert_eq!(mock.requests_for_model("m-limited"), 2);
    assert_eq!(
        post(&app, "/patient").await.0,
        200,
        "other endpoints keep their own budget"
    );
}

#[tokio::test]
async fn timeouts_are_per_endpoint() {
    let mock = MockProvider::start().await;
    mock.on_model(
        "m-quick",
        MockReply::text("late").delay(Duration::from_millis(600)),
    );
    mock.on_model(
        "m-patient",
        MockReply::text("late but fine").delay(Duration::from_millis(300)),
    );
    let app = start(&mock).await;
    let (status, _, body) = post(&app, "/quick").await;
    assert_eq!(
        (status, body["error"]["type"].clone()),
        (504, json!("request_timeout"))
    );
    assert_eq!(post(&app, "/patient").await.0, 200);
}

#[tokio::test]
async fn the_app_sets_the_default_retry_and_a_shared_rate_limit() {
    use fastagentic::reliability::{Backoff, RateLimit};

    let mock = MockProvider::start().await;
    mock.push_for_model("m-patient", MockReply::status(503));
    mock.on_model("m-three", MockReply::status(503));
    let app = App::new("App defaults")
        .llm_gateway(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .retry(RetryPolicy::new(2).backoff(Backoff::fixed(Duration::from_millis(1))))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    assert_eq!(
        post(&app, "/patient").await.0,
        200,
        "the app's retry applies"
    );
    assert_eq!(mock.requests_for_model("m-patient"), 2);
    assert_eq!(post(&app, "/retry-three").await.0, 502);
    assert_eq!(
        mock.requests_for_model("m-three"),
        3,
        "the endpoint's own retry = 3 wins"
    );

    let mock = MockProvider::start().await;
    let app = App::new("App rate limit")
        .llm_gateway(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .rate_limit(RateLimit::new().requests_per_minute(2))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    assert_eq!(post(&app, "/patient").await.0, 200);
    assert_eq!(post(&app, "/quick").await.0, 200);
    assert_eq!(
        post(&app, "/patient").await.0,
        429,
        "one budget across endpoints"
    );
    assert_eq!(mock.request_count(), 2);
}
