//! Chaos: three targets, two of which fail at random in every way a provider
//! fails (429, 503, a 200 whose body is not JSON, silence past the timeout,
//! a stream cut after its first chunk, a connection closed before the
//! answer's head) and one healthy; 5,000 requests at c=64, a quarter
//! streamed. Run through the built-in gateway (`ReliableGateway`) behind the
//! OpenAI-compatible route, and through the Portkey engine in-process behind
//! the Portkey-compatible route (`PortkeyDropIn`). Every request ends as the
//! policy says: an answer from the healthy target, or, for a stream cut after its first chunk, that chunk
//! and an SSE error event; none hangs; the healthy target is called once per
//! answer it gave (nothing is sent twice); and `/metrics` adds up to what the
//! mock providers saw.

use std::collections::BTreeMap;
use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, ReliableGateway, RetryPolicy, Target};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic_portkey::{PortkeyConfig, PortkeyDropIn, VirtualKeys};
use futures_util::StreamExt;
use serde_json::{Value, json};

const REQUESTS: usize = 5_000;
const CONCURRENCY: usize = 64;
/// Every fourth request streams.
const STREAM_EVERY: usize = 4;
/// The per-call timeout: long enough that the healthy target, on a busy
/// 2-core machine, answers within it.
const TIMEOUT: Duration = Duration::from_secs(1);
const HEALTHY: &str = "the healthy target answers";

/// A small deterministic generator (xorshift), so a failing run can be replayed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// A provider failing at random: one fault per attempt, plain and streamed
/// requests each from their own queue (streams also get cut mid-way).
async fn faulty(seed: u64) -> MockProvider {
    let mock = MockProvider::start().await;
    let mut dice = Dice(seed);
    let fault = |roll: u64, streamed: bool| match roll {
        0 | 5 => MockReply::status(429),
        1 | 6 => MockReply::status(503),
        2 => MockReply::malformed(),
        // The chunk is flushed before the cut.
        3 if streamed => MockReply::text("cut after one chunk")
            .drop_after(1)
            .chunk_interval(Duration::from_millis(20)),
        // The connection closes before the answer's head: a reset.
        4 if streamed => MockReply::text("reset").drop_after(0),
        3 | 4 => MockReply::malformed(),
        _ => MockReply::text("too late").delay(TIMEOUT + TIMEOUT / 2),
    };
    // More than the attempts any run makes (each request at most three).
    for _ in 0..REQUESTS * 3 {
        mock.push_for_model("plain", fault(dice.roll(8), false));
        mock.push_for_model("streamed", fault(dice.roll(8), true));
    }
    mock.set_default(MockReply::status(503));
    mock
}

/// The three targets: two faulty, one healthy.
struct Targets {
    first: MockProvider,
    second: MockProvider,
    healthy: MockProvider,
}

impl Targets {
    async fn start() -> Self {
        let healthy = MockProvider::start().await;
        healthy.set_default(MockReply::text(HEALTHY));
        Self {
            first: faulty(0x9E37_79B9_7F4A_7C15).await,
            second: faulty(0xD1B5_4A32_D192_ED03).await,
            healthy,
        }
    }

    fn upstream_calls(&self) -> usize {
        self.first.request_count() + self.second.request_count() + self.healthy.request_count()
    }
}

/// How one request ended.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    /// 200 with the healthy target's answer (plain or a complete stream).
    Healthy,
    /// A stream cut after its first chunk: that chunk, then an error event.
    CutWithErrorEvent,
}

fn body(i: usize) -> Value {
    let streamed = i.is_multiple_of(STREAM_EVERY);
    json!({
        "model": if streamed { "streamed" } else { "plain" },
        "stream": streamed,
        "messages": [{"role": "user", "content": format!("request {i}")}]
    })
}

/// Sends one request; how it ended, or what was wrong with it.
async fn one(http: &reqwest::Client, url: &str, i: usize) -> Result<Outcome, String> {
    let streamed = i.is_multiple_of(STREAM_EVERY);
    let response = http
        .post(url)
        .json(&body(i))
        .send()
        .await
        .map_err(|e| format!("#{i}: no answer: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| format!("#{i}: body cut: {e}"))?;
    if status != 200 {
        return Err(format!("#{i}: {status} {text:.300}"));
    }
    if !streamed {
        let json: Value = serde_json::from_str(&text).map_err(|e| format!("#{i}: {e}"))?;
        return match json["choices"][0]["message"]["content"].as_str() {
            Some(HEALTHY) => Ok(Outcome::Healthy),
            other => Err(format!("#{i}: answered {other:?}")),
        };
    }
    let content: String = text
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    if text.ends_with("data: [DONE]\n\n") && content == HEALTHY {
        Ok(Outcome::Healthy)
    } else if text.contains("event: error\ndata: ") && content == "cut " && !text.contains("[DONE]")
    {
        Ok(Outcome::CutWithErrorEvent)
    } else {
        Err(format!("#{i}: stream {text:.400}"))
    }
}

/// The sum of a counter family's samples in Prometheus text.
fn counter(metrics: &str, family: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| {
            line.strip_prefix(family)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Runs the chaos through `app`'s route at `path`, checks what every chaos
/// run must show, and returns `/metrics`.
async fn run(app: App, path: &str, targets: &Targets) -> String {
    let server = app
        .without_inventory()
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    let url = format!("{}{path}", server.url());
    let http = reqwest::Client::builder()
        .no_proxy()
        // A hang is a failure, not a wait: far above any policy's worst case.
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let results: Vec<Result<Outcome, String>> = futures_util::stream::iter(0..REQUESTS)
        .map(|i| {
            let (http, url) = (&http, &url);
            async move { one(http, url, i).await }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut outcomes = BTreeMap::new();
    let mut wrong = Vec::new();
    for result in results {
        match result {
            Ok(outcome) => *outcomes.entry(outcome).or_insert(0) += 1,
            Err(error) => wrong.push(error),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {REQUESTS} did not end as the policy says (outcomes {outcomes:?}); first ones:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let metrics = http
        .get(format!("{}/metrics", server.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    server.shutdown().await.unwrap();
    let healthy_answers = outcomes.get(&Outcome::Healthy).copied().unwrap_or(0);
    assert_eq!(
        targets.healthy.request_count(),
        healthy_answers,
        "the healthy target is called once per answer it gave"
    );
    assert!(
        outcomes.contains_key(&Outcome::CutWithErrorEvent),
        "some streams met a cut after their first chunk: {outcomes:?}"
    );
    let calls = counter(&metrics, "fastagentic_llm_calls_total");
    assert_eq!(
        calls as usize, REQUESTS,
        "one LLM call per request: {metrics}"
    );
    eprintln!(
        "chaos: {outcomes:?}; upstream calls: first {}, second {}, healthy {}",
        targets.first.request_count(),
        targets.second.request_count(),
        targets.healthy.request_count()
    );
    metrics
}

fn openai(mock: &MockProvider) -> OpenAiGateway {
    OpenAiGateway::new("sk-test").base_url(mock.base_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_gateway_reaches_the_healthy_target_through_chaos() {
    let targets = Targets::start().await;
    let gateway = ReliableGateway::new(openai(&targets.first))
        .retry(RetryPolicy::new(2).backoff(Backoff::fixed(Duration::from_millis(5))))
        .timeout(TIMEOUT)
        .fallback([
            Target::gateway(openai(&targets.second)),
            Target::gateway(openai(&targets.healthy)),
        ]);
    let metrics = run(
        App::new("Chaos, built-in")
            .llm_gateway(gateway)
            .openai_compatible("/v1"),
        "/v1/chat/completions",
        &targets,
    )
    .await;

    // Every upstream call is an LLM call's first attempt, a retry or a
    // fallback, as /metrics counts them.
    let calls = counter(&metrics, "fastagentic_llm_calls_total");
    let retries = counter(&metrics, "fastagentic_llm_retries_total");
    let fallbacks = counter(&metrics, "fastagentic_llm_fallbacks_total");
    assert_eq!(
        (calls + retries + fallbacks) as usize,
        targets.upstream_calls(),
        "calls {calls} + retries {retries} + fallbacks {fallbacks} vs the mocks"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portkey_drop_in_route_reaches_the_healthy_target_through_chaos() {
    let targets = Targets::start().await;
    let target = |mock: &MockProvider| json!({"provider": "openai", "api_key": "sk-test", "custom_host": mock.base_url()});
    let config = PortkeyConfig::from_value(json!({
        "strategy": {"mode": "fallback"},
        "retry": {"attempts": 2},
        "request_timeout": TIMEOUT.as_millis() as u64,
        "targets": [target(&targets.first), target(&targets.second), target(&targets.healthy)]
    }))
    .expect("a valid config");
    // The Portkey gateway's own surface, served by the app (PortkeyDropIn),
    // running the config as requests without `x-portkey-config` do.
    let drop_in = PortkeyDropIn::new(VirtualKeys::new())
        .default_config(config)
        .retry_base_delay(Duration::from_millis(5));
    run(
        App::new("Chaos, Portkey drop-in").mount(drop_in),
        "/v1/chat/completions",
        &targets,
    )
    .await;
}
