//! Gateway trees: strategy pieces written once over every kind of request,
//! the route each call records, walking a tree (for `/metrics` and start-up
//! errors), `Override`, the fallback defaults, and the order an app builds
//! an endpoint's tree in (a call counts once in the app's budget; retries
//! never stack).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastagentic::gateway::{NodeKind, shared, walk};
use fastagentic::prelude::*;
use fastagentic::reliability::{
    Backoff, BreakerPolicy, CircuitBreaker, Fallback, Override, RateLimit, ReliableGateway,
    RetryPolicy, Target, Timeout,
};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, EmbeddingRequest};
use serde_json::{Value, json};

fn openai(mock: &MockProvider) -> OpenAiGateway {
    OpenAiGateway::new("sk-test").base_url(mock.base_url())
}

fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).backoff(Backoff::fixed(Duration::from_millis(1)))
}

#[tokio::test]
async fn nested_fallbacks_report_the_whole_path_of_who_answered() {
    let mock = MockProvider::start().await;
    mock.on_model("a", MockReply::status(503));
    mock.on_model("b", MockReply::status(429));
    mock.on_model("c", MockReply::text("from c"));
    let inner = Fallback::chain([
        shared(Override::model(openai(&mock), "b")),
        shared(Override::model(openai(&mock), "c")),
    ]);
    let tree = Fallback::chain([shared(openai(&mock)), shared(inner)]);

    let reply = tree
        .chat(&CallContext::detached(), ChatRequest::new("a").user("hi"))
        .await
        .unwrap();
    assert_eq!(reply.text(), "from c");
    let facts = &reply.gateway_metadata["fastagentic"];
    assert_eq!(facts["target_index"], 1);
    assert_eq!(facts["path"], "targets[1].targets[1]");
    assert_eq!(facts["model"], "c");
    assert_eq!(
        facts["failed"],
        json!([
            {"target_index": 0, "model": "a", "error": "upstream_error", "status": 503},
            {"target_index": 1, "path": "targets[1].targets[0]", "model": "b", "error": "upstream_error", "status": 429},
        ])
    );
}

#[tokio::test]
async fn a_retry_deep_in_the_tree_reports_the_answering_nodes_attempts() {
    let mock = MockProvider::start().await;
    mock.on_model("down", MockReply::status(503));
    mock.push_for_model("flaky", MockReply::status(503));
    mock.on_model("flaky", MockReply::text("second time lucky"));
    let tree = Fallback::chain([
        shared(openai(&mock)),
        shared(fastagentic::reliability::Retry::new(
            Override::model(openai(&mock), "flaky"),
            quick(3),
        )),
    ]);
    let reply = tree
        .chat(
            &CallContext::detached(),
            ChatRequest::new("down").user("hi"),
        )
        .await
        .unwrap();
    assert_eq!(reply.gateway_metadata["fastagentic"]["attempts"], 2);
    assert_eq!(reply.gateway_metadata["fastagentic"]["target_index"], 1);
    assert_eq!(mock.requests_for_model("flaky"), 2);
}

#[tokio::test]
async fn override_sets_any_request_parameter() {
    let mock = MockProvider::start().await;
    let params = json!({"model": "gpt-4o", "temperature": 0.25, "max_tokens": 7, "seed": 42, "logit_bias": {"50256": -100}});
    let gateway = Override::new(openai(&mock), params.as_object().unwrap().clone());
    gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o-mini").user("hi").temperature(1.0),
        )
        .await
        .unwrap();
    let sent = &mock.requests()[0].body;
    assert_eq!(sent["model"], "gpt-4o");
    assert_eq!(sent["temperature"], 0.25);
    assert_eq!(sent["max_tokens"], 7);
    assert_eq!(sent["seed"], 42);
    assert_eq!(sent["logit_bias"], json!({"50256": -100}));

    let wrong = json!({"max_tokens": "many"});
    let error = Override::new(openai(&mock), wrong.as_object().unwrap().clone())
        .chat(&CallContext::detached(), ChatRequest::new("m").user("hi"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "gateway_config");
    assert!(error.to_string().contains("override_params"), "{error}");
}

#[tokio::test]
async fn embeddings_pass_over_targets_that_only_name_a_chat_model() {
    let primary = MockProvider::start().await;
    primary.set_default(MockReply::status(503));
    let other = MockProvider::start().await;
    let gateway = ReliableGateway::new(openai(&primary)).fallback([
        Target::model("gpt-4o-mini"),
        Target::gateway(openai(&other)),
    ]);
    let reply = gateway
        .embed(
            &CallContext::detached(),
            EmbeddingRequest::new("text-embedding-3-small", ["hello"]),
        )
        .await
        .unwrap();
    let facts = &reply.gateway_metadata["fastagentic"];
    assert_eq!(facts["target_index"], 2);
    assert_eq!(facts["model"], "text-embedding-3-small");
    assert_eq!(
        facts["failed"].as_array().unwrap().len(),
        1,
        "the chat-model target is passed over, not counted: {facts}"
    );
    assert_eq!(primary.request_count(), 1);
    assert_eq!(other.request_count(), 1);
}

#[tokio::test]
async fn by_default_a_fallback_moves_on_after_timeouts_and_unreadable_answers() {
    let slow = MockProvider::start().await;
    slow.set_default(MockReply::text("too late").delay(Duration::from_secs(5)));
    let garbled = MockProvider::start().await;
    garbled.set_default(MockReply::malformed());
    let healthy = MockProvider::start().await;
    healthy.set_default(MockReply::text("healthy"));
    let gateway = ReliableGateway::new(openai(&slow))
        .timeout(Duration::from_millis(200))
        .fallback([
            Target::gateway(openai(&garbled)),
            Target::gateway(openai(&healthy)),
        ]);

    let reply = gateway
        .chat(&CallContext::detached(), ChatRequest::new("m").user("hi"))
        .await
        .unwrap();
    assert_eq!(reply.text(), "healthy");
    let failed = &reply.gateway_metadata["fastagentic"]["failed"];
    assert_eq!(failed[0]["error"], "upstream_timeout");
    assert_eq!(failed[1]["error"], "upstream_malformed");

    let stream = gateway
        .chat_stream(&CallContext::detached(), ChatRequest::new("m").user("hi"))
        .await
        .unwrap();
    assert_eq!(stream.gateway_metadata["fastagentic"]["target_index"], 2);
}

#[test]
fn walking_a_tree_finds_every_piece_where_it_sits() {
    let gateway = ReliableGateway::new(DemoGateway::new())
        .retry(RetryPolicy::new(2))
        .circuit_breaker(BreakerPolicy::new(5, Duration::from_secs(60)))
        .timeout(Duration::from_secs(1))
        .fallback([Target::model("backup")])
        .rate_limit(RateLimit::new().requests_per_minute(60));
    let mut seen = Vec::new();
    walk(&gateway, &mut |path, kind| {
        seen.push(format!("{path}:{}", kind.name()));
    });
    assert_eq!(
        seen,
        [
            ":reliable",
            ":rate_limiter",
            ":fallback",
            "targets[0]:retry",
            "targets[0]:circuit_breaker",
            "targets[0]:timeout",
            "targets[0]:gateway",
            "targets[1]:override",
            "targets[1]:retry",
            "targets[1]:circuit_breaker",
            "targets[1]:timeout",
            "targets[1]:gateway",
        ]
    );
    let mut breakers = Vec::new();
    walk(&gateway, &mut |path, kind| {
        if let NodeKind::CircuitBreaker(view) = kind {
            breakers.push((path.to_string(), view.target().to_owned()));
        }
    });
    assert_eq!(
        breakers,
        [
            ("targets[0]".to_owned(), "target 0: demo".to_owned()),
            ("targets[1]".to_owned(), "target 1: demo/backup".to_owned()),
        ]
    );
}

// ---- Apps: the tree of each endpoint --------------------------------------

#[derive(Deserialize, JsonSchema)]
struct Ask {
    q: String,
}

#[derive(Serialize, JsonSchema)]
struct Said {
    a: String,
}

async fn ask(ctx: &AgentContext, model: &str, q: String) -> Result<Said, AgentError> {
    let reply = ctx.llm().chat(ChatRequest::new(model).user(q)).await?;
    Ok(Said {
        a: reply.text().to_owned(),
    })
}

/// Where the hand-built trees below send (each test sets its own before start-up).
static NESTED_URL: Mutex<String> = Mutex::new(String::new());
static BROKEN_URL: Mutex<String> = Mutex::new(String::new());
static STACKED_URL: Mutex<String> = Mutex::new(String::new());

fn url(of: &Mutex<String>) -> String {
    of.lock().unwrap().clone()
}

fn nested_tree() -> Fallback {
    let url = url(&NESTED_URL);
    Fallback::chain([
        shared(
            CircuitBreaker::new(
                OpenAiGateway::new("sk-test").base_url(&url),
                BreakerPolicy::new(1, Duration::from_secs(60)).cooldown(Duration::from_secs(60)),
            )
            .target("nested primary"),
        ),
        shared(Override::model(
            OpenAiGateway::new("sk-test").base_url(&url),
            "nested-backup",
        )),
    ])
}

/// A hand-nested tree with a breaker inside, as this endpoint's own gateway.
#[agent_endpoint(path = "/tree/nested", llm_gateway = nested_tree())]
async fn nested(ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    ask(&ctx, "nested-primary", input.q).await
}

fn broken_tree() -> Fallback {
    let url = url(&BROKEN_URL);
    Fallback::chain([
        shared(OpenAiGateway::new("sk-test").base_url(&url)),
        shared(Timeout::new(
            OpenAiGateway::new("sk-test").base_url(&url),
            Duration::ZERO,
        )),
    ])
}

/// A tree whose second target has a zero timeout.
#[agent_endpoint(path = "/tree/broken", llm_gateway = broken_tree())]
async fn broken(ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    ask(&ctx, "m", input.q).await
}

fn retrying_gateway() -> ReliableGateway {
    ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(url(&STACKED_URL))).retry(quick(2))
}

/// Retries on top of a gateway that retries already.
#[agent_endpoint(path = "/tree/stacked", llm_gateway = retrying_gateway(), retry = 3)]
async fn stacked(ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    ask(&ctx, "m", input.q).await
}

/// Through the default gateway, with its own rate limit.
#[agent_endpoint(path = "/tree/counted", rate_limit(requests_per_minute = 10))]
async fn counted(ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    ask(&ctx, "counted", input.q).await
}

/// Through the default gateway, with nothing of its own.
#[agent_endpoint(path = "/tree/plain")]
async fn plain(ctx: AgentContext, input: Ask) -> Result<Said, AgentError> {
    ask(&ctx, "plain", input.q).await
}

async fn post(app: &fastagentic::ServerHandle, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.url()))
        .json(&json!({"q": "hello"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn metrics_show_the_breakers_of_an_endpoints_own_hand_nested_tree() {
    let mock = MockProvider::start().await;
    mock.on_model("nested-primary", MockReply::status(503));
    mock.on_model("nested-backup", MockReply::text("from the backup"));
    *NESTED_URL.lock().unwrap() = mock.base_url();
    let app = App::new("Nested tree")
        .without_inventory()
        .endpoint(&NESTED_ENDPOINT)
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    assert_eq!(post(&app, "/tree/nested").await.0, 200);
    let metrics = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"fastagentic_circuit_state{target="nested primary",state="open"} 1"#),
        "{metrics}"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_start_up_error_names_the_node_path() {
    *BROKEN_URL.lock().unwrap() = "http://127.0.0.1:9/v1".to_owned();
    let error = App::new("Broken tree")
        .without_inventory()
        .endpoint(&BROKEN_ENDPOINT)
        .spawn("127.0.0.1:0")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("endpoint `broken`"), "{error}");
    assert!(error.contains("targets[1]: "), "{error}");
    assert!(error.contains("timeout"), "{error}");
}

#[tokio::test]
async fn stacked_retries_are_refused_at_start_up_naming_both() {
    *STACKED_URL.lock().unwrap() = "http://127.0.0.1:9/v1".to_owned();
    let error = App::new("Stacked")
        .without_inventory()
        .endpoint(&STACKED_ENDPOINT)
        .spawn("127.0.0.1:0")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("retry of endpoint `stacked`"), "{error}");
    assert!(error.contains("already retries"), "{error}");
    assert!(
        error.contains("`targets[0]`") || error.contains("root"),
        "{error}"
    );
}

#[tokio::test]
async fn a_call_counts_once_in_the_apps_budget_however_often_it_is_retried() {
    let mock = MockProvider::start().await;
    mock.push_for_model("counted", MockReply::status(503));
    mock.push_for_model("counted", MockReply::status(503));
    mock.on_model("counted", MockReply::text("third time"));
    mock.on_model("plain", MockReply::text("plain"));
    let app = App::new("Counted once")
        .without_inventory()
        .endpoint(&COUNTED_ENDPOINT)
        .endpoint(&PLAIN_ENDPOINT)
        .llm_gateway(openai(&mock))
        .retry(quick(3))
        .rate_limit(RateLimit::new().requests_per_minute(2).burst(2))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let metrics = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let budgets: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("fastagentic_rate_limit_per_minute{"))
        .collect();
    assert_eq!(
        budgets.len(),
        2,
        "the app's shared budget once, the endpoint's own once: {budgets:?}"
    );
    assert!(
        budgets.iter().any(|l| l.ends_with(" 2")) && budgets.iter().any(|l| l.ends_with(" 10"))
    );
    let (status, body) = post(&app, "/tree/counted").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        mock.requests_for_model("counted"),
        3,
        "three attempts for one call"
    );
    assert_eq!(
        post(&app, "/tree/plain").await.0,
        200,
        "the first call spent one unit of the app's budget of two, not three"
    );
    let (status, body) = post(&app, "/tree/plain").await;
    assert_eq!(status, 429, "the budget of two is spent: {body}");
    assert_eq!(mock.requests_for_model("plain"), 1);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_apps_retry_does_not_stack_on_a_gateway_that_retries() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::status(503));
    let app = App::new("No stacking")
        .without_inventory()
        .endpoint(&PLAIN_ENDPOINT)
        .llm_gateway(ReliableGateway::new(openai(&mock)).retry(quick(2)))
        .retry(quick(3))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    assert_eq!(post(&app, "/tree/plain").await.0, 502);
    assert_eq!(
        mock.request_count(),
        2,
        "the gateway's 2 attempts, not 3 x 2"
    );
    app.shutdown().await.unwrap();
}

/// Counts the calls of a gateway, whatever their kind, to show that every
/// piece serves all three through one method.
struct Counting {
    inner: Arc<dyn LlmGateway>,
    calls: Arc<Mutex<Vec<&'static str>>>,
}

impl fastagentic::gateway::Strategy for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: fastagentic::gateway::GatewayRequest,
    ) -> fastagentic::BoxFuture<
        'a,
        Result<fastagentic::gateway::GatewayReply, fastagentic::GatewayError>,
    > {
        self.calls.lock().unwrap().push(request.operation());
        self.inner.serve(call, request)
    }

    fn node(&self) -> fastagentic::gateway::Node<'_> {
        fastagentic::gateway::Node::wrapping(NodeKind::Strategy("counting"), self.inner.as_ref())
    }
}

#[tokio::test]
async fn a_piece_written_once_serves_chat_streams_and_embeddings() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let gateway = fastagentic::reliability::Retry::new(
        Counting {
            inner: shared(DemoGateway::new()),
            calls: calls.clone(),
        },
        RetryPolicy::new(2),
    );
    let call = CallContext::detached();
    gateway
        .chat(&call, ChatRequest::new("m").user("hi"))
        .await
        .unwrap();
    let stream = gateway
        .chat_stream(&call, ChatRequest::new("m").user("hi"))
        .await
        .unwrap();
    assert_eq!(stream.gateway_metadata["fastagentic"]["attempts"], 1);
    gateway
        .embed(&call, EmbeddingRequest::new("e", ["hi"]))
        .await
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), ["chat", "stream", "embed"]);
}
