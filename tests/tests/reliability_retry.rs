//! Retries against `MockProvider` faults: `Retry-After` is waited out,
//! what the user did not allow is never retried, every attempt is counted
//! exactly, the total deadline holds, and `on_retry` hooks hear each retry.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, ErrorClass, ErrorFilter, ReliableGateway, RetryPolicy};
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

/// Retries with a 1 ms backoff, so any longer wait comes from `Retry-After`.
fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).backoff(Backoff::fixed(ms(1)))
}

fn ask(model: &str) -> ChatRequest {
    ChatRequest::new(model).user("hi")
}

fn status_of(error: &GatewayError) -> Option<u16> {
    error.status()
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(429).retry_after(ms(300)));
    mock.push(MockReply::text("after the wait"));
    let gateway = ReliableGateway::new(openai(&mock)).retry(quick(3));

    let started = Instant::now();
    let reply = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect("the retry succeeds");
    let elapsed = started.elapsed();

    assert_eq!(reply.text(), "after the wait");
    assert_eq!(mock.request_count(), 2, "one 429, one retry");
    let requests = mock.requests();
    let gap = requests[1].received_at - requests[0].received_at;
    assert!(
        gap >= ms(300),
        "the retry waited for Retry-After (300 ms), not the 1 ms backoff: {gap:?}"
    );
    assert!(elapsed < ms(3_000), "{elapsed:?}");
    assert_eq!(reply.gateway_metadata["fastagentic"]["attempts"], 2);
}

#[tokio::test]
async fn errors_the_user_did_not_allow_are_not_retried() {
    for status in [400, 401, 403, 404, 422] {
        let mock = MockProvider::start().await;
        mock.push(MockReply::status(status));
        mock.push(MockReply::text("never reached"));
        let gateway = ReliableGateway::new(openai(&mock)).retry(quick(5));
        let error = gateway
            .chat(&CallContext::detached(), ask("gpt-4o-mini"))
            .await
            .expect_err("the provider's refusal is returned");
        assert_eq!(status_of(&error), Some(status));
        assert_eq!(mock.request_count(), 1, "{status} is not retried");
    }

    // Named by status code, a 409 is retried.
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(409));
    mock.push(MockReply::text("resolved"));
    let gateway = ReliableGateway::new(openai(&mock)).retry(quick(3).retry_on_status([409]));
    let reply = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect("409 is retried when named");
    assert_eq!(reply.text(), "resolved");
    assert_eq!(mock.request_count(), 2);

    // With a filter that leaves server errors out, a 503 is not retried.
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::status(503));
    let gateway = ReliableGateway::new(openai(&mock))
        .retry(quick(3).retry_on(ErrorFilter::from([ErrorClass::RateLimit])));
    let error = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect_err("503 fails");
    assert_eq!(status_of(&error), Some(503));
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn attempts_are_counted_exactly() {
    // Always 503: exactly max_attempts requests, then the provider's error.
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::status(503));
    let gateway = ReliableGateway::new(openai(&mock)).retry(quick(3));
    let error = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect_err("every attempt fails");
    assert_eq!(status_of(&error), Some(503));
    assert_eq!(mock.request_count(), 3);

    // Two 503s then an answer: exactly three requests.
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(503));
    mock.push(MockReply::status(502));
    mock.push(MockReply::text("third time"));
    mock.push(MockReply::text("must stay unused"));
    let gateway = ReliableGateway::new(openai(&mock)).retry(quick(3));
    let reply = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect("the third attempt answers");
    assert_eq!(reply.text(), "third time");
    assert_eq!(mock.request_count(), 3);
    assert_eq!(reply.gateway_metadata["fastagentic"]["attempts"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_is_lost_or_duplicated_under_concurrency() {
    let mock = MockProvider::start().await;
    let calls = 20;
    for i in 0..calls {
        let model = format!("model-{i}");
        mock.push_for_model(&model, MockReply::status(503));
        mock.push_for_model(&model, MockReply::status(500));
        mock.push_for_model(&model, MockReply::text(format!("answer {i}")));
    }
    let gateway = std::sync::Arc::new(ReliableGateway::new(openai(&mock)).retry(quick(3)));
    let tasks: Vec<_> = (0..calls)
        .map(|i| {
            let gateway = gateway.clone();
            tokio::spawn(async move {
                gateway
                    .chat(&CallContext::detached(), ask(&format!("model-{i}")))
                    .await
            })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let reply = task
            .await
            .unwrap()
            .expect("every call succeeds on its third attempt");
        assert_eq!(
            reply.text(),
            format!("answer {i}"),
            "each call got its own answer"
        );
        assert_eq!(reply.gateway_metadata["fastagentic"]["attempts"], 3);
    }
    for i in 0..calls {
        assert_eq!(mock.requests_for_model(&format!("model-{i}")), 3);
    }
    assert_eq!(mock.request_count(), calls * 3);

    // With two attempts allowed, the same script makes exactly two requests per call.
    let mock = MockProvider::start().await;
    for i in 0..calls {
        let model = format!("model-{i}");
        mock.push_for_model(&model, MockReply::status(503));
        mock.push_for_model(&model, MockReply::status(500));
        mock.push_for_model(&model, MockReply::text("never reached"));
    }
    let gateway = std::sync::Arc::new(ReliableGateway::new(openai(&mock)).retry(quick(2)));
    let tasks: Vec<_> = (0..calls)
        .map(|i| {
            let gateway = gateway.clone();
            tokio::spawn(async move {
                gateway
                    .chat(&CallContext::detached(), ask(&format!("model-{i}")))
                    .await
            })
        })
        .collect();
    for task in tasks {
        let error = task.await.unwrap().expect_err("two failures, no third try");
        assert_eq!(status_of(&error), Some(500));
    }
    assert_eq!(mock.request_count(), calls * 2);
}

#[tokio::test]
async fn the_total_deadline_is_respected() {
    // Attempts at about 0, 300 and 600 ms; after the third, a 300 ms wait
    // would end past the 1 s deadline, so none is begun: the error is the
    // provider's last 503, not a cut attempt, and far fewer than 20 calls.
    // An attempt is cut only if a 503 from loopback took over 400 ms.
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::status(503));
    let gateway = ReliableGateway::new(openai(&mock)).retry(
        RetryPolicy::new(20)
            .backoff(Backoff::fixed(ms(300)))
            .total_timeout(ms(1_000)),
    );
    let started = Instant::now();
    let error = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect_err("the deadline ends the retries");
    let elapsed = started.elapsed();
    assert_eq!(status_of(&error), Some(503), "{error}");
    let count = mock.request_count();
    assert!(
        (2..=4).contains(&count),
        "attempts at about 0, 300, 600 ms, not 20: {count}"
    );
    assert!(
        elapsed < ms(5_000),
        "20 attempts would take 5.7 s: {elapsed:?}"
    );

    // A wait that would end past the deadline is never begun: one attempt,
    // then the 503 at once rather than after a 10 s wait.
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::status(503));
    let gateway = ReliableGateway::new(openai(&mock)).retry(
        RetryPolicy::new(20)
            .backoff(Backoff::fixed(ms(10_000)))
            .total_timeout(ms(5_000)),
    );
    let started = Instant::now();
    let error = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect_err("the deadline ends the retries");
    assert_eq!(status_of(&error), Some(503), "{error}");
    assert_eq!(mock.request_count(), 1);
    assert!(started.elapsed() < ms(5_000), "{:?}", started.elapsed());

    // The request's own deadline (CallContext) cuts a slow attempt: the
    // mock would answer "too late" after 10 s.
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("too late").delay(ms(10_000)));
    let gateway = ReliableGateway::new(openai(&mock)).retry(quick(5));
    let call = CallContext::detached().with_deadline(Some(Instant::now() + ms(250)));
    let started = Instant::now();
    let error = gateway
        .chat(&call, ask("gpt-4o-mini"))
        .await
        .expect_err("the deadline passes");
    assert_eq!(error.kind(), "upstream_timeout");
    assert!(started.elapsed() < ms(8_000), "{:?}", started.elapsed());
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn timeouts_are_retried_only_when_allowed() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("slow").delay(ms(10_000)));
    let gateway = ReliableGateway::new(openai(&mock))
        .retry(quick(3))
        .timeout(ms(60));
    let error = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect_err("too slow");
    assert_eq!(error.kind(), "upstream_timeout");
    assert_eq!(
        mock.request_count(),
        1,
        "the provider may still be working: not retried by default"
    );

    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("slow").delay(ms(10_000)));
    let gateway = ReliableGateway::new(openai(&mock))
        .retry(quick(3).retry_on(ErrorFilter::transient().with(ErrorClass::Timeout)))
        .timeout(ms(60));
    let started = Instant::now();
    let error = gateway
        .chat(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect_err("too slow every time");
    assert_eq!(error.kind(), "upstream_timeout");
    assert_eq!(
        mock.request_count(),
        3,
        "timeouts named: every attempt made"
    );
    assert!(
        started.elapsed() < ms(8_000),
        "each attempt was cut at 60 ms, not answered after 10 s: {:?}",
        started.elapsed()
    );
}

// ---- on_retry hooks, through an app ----

/// What `on_retry` saw: (run id, attempt, retry_count, error type, error message, next delay, model).
type Seen = (
    String,
    u32,
    u32,
    String,
    String,
    Option<Duration>,
    Option<String>,
);
static RETRIES: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

#[hook("on_retry")]
async fn record_retry(ctx: &HookContext) {
    let error = ctx.error.clone().expect("on_retry carries the error");
    RETRIES.lock().unwrap().push((
        ctx.run_id.to_string(),
        ctx.attempt,
        ctx.retry_count,
        error.kind,
        error.message,
        ctx.next_delay,
        ctx.model.clone(),
    ));
}

#[derive(Deserialize, JsonSchema)]
struct Ask {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Reply {
    text: String,
    reliability: Value,
}

#[agent_endpoint(path = "/ask")]
async fn ask_endpoint(ctx: AgentContext, input: Ask) -> Result<Reply, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(input.text))
        .await?;
    Ok(Reply {
        text: reply.text().to_owned(),
        reliability: reply.gateway_metadata["fastagentic"].clone(),
    })
}

#[tokio::test]
async fn on_retry_hooks_see_attempt_error_and_delay() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(503).message("overloaded"));
    mock.push(MockReply::status(429).retry_after(ms(80)));
    mock.push(MockReply::text("finally"));
    let app = App::new("Retry hooks")
        .llm_gateway(
            ReliableGateway::new(openai(&mock))
                .retry(RetryPolicy::new(3).backoff(Backoff::fixed(ms(20)))),
        )
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");

    let response = reqwest::Client::new()
        .post(format!("{}/ask", app.url()))
        .json(&json!({"text": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let run_id = response.headers()["x-fastagentic-run-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["text"], "finally");
    assert_eq!(body["reliability"]["attempts"], 3);
    assert_eq!(mock.request_count(), 3);

    let seen: Vec<Seen> = RETRIES
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.0 == run_id)
        .cloned()
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (_, attempt, retry_count, kind, message, delay, model) = &seen[0];
    assert_eq!((*attempt, *retry_count), (1, 1));
    assert_eq!(kind, "upstream_error");
    assert!(
        message.contains("503") && message.contains("overloaded"),
        "{message}"
    );
    assert_eq!(*delay, Some(ms(20)), "the backoff");
    assert_eq!(model.as_deref(), Some("gpt-4o-mini"));
    let (_, attempt, _, _, message, delay, _) = &seen[1];
    assert_eq!(*attempt, 2);
    assert!(message.contains("429"), "{message}");
    assert_eq!(*delay, Some(ms(80)), "the provider's Retry-After");

    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn misconfigured_policies_stop_the_app_at_start_up() {
    let mock = MockProvider::start().await;
    let result = App::new("Bad retry")
        .without_inventory()
        .llm_gateway(ReliableGateway::new(openai(&mock)).retry(RetryPolicy::new(0)))
        .spawn("127.0.0.1:0")
        .await;
    let message = result.expect_err("0 attempts is refused").to_string();
    assert!(message.contains("max_attempts"), "{message}");
    assert!(message.contains("write 1 for no retries"), "{message}");

    let result = App::new("Bad backoff")
        .without_inventory()
        .llm_gateway(
            ReliableGateway::new(openai(&mock))
                .retry(RetryPolicy::new(3).backoff(Backoff::exponential(ms(500), ms(100)))),
        )
        .spawn("127.0.0.1:0")
        .await;
    let message = result
        .expect_err("max below initial is refused")
        .to_string();
    assert!(message.contains("below `initial_delay`"), "{message}");
}

/// A stream that fails before its first chunk is a failed call: retried,
/// and the answer is the second attempt's, whole. One that fails after its
/// first chunk is not retried (the client has seen tokens): it ends with an
/// error item.
#[tokio::test]
async fn a_stream_that_breaks_before_its_first_chunk_is_retried() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(503));
    mock.push(MockReply::stream(["never", "sent"]).drop_after(0));
    mock.push(MockReply::stream(["third ", "time"]));
    let gateway = ReliableGateway::new(openai(&mock)).retry(quick(3));

    let mut stream = gateway
        .chat_stream(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect("the third attempt streams");
    assert_eq!(stream.gateway_metadata["fastagentic"]["attempts"], 3);
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(chunk.expect("no error after the retry").delta_text());
    }
    assert_eq!(text, "third time");
    assert_eq!(mock.request_count(), 3);

    let mock = MockProvider::start().await;
    // The interval lets the first chunk leave before the cut.
    mock.push(
        MockReply::stream(["one ", "two ", "three"])
            .chunk_interval(ms(20))
            .drop_after(1),
    );
    mock.push(MockReply::stream(["not ", "asked"]));
    let gateway = ReliableGateway::new(openai(&mock)).retry(quick(3));
    let mut stream = gateway
        .chat_stream(&CallContext::detached(), ask("gpt-4o-mini"))
        .await
        .expect("the stream opens");
    let first = stream
        .next()
        .await
        .expect("a chunk")
        .expect("the first chunk");
    assert_eq!(first.delta_text(), "one ");
    let mut error = None;
    while let Some(item) = stream.next().await {
        if let Err(e) = item {
            error = Some(e.kind().to_owned());
        }
    }
    assert_eq!(error.as_deref(), Some("stream_interrupted"));
    assert_eq!(mock.request_count(), 1, "tokens were seen: not retried");
}
