//! `LangfuseHook`: traces, generations and events reach a local stand-in of
//! Langfuse's ingestion API in batches that match Langfuse's published
//! schema, with basic auth, off the request path, and flushed on shutdown.

mod observability_support;

use std::time::{Duration, Instant, SystemTime};

use fastagentic::observability::LangfuseHook;
use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, ReliableGateway, RetryPolicy};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{ModelPrice, PriceTable};
use fastagentic_tests::captured_log::{CapturedLog, capture_log};
use observability_support::langfuse_server::{LangfuseServer, SCHEMA, Scripted};
use observability_support::openapi::Spec;
use serde_json::{Value, json};

#[derive(Deserialize, JsonSchema)]
struct Ask {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    text: String,
}

/// Asks gpt-4o-mini.
#[agent_endpoint(path = "/langfuse/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(input.text))
        .await?;
    Ok(Answer {
        text: reply.text().to_owned(),
    })
}

/// `base64("pk-lf-test:sk-lf-test")`.
const BASIC_AUTH: &str = "Basic cGstbGYtdGVzdDpzay1sZi10ZXN0";

fn hook(server: &LangfuseServer) -> LangfuseHook {
    LangfuseHook::new("pk-lf-test", "sk-lf-test").host(server.url())
}

async fn start_app(mock: &MockProvider, hook: LangfuseHook) -> fastagentic::ServerHandle {
    let gateway = ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .retry(RetryPolicy::new(2).backoff(Backoff::fixed(Duration::from_millis(1))));
    App::new("Langfuse test")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .llm_gateway(gateway)
        .price_table(PriceTable::empty().set("gpt-4o-mini", ModelPrice::per_million(1.0, 2.0)))
        .hooks([hook])
        .spawn("127.0.0.1:0")
        .await
        .unwrap()
}

/// Posts `text` to the endpoint; returns the run id and how long it took.
async fn ask_app(app: &fastagentic::ServerHandle, text: &str) -> (String, Duration) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{}/langfuse/ask", app.url()))
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let run_id = response.headers()["x-fastagentic-run-id"]
        .to_str()
        .unwrap()
        .to_owned();
    response.bytes().await.unwrap();
    (run_id, started.elapsed())
}

fn of_type<'a>(events: &'a [Value], kind: &str, trace: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .filter(|e| {
            e["body"]["traceId"] == trace || (kind == "trace-create" && e["body"]["id"] == trace)
        })
        .collect()
}

fn time(value: &Value) -> SystemTime {
    humantime::parse_rfc3339(value.as_str().expect("a timestamp")).expect("RFC 3339")
}

#[tokio::test]
async fn traces_generations_and_retries_arrive_in_one_schema_valid_batch() {
    let server = LangfuseServer::start().await;
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(503));
    mock.set_default(
        MockReply::text("hello")
            .usage(12, 8)
            .delay(Duration::from_millis(120)),
    );
    // A long interval and a large batch: only the flush sends.
    let hook = hook(&server)
        .batch_size(100)
        .flush_interval(Duration::from_secs(60));
    let app = start_app(&mock, hook.clone()).await;

    let (retried, _) = ask_app(&app, "first").await;
    let (plain, _) = ask_app(&app, "second").await;
    assert!(
        server.received().is_empty(),
        "nothing is sent before the flush"
    );
    hook.flush().await;

    let received = server.received();
    assert_eq!(received.len(), 1, "one batch for all events");
    let batch = &received[0];
    assert_eq!(batch.authorization.as_deref(), Some(BASIC_AUTH));
    assert!(
        batch.errors.is_empty(),
        "schema mismatches: {:#?}",
        batch.errors
    );
    assert_eq!(batch.body["metadata"]["sdk_name"], "fastagentic-rs");

    let events = server.events();
    assert_eq!(
        events.len(),
        7,
        "per request two trace-creates and a generation; one retry"
    );
    for (run, text) in [(&retried, "first"), (&plain, "second")] {
        let traces = of_type(&events, "trace-create", run);
        assert_eq!(
            traces.len(),
            2,
            "created on the request, completed on the response"
        );
        assert_eq!(traces[0]["body"]["name"], "ask");
        assert_eq!(traces[0]["body"]["input"], json!({"text": text}));
        assert_eq!(traces[1]["body"]["output"], json!({"text": "hello"}));

        let generations = of_type(&events, "generation-create", run);
        assert_eq!(generations.len(), 1);
        let generation = &generations[0]["body"];
        assert_eq!(generation["model"], "gpt-4o-mini");
        assert_eq!(
            generation["usageDetails"],
            json!({"input": 12, "output": 8, "total": 20})
        );
        let cost = generation["costDetails"]["total"].as_f64().unwrap();
        assert!(
            (cost - 0.000028).abs() < 1e-12,
            "12 × $1 + 8 × $2 per million = {cost}"
        );
        assert_eq!(generation["input"][0]["role"], "user");
        assert_eq!(
            generation["output"],
            json!({"role": "assistant", "content": "hello"})
        );
        let took = time(&generation["endTime"])
            .duration_since(time(&generation["startTime"]))
            .unwrap();
        assert!(
            took >= Duration::from_millis(120),
            "the call's own duration: {took:?}"
        );
    }
    let retries = of_type(&events, "event-create", &retried);
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0]["body"]["name"], "retry");
    assert_eq!(retries[0]["body"]["level"], "WARNING");
    assert_eq!(retries[0]["body"]["metadata"]["attempt"], 1);
    assert_eq!(retries[0]["body"]["metadata"]["status"], 502);
    assert!(of_type(&events, "event-create", &plain).is_empty());

    let ids: std::collections::HashSet<_> = events.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(
        ids.len(),
        events.len(),
        "event ids are unique (Langfuse deduplicates by them)"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_full_batch_is_sent_without_a_flush() {
    let server = LangfuseServer::start().await;
    let mock = MockProvider::start().await;
    let hook = hook(&server)
        .batch_size(3)
        .flush_interval(Duration::from_secs(60));
    let app = start_app(&mock, hook.clone()).await;
    ask_app(&app, "one").await; // trace, generation, trace: three events
    for _ in 0..100 {
        if !server.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body["batch"].as_array().unwrap().len(), 3);
    assert!(received[0].errors.is_empty(), "{:#?}", received[0].errors);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_slow_langfuse_never_slows_a_request() {
    let server = LangfuseServer::start_with_delay(Duration::from_secs(2)).await;
    let mock = MockProvider::start().await;
    // Every event is posted at once, and each post takes two seconds.
    let app = start_app(&mock, hook(&server).batch_size(1)).await;
    for text in ["one", "two", "three"] {
        let (_, took) = ask_app(&app, text).await;
        assert!(
            took < Duration::from_millis(1500),
            "a request took {took:?}"
        );
    }
}

#[tokio::test]
async fn shutdown_sends_what_is_queued() {
    let server = LangfuseServer::start().await;
    let mock = MockProvider::start().await;
    let app = start_app(&mock, hook(&server).flush_interval(Duration::from_secs(60))).await;
    let (run, _) = ask_app(&app, "bye").await;
    assert!(server.received().is_empty());
    app.shutdown().await.unwrap();
    let events = server.events();
    assert_eq!(of_type(&events, "generation-create", &run).len(), 1);
    assert!(server.received().iter().all(|r| r.errors.is_empty()));
}

#[test]
fn the_schema_check_catches_mistakes() {
    let spec = Spec::new(SCHEMA);
    let request = spec.schema("requestBody");
    let good = json!({"batch": [{
        "id": "e1", "timestamp": "2026-01-01T00:00:00.000Z", "type": "generation-create",
        "body": {"id": "g1", "traceId": "t1", "startTime": "2026-01-01T00:00:00.000Z",
                 "usageDetails": {"input": 1, "output": 2, "total": 3}, "level": "DEFAULT"}
    }]});
    assert_eq!(spec.check(request, &good), Vec::<String>::new());
    let mistakes: [(&str, &str, Value); 6] = [
        (
            "/batch/0/type",
            "unknown event type",
            json!("generation-created"),
        ),
        ("/batch/0/body/traceID", "misspelt field", json!("t1")),
        (
            "/batch/0/body/usageDetails/input",
            "string for an integer",
            json!("1"),
        ),
        (
            "/batch/0/body/level",
            "level outside the enum",
            json!("FATAL"),
        ),
        (
            "/batch/0/body/startTime",
            "not a date-time",
            json!("yesterday"),
        ),
        (
            "/batch/0/timestamp",
            "null for a required string",
            Value::Null,
        ),
    ];
    for (pointer, mistake, value) in mistakes {
        let mut bad = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        bad.pointer_mut(parent).unwrap()[key] = value;
        assert!(!spec.check(request, &bad).is_empty(), "missed: {mistake}");
    }
    let mut missing = good.clone();
    missing["batch"][0]
        .as_object_mut()
        .unwrap()
        .remove("timestamp");
    assert!(
        !spec.check(request, &missing).is_empty(),
        "missed: a missing envelope timestamp"
    );
}

/// The process's log (the hook logs from its background task, on any
/// thread); each test below looks for a line only its own scenario writes.
fn logs() -> CapturedLog {
    capture_log(tracing::Level::INFO)
}

#[tokio::test]
async fn a_failed_batch_is_tried_three_times_and_then_reported_lost() {
    let log = logs();
    let server = LangfuseServer::start().await;
    let mock = MockProvider::start().await;
    let hook = hook(&server).flush_interval(Duration::from_secs(60));
    let app = start_app(&mock, hook.clone()).await;

    // Two failures, then the third attempt is taken.
    server.script([Scripted::Status(503), Scripted::Status(502)]);
    let (run, _) = ask_app(&app, "third time lucky").await;
    hook.flush().await;
    let statuses: Vec<u16> = server.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 502, 207]);
    assert_eq!(
        of_type(&server.events(), "generation-create", &run).len(),
        1,
        "the batch arrived once"
    );

    // Three failures: the batch is given up, and the log says so.
    server.script([
        Scripted::Status(500),
        Scripted::Status(503),
        Scripted::Status(500),
    ]);
    ask_app(&app, "lost").await;
    hook.flush().await;
    let statuses: Vec<u16> = server.received().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [503, 502, 207, 500, 503, 500],
        "three tries, no more"
    );
    assert!(
        log.text().contains("a batch of Langfuse events was lost"),
        "{}",
        log.text()
    );

    // A 4xx other than 429 is not tried again.
    server.script([Scripted::Status(400)]);
    ask_app(&app, "refused").await;
    hook.flush().await;
    assert_eq!(server.received().len(), 7);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn events_langfuse_rejects_in_its_207_answer_are_logged() {
    let log = logs();
    let server = LangfuseServer::start().await;
    let mock = MockProvider::start().await;
    let hook = hook(&server).flush_interval(Duration::from_secs(60));
    let app = start_app(&mock, hook.clone()).await;
    server.script([Scripted::RejectFirst]);
    ask_app(&app, "partly rejected").await;
    hook.flush().await;
    assert_eq!(
        server.received().len(),
        1,
        "a 207 is an answer: not retried"
    );
    let text = log.text();
    let line = text
        .lines()
        .find(|line| line.contains("Langfuse rejected events of a batch"))
        .unwrap_or_else(|| panic!("no line in {text}"));
    assert!(line.contains("rejected=1"), "{line}");
    assert!(line.contains("scripted rejection"), "{line}");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_full_queue_drops_events_with_a_warning_and_never_blocks_a_request() {
    let log = logs();
    // Langfuse takes a second per batch; the queue holds two events.
    let server = LangfuseServer::start_with_delay(Duration::from_secs(1)).await;
    let mock = MockProvider::start().await;
    let hook = hook(&server).batch_size(1).max_queue(2);
    let app = start_app(&mock, hook.clone()).await;
    for i in 0..10 {
        let (_, took) = ask_app(&app, &format!("burst {i}")).await;
        assert!(
            took < Duration::from_millis(900),
            "a request waited: {took:?}"
        );
    }
    assert!(
        log.text()
            .contains("the Langfuse queue is full: events are dropped"),
        "{}",
        log.text()
    );
    app.shutdown().await.unwrap();
    // Three events per request were made; far fewer could wait.
    assert!(server.events().len() < 30, "{}", server.events().len());
}

#[tokio::test]
async fn batches_stay_under_langfuses_size_limit() {
    let server = LangfuseServer::start().await;
    let mock = MockProvider::start().await;
    let hook = hook(&server).flush_interval(Duration::from_secs(60));
    let app = start_app(&mock, hook.clone()).await;
    // Six prompts of 700 KB: their events come to several MB.
    let big = "x".repeat(700_000);
    let mut runs = Vec::new();
    for _ in 0..6 {
        runs.push(ask_app(&app, &big).await.0);
    }
    hook.flush().await;
    let received = server.received();
    assert!(received.len() >= 2, "split into {} posts", received.len());
    for post in &received {
        let bytes = post.body.to_string().len();
        assert!(bytes < 3_500_000, "a post of {bytes} bytes");
    }
    let events = server.events();
    for run in &runs {
        assert_eq!(of_type(&events, "generation-create", run).len(), 1, "{run}");
    }
    app.shutdown().await.unwrap();
}
