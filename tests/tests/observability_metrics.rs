//! `GET /metrics`: Prometheus text that a Prometheus parser reads, with
//! requests, latency, LLM calls, tokens, cost, retries, fallbacks,
//! rate-limit rejections and circuit states per endpoint and model, and the
//! semantic cache's hits, misses and guard refusals (with the real model).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::reliability::{
    Backoff, BreakerPolicy, RateLimit, ReliableGateway, RetryPolicy, Target,
};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{ChatStream, ModelPrice, PriceTable};
use prometheus_parse::{LineInfo, Sample, Scrape, Value};
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
struct Ask {
    model: String,
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    text: String,
}

/// Asks the model named in the input.
#[agent_endpoint(path = "/observability/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new(input.model).user(input.text))
        .await?;
    Ok(Answer {
        text: reply.text().to_owned(),
    })
}

/// Streams the answer of the model named in the input.
#[agent_endpoint(path = "/observability/stream", stream = true)]
async fn stream(ctx: AgentContext, input: Ask) -> Result<ChatStream, AgentError> {
    Ok(ctx
        .llm()
        .chat_stream(ChatRequest::new(input.model).user(input.text))
        .await?)
}

/// Where the rate-limited endpoint's gateway sends (set before start-up).
static LIMITED_UPSTREAM: OnceLock<String> = OnceLock::new();

fn limited_gateway() -> ReliableGateway {
    let url = LIMITED_UPSTREAM.get().cloned().unwrap_or_default();
    ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(url))
        .rate_limit(RateLimit::new().requests_per_minute(1).burst(1))
}

/// Asks through a gateway allowing one call a minute.
#[agent_endpoint(path = "/observability/limited", llm_gateway = limited_gateway())]
async fn limited(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new(input.model).user(input.text))
        .await?;
    Ok(Answer {
        text: reply.text().to_owned(),
    })
}

fn openai(mock: &MockProvider) -> OpenAiGateway {
    OpenAiGateway::new("sk-test").base_url(mock.base_url())
}

async fn post(base: &str, path: &str, body: serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("the app answers")
}

/// Scrapes `/metrics`, checking every line is a comment, a `# HELP`, a
/// `# TYPE` or a sample the Prometheus parser reads.
async fn scrape(base: &str) -> Vec<Sample> {
    let response = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    for line in text.lines() {
        assert_ne!(
            LineInfo::parse(line),
            LineInfo::Ignored,
            "not Prometheus text: {line:?}"
        );
    }
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    let mut unique = families.clone();
    unique.dedup();
    assert_eq!(families, unique, "each family is written once");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap()
        .samples
}

/// The value of the sample of `metric` with exactly these labels (0 when absent).
fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found = samples.iter().find(|s| {
        s.metric == metric
            && s.labels.len() == labels.len()
            && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
    });
    match found.map(|s| &s.value) {
        Some(Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v)) => *v,
        Some(other) => panic!("{metric} is not a number: {other:?}"),
        None => 0.0,
    }
}

/// The buckets of the histogram `metric` with these labels: `(le, count)`.
fn buckets(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> Vec<(f64, f64)> {
    let found = samples
        .iter()
        .find(|s| {
            s.metric == metric
                && s.labels.len() == labels.len()
                && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
        })
        .unwrap_or_else(|| panic!("no histogram {metric} {labels:?}"));
    match &found.value {
        Value::Histogram(h) => h.iter().map(|b| (b.less_than, b.count)).collect(),
        other => panic!("{metric} is not a histogram: {other:?}"),
    }
}

#[tokio::test]
async fn requests_llm_calls_tokens_cost_retries_and_fallbacks_per_endpoint_and_model() {
    let mock = MockProvider::start().await;
    mock.push_for_model("gpt-4o-mini", MockReply::status(503));
    mock.on_model("gpt-4o-mini", MockReply::text("hello").usage(10, 20));
    mock.on_model("down", MockReply::status(503));
    mock.on_model("backup", MockReply::text("from the backup").usage(1, 2));
    mock.on_model("bad", MockReply::status(400).message("no such thing"));
    let gateway = ReliableGateway::new(openai(&mock))
        .retry(RetryPolicy::new(3).backoff(Backoff::fixed(Duration::from_millis(1))))
        .fallback([Target::model("backup")]);
    let app = App::new("Metrics")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .llm_gateway(gateway)
        .price_table(PriceTable::empty().set("gpt-4o-mini", ModelPrice::per_million(1.0, 2.0)))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let base = app.url();

    let ask = |model: &str| json!({"model": model, "text": "hi"});
    for _ in 0..2 {
        assert_eq!(
            post(&base, "/observability/ask", ask("gpt-4o-mini"))
                .await
                .status(),
            200
        );
    }
    let fell_back = post(&base, "/observability/ask", ask("down")).await;
    assert_eq!(fell_back.status(), 200);
    let failed = post(&base, "/observability/ask", ask("bad")).await;
    let failed_status = failed.status().as_u16().to_string();
    assert_eq!(failed_status, "502");
    let invalid = post(&base, "/observability/ask", json!({"model": 42})).await;
    assert_eq!(invalid.status(), 422);

    let m = scrape(&base).await;
    let ep = ("endpoint", "ask");
    assert_eq!(
        value(&m, "fastagentic_requests_total", &[ep, ("status", "200")]),
        3.0
    );
    assert_eq!(
        value(&m, "fastagentic_requests_total", &[ep, ("status", "502")]),
        1.0
    );
    assert_eq!(
        value(&m, "fastagentic_requests_total", &[ep, ("status", "422")]),
        1.0
    );
    assert_eq!(value(&m, "fastagentic_requests_in_flight", &[ep]), 0.0);
    assert_eq!(
        value(&m, "fastagentic_request_duration_seconds_count", &[ep]),
        5.0
    );

    let calls = |model, outcome| {
        value(
            &m,
            "fastagentic_llm_calls_total",
            &[
                ep,
                ("model", model),
                ("operation", "chat"),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(calls("gpt-4o-mini", "ok"), 2.0);
    assert_eq!(calls("down", "ok"), 1.0, "answered by the fallback");
    assert_eq!(calls("bad", "upstream_error"), 1.0);
    let duration = buckets(
        &m,
        "fastagentic_llm_call_duration_seconds",
        &[ep, ("model", "gpt-4o-mini"), ("operation", "chat")],
    );
    assert_eq!(duration.last(), Some(&(f64::INFINITY, 2.0)));

    let tokens = |model, kind| {
        value(
            &m,
            "fastagentic_llm_tokens_total",
            &[ep, ("model", model), ("type", kind)],
        )
    };
    assert_eq!(tokens("gpt-4o-mini", "input"), 20.0);
    assert_eq!(tokens("gpt-4o-mini", "output"), 40.0);
    assert_eq!(
        tokens("down", "output"),
        2.0,
        "the backup's tokens, under the model asked for"
    );
    let cost = value(
        &m,
        "fastagentic_llm_cost_usd_total",
        &[ep, ("model", "gpt-4o-mini")],
    );
    assert!(
        (cost - 0.0001).abs() < 1e-12,
        "2 × (10 × $1 + 20 × $2) per million = {cost}"
    );

    let retries = |model| value(&m, "fastagentic_llm_retries_total", &[ep, ("model", model)]);
    assert_eq!(retries("gpt-4o-mini"), 1.0);
    assert_eq!(
        retries("down"),
        (mock.requests_for_model("down") - 1) as f64
    );
    assert!(retries("down") >= 1.0);
    assert_eq!(retries("bad"), 0.0, "a 400 is not retried");
    assert_eq!(
        value(
            &m,
            "fastagentic_llm_fallbacks_total",
            &[ep, ("to_model", "backup")]
        ),
        1.0
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stream_is_in_flight_and_timed_until_its_last_event() {
    let mock = MockProvider::start().await;
    mock.on_model(
        "gpt-4o-mini",
        MockReply::stream(["a ", "b ", "c ", "d "])
            .chunk_interval(Duration::from_millis(200))
            .usage(3, 4),
    );
    let app = App::new("Stream metrics")
        .without_inventory()
        .endpoint(&STREAM_ENDPOINT)
        .llm_gateway(openai(&mock))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let base = app.url();
    let mut response = post(
        &base,
        "/observability/stream",
        json!({"model": "gpt-4o-mini", "text": "hi"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.chunk().await.unwrap().is_some());

    let during = scrape(&base).await;
    let ep = ("endpoint", "stream");
    assert_eq!(value(&during, "fastagentic_requests_in_flight", &[ep]), 1.0);
    assert_eq!(
        value(
            &during,
            "fastagentic_requests_total",
            &[ep, ("status", "200")]
        ),
        0.0
    );

    while response.chunk().await.unwrap().is_some() {}
    // The body's end reaches the server a moment after the client read it.
    let mut after = scrape(&base).await;
    for _ in 0..50 {
        if value(&after, "fastagentic_requests_in_flight", &[ep]) == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        after = scrape(&base).await;
    }
    assert_eq!(value(&after, "fastagentic_requests_in_flight", &[ep]), 0.0);
    assert_eq!(
        value(
            &after,
            "fastagentic_requests_total",
            &[ep, ("status", "200")]
        ),
        1.0
    );
    let request = buckets(&after, "fastagentic_request_duration_seconds", &[ep]);
    let at_half_second = request.iter().find(|(le, _)| *le == 0.5).unwrap().1;
    assert_eq!(
        at_half_second, 0.0,
        "four chunks 200 ms apart take over half a second"
    );
    assert_eq!(request.last(), Some(&(f64::INFINITY, 1.0)));
    let model = [ep, ("model", "gpt-4o-mini")];
    assert_eq!(
        value(
            &after,
            "fastagentic_llm_tokens_total",
            &[model[0], model[1], ("type", "input")]
        ),
        3.0
    );
    assert_eq!(
        value(
            &after,
            "fastagentic_llm_tokens_total",
            &[model[0], model[1], ("type", "output")]
        ),
        4.0
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn rate_limit_rejections_and_circuit_states() {
    let limited_mock = MockProvider::start().await;
    limited_mock.set_default(MockReply::text("ok").usage(1, 1));
    LIMITED_UPSTREAM.get_or_init(|| limited_mock.base_url());
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::status(503));
    let gateway = ReliableGateway::new(openai(&mock)).circuit_breaker(
        BreakerPolicy::new(2, Duration::from_secs(60)).cooldown(Duration::from_secs(60)),
    );
    let app = App::new("Reliability metrics")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .endpoint(&LIMITED_ENDPOINT)
        .llm_gateway(gateway)
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let base = app.url();
    let state = |m: &[Sample], state| {
        value(
            m,
            "fastagentic_circuit_state",
            &[("target", "target 0: openai"), ("state", state)],
        )
    };

    let before = scrape(&base).await;
    assert_eq!(state(&before, "closed"), 1.0);
    assert_eq!(state(&before, "open"), 0.0);

    let body = json!({"model": "gpt-4o-mini", "text": "hi"});
    assert_eq!(
        post(&base, "/observability/limited", body.clone())
            .await
            .status(),
        200
    );
    let refused = post(&base, "/observability/limited", body.clone()).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(limited_mock.request_count(), 1);
    for _ in 0..2 {
        assert_eq!(
            post(&base, "/observability/ask", body.clone())
                .await
                .status(),
            502
        );
    }
    let open = post(&base, "/observability/ask", body.clone()).await;
    assert_eq!(open.status(), 503, "the circuit is open");
    assert_eq!(mock.request_count(), 2);

    let m = scrape(&base).await;
    let limited = [("endpoint", "limited"), ("model", "gpt-4o-mini")];
    assert_eq!(
        value(&m, "fastagentic_rate_limit_rejections_total", &limited),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "fastagentic_requests_total",
            &[("endpoint", "limited"), ("status", "429")]
        ),
        1.0
    );
    assert_eq!(state(&m, "open"), 1.0);
    assert_eq!(state(&m, "closed"), 0.0);
    assert_eq!(state(&m, "half_open"), 0.0);
    let ask = [
        ("endpoint", "ask"),
        ("model", "gpt-4o-mini"),
        ("operation", "chat"),
    ];
    assert_eq!(
        value(
            &m,
            "fastagentic_llm_calls_total",
            &[ask[0], ask[1], ask[2], ("outcome", "circuit_open")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "fastagentic_llm_calls_total",
            &[ask[0], ask[1], ask[2], ("outcome", "upstream_error")]
        ),
        2.0
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let mock = MockProvider::start().await;
    let app = App::new("No metrics")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .llm_gateway(openai(&mock))
        .metrics(false)
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let response = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    app.shutdown().await.unwrap();
}

/// The sum of every sample of `metric` carrying at least these labels.
fn total(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            other => panic!("{metric} is not a number: {other:?}"),
        })
        .sum()
}

#[tokio::test]
async fn semantic_hits_misses_and_guard_refusals() {
    use fastagentic::cache::semantic::{MiniLmEmbedder, SemanticCache};
    let dir = fastagentic_tests::embedding_model::model_dir()
        .expect("the embedding model (test support fetches it with pip)");
    let embedder = MiniLmEmbedder::from_dir(dir).expect("all-MiniLM-L6-v2 loads");
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::echo());
    let app = App::new("Semantic cache metrics")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .llm_gateway(SemanticCache::with_embedder(openai(&mock), Arc::new(embedder)).threshold(0.8))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let base = app.url();
    let lookups = "fastagentic_semantic_cache_lookups_total";
    let refusals = "fastagentic_semantic_cache_guard_refusals_total";

    let before = scrape(&base).await;
    assert_eq!(
        total(&before, lookups, &[("cache_status", "SEMANTIC HIT")]),
        0.0
    );
    assert!(
        before
            .iter()
            .any(|s| s.metric == refusals && s.labels.get("guard") == Some("numbers")),
        "every guard is named before any refusal"
    );

    let asks = [
        "How do I reset my password?",   // SEMANTIC MISS, stored
        "How can I reset my password?",  // SEMANTIC HIT
        "Convert 5 kilograms to pounds", // SEMANTIC MISS, stored
        "Convert 6 kilograms to pounds", // near match refused: SEMANTIC MISS
    ];
    for text in asks {
        let body = json!({"model": "gpt-4o-mini", "text": text});
        assert_eq!(post(&base, "/observability/ask", body).await.status(), 200);
    }
    assert_eq!(
        mock.request_count(),
        3,
        "the paraphrase was served from the cache"
    );

    let m = scrape(&base).await;
    assert_eq!(total(&m, lookups, &[("cache_status", "SEMANTIC HIT")]), 1.0);
    assert_eq!(
        total(&m, lookups, &[("cache_status", "SEMANTIC MISS")]),
        3.0
    );
    assert_eq!(total(&m, refusals, &[("guard", "numbers")]), 1.0);
    assert_eq!(
        total(&m, refusals, &[]),
        1.0,
        "only the numbers guard refused"
    );
    assert_eq!(
        total(&m, "fastagentic_cache_lookups_total", &[("outcome", "hit")]),
        1.0
    );
    app.shutdown().await.unwrap();
}
