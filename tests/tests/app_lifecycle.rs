//! Assembling an app: per-endpoint gateways beside the default, explicit
//! registration, runnable agents, start-up checks, graceful shutdown.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::testing::MockProvider;
use fastagentic::{BoxFuture, Error};
use serde_json::{Value, json};

static PREMIUM_URL: OnceLock<String> = OnceLock::new();

fn premium_gateway() -> OpenAiGateway {
    OpenAiGateway::new("sk-premium").base_url(PREMIUM_URL.get().expect("set before start-up"))
}

#[derive(Deserialize, JsonSchema)]
struct Question {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    answer: String,
}

/// Served through its own gateway.
#[agent_endpoint(path = "/premium", llm_gateway = premium_gateway())]
async fn premium(ctx: AgentContext, input: Question) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4").user(input.text))
        .await?;
    Ok(Answer {
        answer: reply.text().to_owned(),
    })
}

/// Served through the app's default gateway.
#[agent_endpoint(path = "/standard")]
async fn standard(ctx: AgentContext, input: Question) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-3.5-turbo").user(input.text))
        .await?;
    Ok(Answer {
        answer: reply.text().to_owned(),
    })
}

/// A reusable agent: a system prompt and a model, built once.
struct Summarizer {
    model: String,
}

impl Summarizer {
    fn new(model: &str) -> Self {
        Self {
            model: model.to_owned(),
        }
    }
}

impl Runnable<Question, Answer> for Summarizer {
    fn run(&self, ctx: AgentContext, input: Question) -> BoxFuture<'_, Result<Answer, AgentError>> {
        Box::pin(async move {
            let request = ChatRequest::new(&self.model)
                .system("Summarize.")
                .user(input.text);
            let reply = ctx.llm().chat(request).await?;
            Ok(Answer {
                answer: reply.text().to_owned(),
            })
        })
    }
}

/// Summarizes with a reusable agent.
#[agent_endpoint(path = "/summarize", runnable = Summarizer::new("gpt-4o-mini"))]
async fn summarize(ctx: AgentContext, input: Question) -> Result<Answer, AgentError>;

#[derive(Serialize, JsonSchema)]
struct Done {
    done: bool,
}

/// Set when `/slow` has begun; it then runs until `SLOW_RELEASED` is set.
static SLOW_STARTED: AtomicBool = AtomicBool::new(false);
static SLOW_RELEASED: AtomicBool = AtomicBool::new(false);

/// Polls `flag` until it is set (an event, not a guess at how long it takes).
async fn until_set(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[agent_endpoint(path = "/slow")]
async fn slow() -> Result<Done, AgentError> {
    SLOW_STARTED.store(true, Ordering::SeqCst);
    until_set(&SLOW_RELEASED).await;
    Ok(Done { done: true })
}

async fn post(url: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn each_endpoint_uses_its_own_gateway_and_the_default_serves_the_rest() {
    let premium_mock = MockProvider::start().await;
    let default_mock = MockProvider::start().await;
    PREMIUM_URL.set(premium_mock.base_url()).unwrap();
    let app = App::new("Mixed gateways")
        .llm_gateway(OpenAiGateway::new("sk-default").base_url(default_mock.base_url()))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();

    assert_eq!(
        post(&format!("{}/premium", app.url()), json!({"text": "a"}))
            .await
            .0,
        200
    );
    assert_eq!(
        post(&format!("{}/standard", app.url()), json!({"text": "b"}))
            .await
            .0,
        200
    );
    assert_eq!(
        post(&format!("{}/summarize", app.url()), json!({"text": "c"}))
            .await
            .0,
        200
    );

    let premium_calls = premium_mock.requests();
    assert_eq!(premium_calls.len(), 1);
    assert_eq!(premium_calls[0].model(), Some("gpt-4"));
    assert_eq!(
        premium_calls[0].header("authorization"),
        Some("Bearer sk-premium")
    );

    let default_calls = default_mock.requests();
    let models: Vec<_> = default_calls
        .iter()
        .map(|r| r.model().unwrap_or(""))
        .collect();
    assert_eq!(models, ["gpt-3.5-turbo", "gpt-4o-mini"]);
    assert!(
        default_calls
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer sk-default"))
    );
    assert_eq!(
        default_calls[1].body["messages"][0]["content"], "Summarize.",
        "the runnable agent ran"
    );
}

#[tokio::test]
async fn explicit_registration_serves_only_what_it_names() {
    let mock = MockProvider::start().await;
    let app = App::new("Explicit")
        .without_inventory()
        .endpoint(&STANDARD_ENDPOINT)
        .llm_gateway(OpenAiGateway::new("sk-x").base_url(mock.base_url()))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    assert_eq!(
        post(&format!("{}/standard", app.url()), json!({"text": "b"}))
            .await
            .0,
        200
    );
    assert_eq!(post(&format!("{}/slow", app.url()), json!({})).await.0, 404);
}

#[tokio::test]
async fn a_gateway_without_a_key_stops_the_app_at_start_up() {
    let result = App::new("No key")
        .without_inventory()
        .endpoint(&STANDARD_ENDPOINT)
        .llm_gateway(OpenAiGateway::new(""))
        .into_router();
    let message = result.expect_err("an empty key is refused").to_string();
    assert!(message.contains("default LLM gateway"), "{message}");
    assert!(
        message.contains("OPENAI_API_KEY"),
        "the fix is named: {message}"
    );
}

#[tokio::test]
async fn graceful_shutdown_drains_in_flight_requests() {
    let app = App::new("Drain")
        .without_inventory()
        .endpoint(&SLOW_ENDPOINT)
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("{}/slow", app.url());
    let in_flight = tokio::spawn(async move { post(&url, json!({})).await });
    until_set(&SLOW_STARTED).await;
    let base = app.url();
    let shutdown = tokio::spawn(app.shutdown());
    // Shutdown has begun: new connections are refused while the request runs.
    let mut refused = false;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for _ in 0..400 {
        if client.get(format!("{base}/health")).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(refused, "no longer accepting once shutdown began");
    assert!(
        !shutdown.is_finished() && !in_flight.is_finished(),
        "shutdown waits for the request in flight"
    );
    SLOW_RELEASED.store(true, Ordering::SeqCst);
    shutdown.await.unwrap().unwrap();
    assert_eq!(in_flight.await.unwrap(), (200, json!({"done": true})));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let gateway = OpenAiGateway::new("sk-very-secret-key");
    let debug = format!("{gateway:?}");
    assert!(!debug.contains("sk-very-secret-key"), "{debug}");
    let error = App::new("x")
        .llm_gateway(OpenAiGateway::new("sk-very-secret-key").base_url("not a url"))
        .into_router()
        .unwrap_err();
    assert!(!format!("{error} {error:?}").contains("sk-very-secret-key"));
    let _: Error = error;
}
