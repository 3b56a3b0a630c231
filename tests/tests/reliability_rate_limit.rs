//! Rate limits under concurrent load, counted at the `MockProvider`:
//! fail-fast lets exactly the budget through, waiting spreads calls over
//! their slots (bounded), tokens are counted from real usage, and an app
//! answers 429 with `Retry-After`, per gateway and per endpoint.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fastagentic::prelude::*;
use fastagentic::reliability::{RateLimit, RateLimiter, ReliableGateway};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, GatewayError};
use futures_util::StreamExt;
use serde_json::{Value, json};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn openai(mock: &MockProvider) -> OpenAiGateway {
    OpenAiGateway::new("sk-test").base_url(mock.base_url())
}

fn ask() -> ChatRequest {
    ChatRequest::new("gpt-4o-mini").user("hi")
}

async fn concurrently<G: LlmGateway>(
    gateway: Arc<G>,
    calls: usize,
) -> Vec<Result<ChatResponse, GatewayError>> {
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let gateway = gateway.clone();
            tokio::spawn(async move { gateway.chat(&CallContext::detached(), ask()).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_lets_exactly_the_budget_through_under_load() {
    let mock = MockProvider::start().await;
    let gateway = Arc::new(
        ReliableGateway::new(openai(&mock)).rate_limit(RateLimit::new().requests_per_minute(10)),
    );
    let results = concurrently(gateway, 50).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 10, "a minute's worth goes at once, no more");
    assert_eq!(
        mock.request_count(),
        10,
        "the refused calls never reached the provider"
    );
    for result in &results {
        if let Err(error) = result {
            let GatewayError::RateLimited { limit, retry_after } = error else {
                panic!("refused with a rate-limit error, not {error}");
            };
            assert_eq!(limit, "10 requests per minute");
            assert!(
                *retry_after > Duration::ZERO && *retry_after <= Duration::from_secs(6),
                "the next slot frees within 6 s (60 s / 10): {retry_after:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_spreads_calls_over_their_slots() {
    // 600 per minute: a slot every 100 ms, 2 at once.
    let mock = MockProvider::start().await;
    let gateway = Arc::new(RateLimiter::new(
        openai(&mock),
        RateLimit::new()
            .requests_per_minute(600)
            .burst(2)
            .wait(Duration::from_secs(2)),
    ));
    let started = Instant::now();
    let results = concurrently(gateway, 6).await;
    assert!(results.iter().all(Result::is_ok), "every call got a slot");
    assert_eq!(mock.request_count(), 6);
    let mut arrivals: Vec<Duration> = mock
        .requests()
        .iter()
        .map(|r| r.received_at.duration_since(started))
        .collect();
    arrivals.sort();
    // Slots at 0, 0, 100, 200, 300, 400 ms.
    assert!(arrivals[5] - arrivals[0] >= ms(350), "{arrivals:?}");
    assert!(
        arrivals[2] >= ms(80),
        "the third call waited for its slot: {arrivals:?}"
    );
    assert!(started.elapsed() < ms(10_000));
}

#[tokio::test]
async fn waiting_is_bounded() {
    // One per minute, no burst: the second call would wait ~60 s, more
    // than the 3 s allowed, so it is refused at once. Had it waited, it
    // would have taken at least the 3 s.
    let mock = MockProvider::start().await;
    let gateway = RateLimiter::new(
        openai(&mock),
        RateLimit::new()
            .requests_per_minute(1)
            .burst(1)
            .wait(ms(3_000)),
    );
    gateway.chat(&CallContext::detached(), ask()).await.unwrap();
    let started = Instant::now();
    let error = gateway
        .chat(&CallContext::detached(), ask())
        .await
        .expect_err("the wait would be too long");
    assert!(
        started.elapsed() < ms(2_500),
        "refused at once, not after waiting: {:?}",
        started.elapsed()
    );
    assert!(matches!(error, GatewayError::RateLimited { .. }), "{error}");
    assert!(error.retry_after().unwrap() > ms(50_000));
    assert_eq!(
        mock.request_count(),
        1,
        "the refused call never reached the provider"
    );

    // The request's deadline bounds the wait too.
    let gateway = RateLimiter::new(
        openai(&mock),
        RateLimit::new()
            .requests_per_minute(60)
            .burst(1)
            .wait(Duration::from_secs(10)),
    );
    gateway.chat(&CallContext::detached(), ask()).await.unwrap();
    let call = CallContext::detached().with_deadline(Some(Instant::now() + ms(200)));
    let error = gateway
        .chat(&call, ask())
        .await
        .expect_err("past the deadline");
    assert!(matches!(error, GatewayError::RateLimited { .. }), "{error}");
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn tokens_are_counted_from_real_usage() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("ok").usage(30, 30));
    let gateway = RateLimiter::new(openai(&mock), RateLimit::new().tokens_per_minute(100));
    gateway.chat(&CallContext::detached(), ask()).await.unwrap();
    gateway
        .chat(&CallContext::detached(), ask())
        .await
        .expect("40 of the 100 tokens were left when it started");
    let error = gateway
        .chat(&CallContext::detached(), ask())
        .await
        .expect_err("120 tokens used: the budget is spent");
    let GatewayError::RateLimited { limit, retry_after } = &error else {
        panic!("{error}");
    };
    assert_eq!(limit, "100 tokens per minute");
    // 20 tokens over a budget of 100 a minute: paid back in about 12 s.
    assert!(*retry_after > Duration::from_secs(11) && *retry_after <= Duration::from_secs(12));
    assert_eq!(mock.request_count(), 2);

    // A stream's usage (its last chunk) is counted when it passes.
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::stream(["a ", "b"]).usage(50, 60));
    let gateway = RateLimiter::new(openai(&mock), RateLimit::new().tokens_per_minute(100));
    let mut stream = gateway
        .chat_stream(&CallContext::detached(), ask())
        .await
        .unwrap();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }
    let error = gateway
        .chat_stream(&CallContext::detached(), ask())
        .await
        .expect_err("110 tokens streamed: the budget is spent");
    assert!(matches!(error, GatewayError::RateLimited { .. }), "{error}");
    assert_eq!(mock.request_count(), 1);
}

// ---- through an app: 429 with Retry-After, per gateway and per endpoint ----

static OWN_URL: Mutex<String> = Mutex::new(String::new());

/// One call a minute, for `/own` alone.
fn own_gateway() -> ReliableGateway {
    let url = OWN_URL.lock().unwrap().clone();
    ReliableGateway::new(OpenAiGateway::new("sk-own").base_url(url))
        .rate_limit(RateLimit::new().requests_per_minute(1))
}

#[derive(Deserialize, JsonSchema)]
struct Ask {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Reply {
    text: String,
}

/// Through the app's gateway.
#[agent_endpoint(path = "/shared")]
async fn shared(ctx: AgentContext, input: Ask) -> Result<Reply, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(input.text))
        .await?;
    Ok(Reply {
        text: reply.text().to_owned(),
    })
}

/// Through its own rate-limited gateway.
#[agent_endpoint(path = "/own", llm_gateway = own_gateway())]
async fn own(ctx: AgentContext, input: Ask) -> Result<Reply, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(input.text))
        .await?;
    Ok(Reply {
        text: reply.text().to_owned(),
    })
}

#[tokio::test]
async fn an_app_answers_429_with_retry_after_per_gateway_and_per_endpoint() {
    let mock = MockProvider::start().await;
    *OWN_URL.lock().unwrap() = mock.base_url();
    let app = App::new("Rate limit test")
        .llm_gateway(
            ReliableGateway::new(openai(&mock)).rate_limit(RateLimit::new().requests_per_minute(3)),
        )
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    let client = reqwest::Client::new();
    let post = |path: &str| {
        client
            .post(format!("{}{path}", app.url()))
            .json(&json!({"text": "hi"}))
            .send()
    };

    assert_eq!(post("/own").await.unwrap().status(), 200);
    let refused = post("/own").await.unwrap();
    assert_eq!(refused.status(), 429, "the endpoint's own budget is spent");
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limited");
    assert_eq!(body["error"]["details"]["limit"], "1 request per minute");

    // The app's gateway has its own budget, untouched by /own.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(post("/shared").await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(
        mock.request_count(),
        1 + 3,
        "refused calls never reached the provider"
    );
    app.shutdown().await.unwrap();
}
