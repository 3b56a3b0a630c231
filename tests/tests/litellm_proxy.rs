//! `LiteLLMGateway` against the real LiteLLM proxy (PyPI `litellm[proxy]`,
//! pinned by `fastagentic_tests::peers`), started once for this test binary,
//! offline on loopback, with deployments that point at one `MockProvider`.
//!
//! Every scenario uses its own deployments (distinct upstream model names, so
//! the mock counts each one's calls) and its own prompts (the proxy's cache
//! is shared). The proxy logs every call to a local sink through its
//! `generic_api` callback, which shows what it received: metadata, tags, end
//! user.
//!
//! These tests fail, never skip, when the proxy cannot be installed or started.

use fastagentic_tests::sse::streamed_text;
use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, EmbeddingRequest, GatewayError, LlmClient};
use fastagentic_litellm::{CacheControl, LiteLLMGateway, LiteLLMRequest};
use fastagentic_tests::peers::LiteLlmPeer;
use futures_util::StreamExt;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// The world: one runtime, one mock upstream, one log sink, one proxy.

struct World {
    runtime: tokio::runtime::Runtime,
    mock: MockProvider,
    sink: Sink,
    proxy: LiteLlmPeer,
}

/// The proxy's `generic_api` callback posts batches of its standard logging
/// payload here (every 5 s).
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<Value>>>);

impl Sink {
    async fn start(self) -> String {
        let app = axum::Router::new()
            .route("/log", post(collect))
            .with_state(self);
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the log sink");
        let addr = listener.local_addr().expect("sink address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}/log")
    }

    /// Waits up to 30 s for the proxy to log the call `call_id`.
    async fn entry(&self, call_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self
                .0
                .lock()
                .expect("sink")
                .iter()
                .find(|entry| entry["litellm_call_id"] == call_id || entry["id"] == call_id)
                .cloned();
            if let Some(entry) = found {
                return entry;
            }
            assert!(
                Instant::now() < deadline,
                "the proxy did not log call {call_id} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn collect(State(sink): State<Sink>, Json(batch): Json<Value>) -> Json<Value> {
    let entries = match batch {
        Value::Array(entries) => entries,
        single => vec![single],
    };
    sink.0.lock().expect("sink").extend(entries);
    Json(json!({}))
}

/// A deployment of the proxy's `model_list`: `name` served by the mock as
/// upstream model `name`.
fn deployment(mock: &MockProvider, name: &str) -> Value {
    json!({
        "model_name": name,
        "litellm_params": {"model": format!("openai/{name}"), "api_base": mock.base_url(), "api_key": "sk-upstream"},
    })
}

/// Prices per token known only to the proxy (the app's price table has none).
fn priced(mut deployment: Value) -> Value {
    deployment["litellm_params"]["input_cost_per_token"] = json!(0.001);
    deployment["litellm_params"]["output_cost_per_token"] = json!(0.002);
    deployment
}

/// 100 prompt and 50 completion tokens at the prices of [`priced`].
const PRICED_COST: f64 = 100.0 * 0.001 + 50.0 * 0.002;

fn tagged(mut deployment: Value, model_name: &str, tag: &str) -> Value {
    deployment["model_name"] = json!(model_name);
    deployment["litellm_params"]["tags"] = json!([tag]);
    deployment
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test runtime");
        let (mock, sink, proxy) = runtime.block_on(async {
            let mock = MockProvider::start().await;
            let sink = Sink::default();
            let sink_url = sink.clone().start().await;
            let d = |name: &str| deployment(&mock, name);
            let config = json!({
                "model_list": [
                    d("fb-primary"), d("fb-secondary"), d("fb-tertiary"),
                    d("fb2-primary"), d("fb2-secondary"), d("fb2-tertiary"),
                    d("retry-flaky"), d("retry-always"), d("retry-control"),
                    d("hook-primary"), priced(d("hook-backup")),
                    d("cache-model"),
                    priced(d("stream-model")), d("stream-primary"), priced(d("stream-backup")),
                    d("auth-model"),
                    tagged(d("tag-premium"), "tagged", "premium"),
                    tagged(d("tag-default"), "tagged", "default"),
                    d("slow-model"),
                    d("mtf-primary"), d("mtf-backup"),
                    d("embed-model"),
                ],
                // Retries only when a request asks for them.
                "router_settings": {"num_retries": 0, "routing_strategy": "simple-shuffle", "enable_tag_filtering": true},
                "environment_variables": {"GENERIC_LOGGER_ENDPOINT": sink_url},
                // For `mock_testing_fallbacks` (refused by default since 1.8x).
                "general_settings": {"dangerously_allow_mock_testing_request_params": true},
                "litellm_settings": {
                    "callbacks": ["generic_api"],
                    "cache": true,
                    "cache_params": {"type": "local"},
                },
            });
            let started = Instant::now();
            let proxy = LiteLlmPeer::start(&config)
                .await
                .expect("the LiteLLM proxy is needed for these tests");
            eprintln!(
                "LiteLLM proxy at {} ready in {:?} (install + start {:?})",
                proxy.base_url(),
                proxy.started_in(),
                started.elapsed()
            );
            (mock, sink, proxy)
        });
        World {
            runtime,
            mock,
            sink,
            proxy,
        }
    })
}

/// Runs a scenario on the world's runtime (so the mock, the sink, the apps
/// and the shared HTTP connection pool all live on one runtime).
fn run<F, Fut>(scenario: F)
where
    F: FnOnce(&'static World) -> Fut,
    Fut: Future<Output = ()>,
{
    let world = world();
    let started = Instant::now();
    world.runtime.block_on(scenario(world));
    eprintln!("scenario took {:?}", started.elapsed());
}

impl World {
    /// A gateway to the proxy with its master key.
    fn gateway(&self) -> LiteLLMGateway {
        LiteLLMGateway::new()
            .base_url(self.proxy.base_url())
            .api_key(self.proxy.master_key())
    }
}

/// A prompt no other call of this test run sends (the proxy's cache is shared).
fn prompt(label: &str) -> String {
    format!("{label} {}", uuid::Uuid::new_v4())
}

fn section(reply: &ChatResponse) -> &Value {
    &reply.gateway_metadata["litellm"]
}

fn upstream_status(error: &GatewayError) -> u16 {
    error
        .status()
        .unwrap_or_else(|| panic!("expected an answer from the proxy, got {error}"))
}

// ---------------------------------------------------------------------------
// An app, for what hooks see.

#[derive(Deserialize, JsonSchema)]
struct Ask {
    model: String,
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    text: String,
    model: String,
}

/// One chat call through the app's gateway.
#[agent_endpoint(path = "/litellm/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new(input.model).user(input.text))
        .await?;
    Ok(Answer {
        text: reply.text().to_owned(),
        model: reply.model.clone(),
    })
}

/// One streamed chat call through the app's gateway.
#[agent_endpoint(path = "/litellm/stream", stream = true)]
async fn ask_stream(ctx: AgentContext, input: Ask) -> Result<ChatStream, AgentError> {
    Ok(ctx
        .llm()
        .chat_stream(ChatRequest::new(input.model).user(input.text))
        .await?)
}

/// Every `on_llm_end` of this binary.
static LLM_ENDS: Mutex<Vec<HookContext>> = Mutex::new(Vec::new());

#[hook("on_llm_end")]
async fn record_llm_end(ctx: &HookContext) {
    LLM_ENDS.lock().expect("hook record").push(ctx.clone());
}

/// What `on_llm_end` saw for the call whose last message was `text`.
async fn llm_end_for(text: &str) -> HookContext {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = LLM_ENDS
            .lock()
            .expect("hook record")
            .iter()
            .find(|ctx| ctx.messages.last().is_some_and(|m| m.text() == text))
            .cloned();
        if let Some(ctx) = found {
            return ctx;
        }
        assert!(Instant::now() < deadline, "no on_llm_end for {text:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn http() -> reqwest::Client {
    fastagentic_tests::loopback::http_client(Duration::from_secs(120))
}

// ---------------------------------------------------------------------------
// Fallbacks

#[test]
fn a_500_from_the_first_model_falls_back_to_the_next_fallback_model() {
    run(|w| async move {
        w.mock.on_model("fb-primary", MockReply::status(500));
        w.mock
            .on_model("fb-secondary", MockReply::text("from the secondary"));
        w.mock
            .on_model("fb-tertiary", MockReply::text("from the tertiary"));
        let gateway = w.gateway().fallback_models(["fb-secondary", "fb-tertiary"]);
        let call = CallContext::detached();

        let reply = gateway
            .chat(
                &call,
                ChatRequest::new("fb-primary").user(prompt("fallback")),
            )
            .await
            .expect("the secondary answers");
        assert_eq!(reply.text(), "from the secondary");
        assert_eq!(w.mock.requests_for_model("fb-primary"), 1);
        assert_eq!(w.mock.requests_for_model("fb-secondary"), 1);
        assert_eq!(w.mock.requests_for_model("fb-tertiary"), 0);
        assert_eq!(
            section(&reply)["attempted_fallbacks"],
            1,
            "{}",
            section(&reply)
        );
        assert_eq!(section(&reply)["model_group"], "fb-secondary");

        // When the next one fails too, the one after it answers: in order.
        w.mock.on_model("fb2-primary", MockReply::status(500));
        w.mock.on_model("fb2-secondary", MockReply::status(503));
        w.mock
            .on_model("fb2-tertiary", MockReply::text("from the tertiary"));
        let gateway = w
            .gateway()
            .fallback_models(["fb2-secondary", "fb2-tertiary"]);
        let reply = gateway
            .chat(
                &call,
                ChatRequest::new("fb2-primary").user(prompt("fallback twice")),
            )
            .await
            .expect("the tertiary answers");
        assert_eq!(reply.text(), "from the tertiary");
        let seen: Vec<String> = w
            .mock
            .requests()
            .iter()
            .filter_map(|r| {
                r.model()
                    .filter(|m| m.starts_with("fb2-"))
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(seen, ["fb2-primary", "fb2-secondary", "fb2-tertiary"]);
        assert_eq!(section(&reply)["model_group"], "fb2-tertiary");
        // LiteLLM 1.106.2 reports the first hop only: its outer fallback
        // overwrites the inner one's count.
        assert_eq!(
            section(&reply)["attempted_fallbacks"],
            1,
            "{}",
            section(&reply)
        );

        // Without fallback models the proxy's 500 is a typed error with its message.
        let error = w
            .gateway()
            .chat(
                &call,
                ChatRequest::new("fb-primary").user(prompt("no fallback")),
            )
            .await
            .expect_err("no fallback configured");
        assert_eq!(upstream_status(&error), 500);
        assert!(
            error.to_string().contains("mock provider failure 500"),
            "{error}"
        );
        assert_eq!(w.mock.requests_for_model("fb-primary"), 2);
    });
}

#[test]
fn mock_testing_fallbacks_makes_the_proxy_skip_a_healthy_first_model() {
    run(|w| async move {
        w.mock
            .on_model("mtf-primary", MockReply::text("from the primary"));
        w.mock
            .on_model("mtf-backup", MockReply::text("from the backup"));
        let gateway = w.gateway().fallback_models(["mtf-backup"]);
        let request = ChatRequest::new("mtf-primary")
            .user(prompt("mock fallbacks"))
            .litellm_mock_testing_fallbacks();
        let reply = gateway
            .chat(&CallContext::detached(), request)
            .await
            .expect("the backup answers");
        assert_eq!(reply.text(), "from the backup");
        assert_eq!(w.mock.requests_for_model("mtf-primary"), 0);
        assert_eq!(w.mock.requests_for_model("mtf-backup"), 1);
    });
}

// ---------------------------------------------------------------------------
// Retries and timeouts

#[test]
fn num_retries_is_honoured_counted_at_the_mock() {
    run(|w| async move {
        let call = CallContext::detached();
        w.mock.push_for_model("retry-flaky", MockReply::status(500));
        w.mock.push_for_model("retry-flaky", MockReply::status(500));
        w.mock
            .on_model("retry-flaky", MockReply::text("third time lucky"));
        w.mock.on_model("retry-always", MockReply::status(500));
        w.mock.on_model("retry-control", MockReply::status(500));
        let ask = |gateway: LiteLLMGateway, model: &'static str| {
            let call = call.clone();
            async move {
                gateway
                    .chat(&call, ChatRequest::new(model).user(prompt(model)))
                    .await
            }
        };
        // The proxy backs off 0.5 s, 1 s, 2 s (+ jitter) between retries: run
        // the three cases side by side.
        let (flaky, always, control) = tokio::join!(
            // Two failures, then an answer: two retries are enough.
            ask(w.gateway().num_retries(2), "retry-flaky"),
            // Always failing: 1 call + exactly `num_retries` retries, then the error.
            ask(w.gateway().num_retries(3), "retry-always"),
            // Without the option the proxy (configured with num_retries: 0) calls once.
            ask(w.gateway(), "retry-control"),
        );

        let reply = flaky.expect("the third attempt answers");
        assert_eq!(reply.text(), "third time lucky");
        assert_eq!(w.mock.requests_for_model("retry-flaky"), 3);
        assert_eq!(
            section(&reply)["attempted_retries"],
            2,
            "{}",
            section(&reply)
        );
        assert_eq!(section(&reply)["max_retries"], 2, "{}", section(&reply));

        let error = always.expect_err("every attempt fails");
        assert_eq!(upstream_status(&error), 500);
        assert_eq!(w.mock.requests_for_model("retry-always"), 4);

        control.expect_err("fails");
        assert_eq!(w.mock.requests_for_model("retry-control"), 1);
    });
}

#[test]
fn the_timeout_bounds_each_call_to_a_model() {
    run(|w| async move {
        w.mock.on_model(
            "slow-model",
            MockReply::text("too late").delay(Duration::from_secs(20)),
        );
        let started = Instant::now();
        let error = w
            .gateway()
            .timeout(Duration::from_secs(1))
            .chat(
                &CallContext::detached(),
                ChatRequest::new("slow-model").user(prompt("slow")),
            )
            .await
            .expect_err("the proxy gives up");
        let took = started.elapsed();
        assert_eq!(upstream_status(&error), 408, "{error}");
        // The 408 and the proxy's message show its timeout cut the call; the
        // mock would have answered after 20 s.
        assert!(took < Duration::from_secs(15), "took {took:?}");
        assert!(error.to_string().contains("Timeout"), "{error}");
    });
}

// ---------------------------------------------------------------------------
// What hooks see

#[test]
fn cost_retries_and_fallbacks_reach_on_llm_end() {
    run(|w| async move {
        w.mock.on_model("hook-primary", MockReply::status(500));
        w.mock.push_for_model("hook-backup", MockReply::status(500));
        w.mock.on_model(
            "hook-backup",
            MockReply::text("from the backup").usage(100, 50),
        );
        let gateway = w.gateway().fallback_models(["hook-backup"]).num_retries(1);
        let app = App::new("LiteLLM hooks")
            .llm_gateway(gateway)
            .spawn("127.0.0.1:0")
            .await
            .expect("the app starts");
        let text = prompt("hooks");
        let answer: Value = http()
            .post(format!("{}/litellm/ask", app.url()))
            .json(&json!({"model": "hook-primary", "text": text}))
            .send()
            .await
            .expect("the app answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(answer["text"], "from the backup", "{answer}");

        let ctx = llm_end_for(&text).await;
        let litellm = &ctx.metadata["litellm"];
        assert_eq!(ctx.usage.cost, Some(PRICED_COST), "{litellm}");
        assert_eq!(litellm["cost"], json!(PRICED_COST), "{litellm}");
        assert_eq!(litellm["attempted_fallbacks"], 1, "{litellm}");
        // The proxy counts the retries of the model that answered.
        assert_eq!(w.mock.requests_for_model("hook-primary"), 2);
        assert_eq!(w.mock.requests_for_model("hook-backup"), 2);
        assert_eq!(litellm["attempted_retries"], 1, "{litellm}");
        assert_eq!(litellm["model_group"], "hook-backup", "{litellm}");
        assert_eq!(litellm["cache_hit"], false, "{litellm}");
        assert!(
            litellm["call_id"].as_str().is_some_and(|id| !id.is_empty()),
            "{litellm}"
        );
        assert!(litellm["model_id"].is_string(), "{litellm}");
        assert_eq!(litellm["model_api_base"], w.mock.base_url(), "{litellm}");
        assert!(litellm["overhead_ms"].is_number(), "{litellm}");
        app.shutdown().await.expect("the app stops");
    });
}

// ---------------------------------------------------------------------------
// Cache

#[test]
fn a_repeated_identical_request_is_a_cache_hit_and_per_request_controls_work() {
    run(|w| async move {
        w.mock
            .on_model("cache-model", MockReply::text("cached answer"));
        let gateway = w.gateway();
        let call = CallContext::detached();
        let calls = || w.mock.requests_for_model("cache-model");
        let ask = |text: &str, cache: Option<CacheControl>| {
            let mut request = ChatRequest::new("cache-model").user(text);
            if let Some(cache) = cache {
                request = request.litellm_cache(cache);
            }
            let gateway = &gateway;
            let call = &call;
            async move { gateway.chat(call, request).await.expect("an answer") }
        };

        let first = prompt("cache");
        let miss = ask(&first, None).await;
        assert_eq!(section(&miss)["cache_hit"], false);
        assert_eq!(calls(), 1);
        let hit = ask(&first, None).await;
        assert_eq!(hit.text(), "cached answer");
        assert_eq!(section(&hit)["cache_hit"], true, "{}", section(&hit));
        assert!(
            section(&hit)["cache_key"]
                .as_str()
                .is_some_and(|k| !k.is_empty())
        );
        assert_eq!(calls(), 1, "a hit does not reach the upstream");

        // no-cache: answered by the upstream again.
        let fresh = ask(&first, Some(CacheControl::new().no_cache())).await;
        assert_eq!(section(&fresh)["cache_hit"], false);
        assert_eq!(calls(), 2);

        // no-store: the answer is not kept, so the next identical request misses.
        let second = prompt("no-store");
        ask(&second, Some(CacheControl::new().no_store())).await;
        let after = ask(&second, None).await;
        assert_eq!(section(&after)["cache_hit"], false);
        assert_eq!(calls(), 4);
        assert_eq!(section(&ask(&second, None).await)["cache_hit"], true);
        assert_eq!(calls(), 4);

        // namespace: a separate part of the cache.
        let tenant = || Some(CacheControl::new().namespace("tenant-b"));
        assert_eq!(section(&ask(&first, tenant()).await)["cache_hit"], false);
        let in_tenant = ask(&first, tenant()).await;
        assert_eq!(section(&in_tenant)["cache_hit"], true);
        assert!(
            section(&in_tenant)["cache_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("tenant-b:")),
            "{}",
            section(&in_tenant)
        );
        assert_eq!(calls(), 5);

        // ttl: kept 1 s only; s-maxage: older answers are not accepted.
        let third = prompt("ttl");
        ask(
            &third,
            Some(CacheControl::new().ttl(Duration::from_secs(1))),
        )
        .await;
        assert_eq!(calls(), 6);
        tokio::time::sleep(Duration::from_millis(2200)).await;
        assert_eq!(
            section(&ask(&third, None).await)["cache_hit"],
            false,
            "expired"
        );
        assert_eq!(calls(), 7);
        let old_enough = ask(
            &first,
            Some(CacheControl::new().max_age(Duration::from_secs(1))),
        )
        .await;
        assert_eq!(
            section(&old_enough)["cache_hit"],
            false,
            "older than s-maxage"
        );
        assert_eq!(calls(), 8);
    });
}

// ---------------------------------------------------------------------------
// Streaming

#[test]
fn streams_pass_through_with_litellm_s_cost_in_on_llm_end() {
    run(|w| async move {
        w.mock.on_model(
            "stream-model",
            MockReply::stream(["Stream", "ing ", "works"]).usage(100, 50),
        );
        let app = App::new("LiteLLM streams")
            .llm_gateway(w.gateway())
            .spawn("127.0.0.1:0")
            .await
            .expect("the app starts");
        let text = prompt("stream");
        let response = http()
            .post(format!("{}/litellm/stream", app.url()))
            .json(&json!({"model": "stream-model", "text": text}))
            .send()
            .await
            .expect("the app answers");
        assert_eq!(response.status(), 200);
        let sse = response.text().await.expect("SSE body");
        let (streamed, done) = streamed_text(&sse);
        assert_eq!(streamed, "Streaming works", "{sse}");
        assert!(done, "{sse}");
        assert_eq!(w.mock.requests_for_model("stream-model"), 1);
        let upstream = w
            .mock
            .requests()
            .into_iter()
            .find(|r| r.model() == Some("stream-model"))
            .expect("the upstream request");
        assert_eq!(upstream.body["stream"], true, "{}", upstream.body);

        let ctx = llm_end_for(&text).await;
        let litellm = &ctx.metadata["litellm"];
        assert_eq!(ctx.usage.cost, Some(PRICED_COST), "{litellm}");
        assert_eq!(litellm["cost"], json!(PRICED_COST), "{litellm}");
        assert_eq!(litellm["attempted_fallbacks"], 0, "{litellm}");
        assert!(litellm["call_id"].is_string(), "{litellm}");
        app.shutdown().await.expect("the app stops");
    });
}

#[test]
fn a_stream_falls_back_before_its_first_token() {
    run(|w| async move {
        w.mock.on_model("stream-primary", MockReply::status(500));
        w.mock.on_model(
            "stream-backup",
            MockReply::stream(["Backup ", "streams"]).usage(100, 50),
        );
        let client =
            LlmClient::standalone(Arc::new(w.gateway().fallback_models(["stream-backup"])));
        let mut stream = client
            .chat_stream(ChatRequest::new("stream-primary").user(prompt("stream fallback")))
            .await
            .expect("the backup's stream opens");
        assert_eq!(stream.gateway_metadata["litellm"]["attempted_fallbacks"], 1);
        assert_eq!(
            stream.gateway_metadata["litellm"]["model_group"],
            "stream-backup"
        );
        let mut text = String::new();
        let mut cost = None;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("a chunk");
            text.push_str(chunk.delta_text());
            if let Some(usage) = &chunk.usage {
                cost = usage.cost;
            }
        }
        assert_eq!(text, "Backup streams");
        assert_eq!(cost, Some(PRICED_COST), "LiteLLM's cost in the last chunk");
        assert_eq!(w.mock.requests_for_model("stream-primary"), 1);
        assert_eq!(w.mock.requests_for_model("stream-backup"), 1);
    });
}

// ---------------------------------------------------------------------------
// Errors

#[test]
fn a_wrong_key_is_a_clear_401_with_the_proxy_s_message() {
    run(|w| async move {
        let wrong = "sk-wrong-key-0123456789abcdef";
        let gateway = w.gateway().api_key(wrong);
        let error = gateway
            .chat(
                &CallContext::detached(),
                ChatRequest::new("auth-model").user(prompt("auth")),
            )
            .await
            .expect_err("the proxy rejects the key");
        assert_eq!(error.kind(), "upstream_error");
        assert_eq!(upstream_status(&error), 401, "{error}");
        let text = error.to_string();
        assert!(
            text.starts_with("litellm answered 401: the LiteLLM proxy rejected the API key"),
            "{text}"
        );
        assert!(
            text.contains("No connected db."),
            "the proxy's own message: {text}"
        );
        assert!(
            text.contains("check the key given to `.api_key(..)`"),
            "{text}"
        );
        let everything = format!("{error:?}");
        assert!(!everything.contains(wrong), "{everything}");
        assert_eq!(w.mock.requests_for_model("auth-model"), 0);

        // Through an app: the JSON error names the status and the proxy's message.
        let app = App::new("LiteLLM auth")
            .llm_gateway(w.gateway().api_key(wrong))
            .spawn("127.0.0.1:0")
            .await
            .expect("the app starts");
        let response = http()
            .post(format!("{}/litellm/ask", app.url()))
            .json(&json!({"model": "auth-model", "text": prompt("auth app")}))
            .send()
            .await
            .expect("the app answers");
        assert_eq!(response.status(), 502);
        let body: Value = response.json().await.expect("JSON error");
        assert_eq!(body["error"]["type"], "upstream_error", "{body}");
        assert_eq!(body["error"]["details"]["status"], 401, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("No connected db.")),
            "{body}"
        );
        assert!(!body.to_string().contains(wrong), "{body}");
        app.shutdown().await.expect("the app stops");

        // No key at all: this proxy version fails with a bare 500; the error says why.
        let error = LiteLLMGateway::new()
            .base_url(w.proxy.base_url())
            .chat(
                &CallContext::detached(),
                ChatRequest::new("auth-model").user(prompt("no key")),
            )
            .await
            .expect_err("a key is required");
        assert!(
            error
                .to_string()
                .contains("no API key was sent: set LITELLM_PROXY_API_KEY"),
            "{error}"
        );
    });
}

#[test]
fn a_model_without_deployment_is_a_typed_error_with_the_proxy_s_message() {
    run(|w| async move {
        let error = w
            .gateway()
            .chat(
                &CallContext::detached(),
                ChatRequest::new("no-such-model").user(prompt("no deployment")),
            )
            .await
            .expect_err("no deployment");
        assert_eq!(upstream_status(&error), 400);
        assert!(
            error
                .to_string()
                .contains("Invalid model name passed in model=no-such-model"),
            "{error}"
        );
    });
}

// ---------------------------------------------------------------------------
// Metadata, tags, end user

#[test]
fn metadata_tags_and_end_user_arrive_at_the_proxy() {
    run(|w| async move {
        w.mock
            .on_model("tag-premium", MockReply::text("premium answer"));
        w.mock
            .on_model("tag-default", MockReply::text("default answer"));
        let gateway = w
            .gateway()
            .metadata("service", "support-bot")
            .metadata_with("run_id", |ctx| Some(ctx.run_id().to_string().into()))
            .tags(["fastagentic"]);
        let call = CallContext::detached().with_user(Some(Arc::from("alice")));
        let request = ChatRequest::new("tagged")
            .user(prompt("tags"))
            .litellm_metadata("ticket", "T-1042")
            .litellm_tags(["premium"]);
        let reply = gateway.chat(&call, request).await.expect("an answer");

        // Tag-based routing picked the deployment tagged `premium`.
        assert_eq!(reply.text(), "premium answer");
        assert_eq!(w.mock.requests_for_model("tag-premium"), 1);
        assert_eq!(w.mock.requests_for_model("tag-default"), 0);

        // The proxy's own log of the call.
        let call_id = section(&reply)["call_id"]
            .as_str()
            .expect("a call id")
            .to_owned();
        let logged = w.sink.entry(&call_id).await;
        let metadata = &logged["metadata"]["requester_metadata"];
        assert_eq!(metadata["service"], "support-bot", "{logged}");
        assert_eq!(metadata["ticket"], "T-1042", "{logged}");
        assert_eq!(metadata["run_id"], call.run_id().to_string(), "{logged}");
        let tags = logged["request_tags"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(tags.contains(&json!("fastagentic")), "{logged}");
        assert!(tags.contains(&json!("premium")), "{logged}");
        assert_eq!(logged["end_user"], "alice", "{logged}");
    });
}

// ---------------------------------------------------------------------------
// Embeddings

#[test]
fn embeddings_go_through_the_proxy() {
    run(|w| async move {
        let reply = w
            .gateway()
            .embed(
                &CallContext::detached(),
                EmbeddingRequest::new("embed-model", [prompt("embed")]),
            )
            .await
            .expect("embeddings");
        assert_eq!(reply.data.len(), 1);
        assert!(!reply.data[0].embedding.is_empty());
        assert!(reply.gateway_metadata["litellm"]["call_id"].is_string());
        assert_eq!(w.mock.requests_for_model("embed-model"), 1);
    });
}
