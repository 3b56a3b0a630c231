//! `PortkeyGateway` against the REAL Portkey gateway (npm
//! `@portkey-ai/gateway` 1.15.2, installed and started by the test support)
//! in front of `MockProvider`s, which count what Portkey forwards. A
//! recording proxy between our gateway and Portkey shows what arrived at
//! Portkey and what it answered.
//!
//! Proven here: fallback on 503 reaches the second target; loadbalance
//! follows weights; conditional routing picks by metadata (static and per
//! request); retry attempts and `on_status_codes` are honoured; metadata and
//! trace id arrive; streaming works; `on_llm_end` sees cost and cache fields;
//! the "fallback not triggered" diagnostic; Portkey's own 400 `errors` list
//! surfaced verbatim.
//!
//! These tests fail (never skip) when the gateway cannot be installed or started.

mod portkey_support;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, GatewayError, LlmClient};
use fastagentic_portkey::{
    FallbackModel, PortkeyConfig, PortkeyGateway, RetryConfig, portkey_config,
};
use futures_util::StreamExt;
use portkey_support::{Exchange, Recorder, gateway_at, portkey};
use serde_json::{Value, json};
use uuid::Uuid;

fn request(model: &str) -> ChatRequest {
    ChatRequest::new(model).user("hello")
}

/// Routes the gateway's requests to `mock` as an OpenAI-compatible provider.
fn to_mock(gateway: PortkeyGateway, mock: &MockProvider) -> PortkeyGateway {
    gateway
        .provider("openai")
        .provider_api_key("sk-mock")
        .custom_host(mock.base_url())
}

#[tokio::test]
async fn fallback_on_503_reaches_the_second_target() {
    let portkey = portkey().await;
    let first = MockProvider::start().await;
    let second = MockProvider::start().await;
    first.set_default(MockReply::status(503));
    second.set_default(MockReply::text("from the second target"));
    let gateway = gateway_at(portkey.v1_url()).fallback([
        FallbackModel::model("gpt-4")
            .provider("openai")
            .api_key("sk-first")
            .custom_host(first.base_url()),
        FallbackModel::model("claude-3-opus")
            .provider("openai")
            .api_key("sk-second")
            .custom_host(second.base_url()),
    ]);
    gateway.check().expect("valid");

    let response = gateway
        .chat(&CallContext::detached(), request("any"))
        .await
        .expect("fallback answer");
    assert_eq!(response.text(), "from the second target");
    assert_eq!(
        response.gateway_metadata["portkey"]["last_used_option_index"],
        "config.targets[1]"
    );

    let (a, b) = (first.requests(), second.requests());
    assert_eq!(
        a.len(),
        1,
        "the first target is tried once (no retry configured)"
    );
    assert_eq!(
        a[0].model(),
        Some("gpt-4"),
        "override_params.model reaches the provider"
    );
    assert_eq!(a[0].header("authorization"), Some("Bearer sk-first"));
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].model(), Some("claude-3-opus"));
    assert_eq!(
        b[0].header("authorization"),
        Some("Bearer sk-second"),
        "each target's own key"
    );
}

#[tokio::test]
async fn fallback_models_with_the_gateways_credentials_work_on_the_real_gateway() {
    // Plain model names: each target gets the gateway's provider and key
    // (the self-hosted gateway refuses targets without them), and
    // x-portkey-custom-host sends every target to the mock.
    let portkey = portkey().await;
    let mock = MockProvider::start().await;
    mock.on_model("gpt-4", MockReply::status(503));
    mock.on_model("claude-3-opus", MockReply::text("opus answers"));
    let gateway = to_mock(gateway_at(portkey.v1_url()), &mock)
        .fallback(["gpt-4", "claude-3-opus"])
        .fallback_on_status_codes([429, 500, 502, 503, 504]);
    let response = gateway
        .chat(&CallContext::detached(), request("gpt-3.5-turbo"))
        .await
        .expect("answer");
    assert_eq!(response.text(), "opus answers");
    assert_eq!(mock.requests_for_model("gpt-4"), 1);
    assert_eq!(mock.requests_for_model("claude-3-opus"), 1);
    assert_eq!(
        mock.requests_for_model("gpt-3.5-turbo"),
        0,
        "the targets' models replace the request's"
    );
}

#[tokio::test]
async fn a_status_outside_on_status_codes_explains_why_there_was_no_fallback() {
    let portkey = portkey().await;
    let first = MockProvider::start().await;
    let second = MockProvider::start().await;
    first.set_default(MockReply::status(401).message("invalid api key"));
    let config = PortkeyConfig::from_value(json!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500]},
        "targets": [
            {"provider": "openai", "api_key": "sk-1", "custom_host": first.base_url()},
            {"provider": "openai", "api_key": "sk-2", "custom_host": second.base_url()}
        ]
    }))
    .expect("valid");
    let gateway = gateway_at(portkey.v1_url()).config(config);
    let error = gateway
        .chat(&CallContext::detached(), request("gpt-4o"))
        .await
        .expect_err("401");
    assert_eq!(error.status(), Some(401));
    let message = error.to_string();
    assert!(
        message.contains("fallback not triggered: 401 is not in on_status_codes [429, 500]"),
        "{message}"
    );
    assert_eq!(first.request_count(), 1);
    assert_eq!(second.request_count(), 0, "Portkey did not fall back");
}

#[tokio::test]
async fn loadbalance_follows_the_weights() {
    const REQUESTS: usize = 200;
    let portkey = portkey().await;
    let heavy = MockProvider::start().await;
    let light = MockProvider::start().await;
    let config = PortkeyConfig::from_value(json!({
        "strategy": {"mode": "loadbalance"},
        "targets": [
            {"provider": "openai", "api_key": "sk-1", "custom_host": heavy.base_url(), "weight": 0.75},
            {"provider": "openai", "api_key": "sk-2", "custom_host": light.base_url(), "weight": 0.25}
        ]
    }))
    .expect("valid");
    let gateway = Arc::new(gateway_at(portkey.v1_url()).config(config));
    let started = Instant::now();
    let results = futures_util::stream::iter(0..REQUESTS)
        .map(|_| {
            let gateway = gateway.clone();
            async move {
                gateway
                    .chat(&CallContext::detached(), request("gpt-4o-mini"))
                    .await
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    assert!(results.iter().all(Result::is_ok), "every request answered");
    let (h, l) = (heavy.request_count(), light.request_count());
    eprintln!(
        "loadbalance 0.75/0.25 over {REQUESTS} requests: {h}/{l} in {:?}",
        started.elapsed()
    );
    assert_eq!(h + l, REQUESTS, "one pick per request, no failover");
    // Binomial(200, 0.75): mean 150, sd 6.1; 5 sd either side.
    assert!(
        (119..=181).contains(&h),
        "heavy target got {h} of {REQUESTS}"
    );
}

#[tokio::test]
async fn conditional_routing_picks_by_metadata() {
    let portkey = portkey().await;
    let premium = MockProvider::start().await;
    let standard = MockProvider::start().await;
    let config = PortkeyConfig::from_value(json!({
        "strategy": {
            "mode": "conditional",
            "conditions": [
                {"query": {"metadata._user": {"$in": ["alice", "carol"]}}, "then": "premium"},
                {"query": {"$and": [{"metadata.tier": {"$eq": "gold"}}, {"params.model": {"$regex": "^gpt-4"}}]}, "then": "premium"}
            ],
            "default": "standard"
        },
        "targets": [
            {"name": "premium", "provider": "openai", "api_key": "sk-p", "custom_host": premium.base_url(), "override_params": {"model": "gpt-4o"}},
            {"name": "standard", "provider": "openai", "api_key": "sk-s", "custom_host": standard.base_url(), "override_params": {"model": "gpt-4o-mini"}}
        ]
    }))
    .expect("valid");
    // Per-request metadata (`_user` from the call) ...
    let by_user = gateway_at(portkey.v1_url())
        .config(config.clone())
        .metadata_with("_user", |ctx| ctx.user_id());
    let as_user = |user: &str| CallContext::detached().with_user(Some(user.into()));
    by_user
        .chat(&as_user("alice"), request("gpt-3.5-turbo"))
        .await
        .expect("alice");
    by_user
        .chat(&as_user("bob"), request("gpt-3.5-turbo"))
        .await
        .expect("bob");
    by_user
        .chat(&CallContext::detached(), request("gpt-3.5-turbo"))
        .await
        .expect("anonymous");
    assert_eq!(premium.request_count(), 1, "alice is premium");
    assert_eq!(
        standard.request_count(),
        2,
        "bob and the anonymous call get the default"
    );
    assert_eq!(premium.requests()[0].model(), Some("gpt-4o"));

    // ... and static metadata combined with a request parameter.
    let gold = gateway_at(portkey.v1_url())
        .config(config)
        .metadata("tier", "gold");
    gold.chat(&CallContext::detached(), request("gpt-4-turbo"))
        .await
        .expect("gold gpt-4");
    gold.chat(&CallContext::detached(), request("o3-mini"))
        .await
        .expect("gold o3");
    assert_eq!(
        premium.request_count(),
        2,
        "gold + a gpt-4 model is premium"
    );
    assert_eq!(standard.request_count(), 3);
}

#[tokio::test]
async fn retries_are_counted_at_the_mock_and_on_status_codes_is_honoured() {
    let portkey = portkey().await;
    // Always 503, 2 attempts: 1 call + 2 retries (Portkey waits 1 s, then 2 s).
    let failing = MockProvider::start().await;
    failing.set_default(MockReply::status(503));
    let gateway = to_mock(gateway_at(portkey.v1_url()), &failing).retry(RetryConfig::attempts(2));
    let started = Instant::now();
    let error = gateway
        .chat(&CallContext::detached(), request("gpt-4o"))
        .await
        .expect_err("503");
    eprintln!("2 retries on 503 took {:?}: {error:?}", started.elapsed());
    assert_eq!(error.status(), Some(503));
    assert_eq!(failing.request_count(), 3, "1 call and 2 retries");

    // 503 is not in on_status_codes [429]: one call, and the error says so.
    let not_retried = MockProvider::start().await;
    not_retried.set_default(MockReply::status(503));
    let gateway = to_mock(gateway_at(portkey.v1_url()), &not_retried)
        .retry(RetryConfig::attempts(2).on_status_codes([429]));
    let error = gateway
        .chat(&CallContext::detached(), request("gpt-4o"))
        .await
        .expect_err("503");
    assert_eq!(
        not_retried.request_count(),
        1,
        "no retry on a status outside on_status_codes"
    );
    assert!(
        error
            .to_string()
            .contains("not retried: 503 is not in retry.on_status_codes [429]"),
        "{error}"
    );

    // One failure, then success: the retry count reaches the hooks' metadata.
    let flaky = MockProvider::start().await;
    flaky.push(MockReply::status(429));
    flaky.set_default(MockReply::text("second time lucky"));
    let gateway = to_mock(gateway_at(portkey.v1_url()), &flaky)
        .retry(RetryConfig::attempts(2).on_status_codes([429]));
    let response = gateway
        .chat(&CallContext::detached(), request("gpt-4o"))
        .await
        .expect("retried");
    assert_eq!(response.text(), "second time lucky");
    assert_eq!(flaky.request_count(), 2);
    assert_eq!(response.gateway_metadata["portkey"]["retry_attempts"], 1);
    assert_eq!(
        response.gateway_metadata["portkey"]["retries_exhausted"],
        false
    );
}

#[tokio::test]
async fn metadata_and_trace_id_arrive_at_portkey_and_the_trace_id_comes_back() {
    let portkey = portkey().await;
    let recorder = Recorder::start(portkey.base_url()).await;
    let mock = MockProvider::start().await;
    let gateway = to_mock(gateway_at(&recorder.v1_url()), &mock)
        .config(portkey_config!({"retry": {"attempts": 1}}))
        .metadata("environment", "test")
        .metadata_with("_user", |ctx| ctx.user_id())
        .trace_id_with(|ctx| ctx.run_id().to_string());
    let run = Uuid::new_v4();
    let call = CallContext::new(run, "premium").with_user(Some("alice".into()));
    let response = gateway
        .chat(&call, request("gpt-4o-mini"))
        .await
        .expect("answer");

    let exchange = &recorder.exchanges()[0];
    assert_eq!(exchange.status, 200);
    let metadata: Value =
        serde_json::from_str(exchange.sent("x-portkey-metadata").expect("metadata sent"))
            .expect("JSON");
    assert_eq!(metadata, json!({"environment": "test", "_user": "alice"}));
    assert_eq!(
        exchange.sent("x-portkey-trace-id"),
        Some(run.to_string().as_str())
    );
    assert_eq!(
        exchange.sent("x-portkey-config"),
        Some(r#"{"retry":{"attempts":1}}"#)
    );
    assert_eq!(
        exchange.answered("x-portkey-trace-id"),
        Some(run.to_string().as_str()),
        "Portkey echoes the trace id"
    );
    let section = &response.gateway_metadata["portkey"];
    assert_eq!(section["trace_id"], run.to_string());
    assert_eq!(section["provider"], "openai");
    assert_eq!(section["last_used_option_index"], "config");
    // Portkey forwards neither to the provider: it keeps them for its logs and routing.
    let seen = &mock.requests()[0];
    assert_eq!(seen.header("x-portkey-trace-id"), None);
    assert_eq!(seen.header("x-portkey-metadata"), None);
    assert_eq!(seen.header("authorization"), Some("Bearer sk-mock"));
}

#[tokio::test]
async fn portkeys_own_400_errors_are_surfaced_verbatim() {
    // The issue's own example: virtual-key targets. Hosted Portkey takes them;
    // the self-hosted gateway's schema refuses each target, and says why.
    let portkey = portkey().await;
    let gateway = gateway_at(portkey.v1_url()).config(portkey_config!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
        "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
    }));
    gateway
        .check()
        .expect("virtual-key targets are valid (hosted Portkey supports them)");
    let error = gateway
        .chat(&CallContext::detached(), request("gpt-4o"))
        .await
        .expect_err("400");
    let GatewayError::Upstream {
        status,
        message,
        body,
        ..
    } = &error
    else {
        panic!("expected Portkey's answer, got {error:?}");
    };
    assert_eq!(*status, 400);
    let answer: Value = serde_json::from_str(body).expect("Portkey's JSON");
    let errors = answer["errors"].as_array().expect("an errors list");
    assert_eq!(errors.len(), 2, "{answer}");
    assert!(
        message.starts_with("Portkey refused the request: Invalid config passed"),
        "{message}"
    );
    for entry in errors {
        let entry = entry.as_str().expect("text");
        assert!(
            message.contains(&format!("\n  - {entry}")),
            "`{entry}` verbatim in:\n{message}"
        );
    }
    assert!(
        message.contains("path: targets,0, message: Invalid configuration. It must have either 'provider' and 'api_key'"),
        "{message}"
    );
    assert!(
        message.contains("targets with only a `virtual_key` need hosted Portkey"),
        "{message}"
    );
    assert!(
        !message.contains("fallback not triggered"),
        "no fallback note on Portkey's own refusal"
    );
}

// ---------------------------------------------------------------------------
// Through an app: streaming, and what `on_llm_end` sees.

/// What `on_llm_end` saw, per run.
static LLM_ENDS: Mutex<Vec<(Uuid, Value, Usage)>> = Mutex::new(Vec::new());

#[hook("on_llm_end")]
async fn record_portkey_metadata(ctx: &HookContext) {
    // The seed's cost hook, as written there: cost and cache fields from metadata["portkey"].
    let portkey = ctx.metadata.get("portkey").cloned().unwrap_or(Value::Null);
    LLM_ENDS
        .lock()
        .expect("records")
        .push((ctx.run_id, portkey, ctx.usage.clone()));
}

fn llm_end_of(run: Uuid) -> Option<(Value, Usage)> {
    LLM_ENDS
        .lock()
        .expect("records")
        .iter()
        .find(|(id, _, _)| *id == run)
        .map(|(_, metadata, usage)| (metadata.clone(), usage.clone()))
}

/// A question.
#[derive(Deserialize, JsonSchema)]
struct Ask {
    question: String,
}

/// The answer and the run that produced it.
#[derive(Serialize, JsonSchema)]
struct Answer {
    answer: String,
    run_id: String,
}

/// Asks gpt-4o-mini through the app's gateway.
#[agent_endpoint(path = "/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(input.question))
        .await?;
    Ok(Answer {
        answer: reply.text().to_owned(),
        run_id: ctx.run_id().to_string(),
    })
}

/// Streams gpt-4o-mini's answer.
#[agent_endpoint(path = "/ask/stream", stream = true)]
async fn ask_stream(ctx: AgentContext, input: Ask) -> Result<ChatStream, AgentError> {
    Ok(ctx
        .llm()
        .chat_stream(ChatRequest::new("gpt-4o-mini").user(input.question))
        .await?)
}

#[tokio::test]
async fn on_llm_end_sees_cost_and_cache_fields_from_portkey() {
    let portkey = portkey().await;
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("four").usage(1000, 500));
    let app = App::new("portkey cost")
        .llm_gateway(
            to_mock(gateway_at(portkey.v1_url()), &mock)
                .trace_id_with(|ctx| ctx.run_id().to_string()),
        )
        .spawn("127.0.0.1:0")
        .await
        .expect("app");
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/ask", app.url()))
        .json(&json!({"question": "2 + 2?"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["answer"], "four", "{answer}");
    let run: Uuid = answer["run_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("run id");
    let (metadata, usage) = llm_end_of(run).expect("on_llm_end ran for this run");
    // gpt-4o-mini: $0.15 / $0.60 per million tokens.
    let expected_cost = (1000.0 * 0.15 + 500.0 * 0.60) / 1_000_000.0;
    let cost = metadata["cost"]
        .as_f64()
        .expect("cost in metadata[\"portkey\"]");
    assert!((cost - expected_cost).abs() < 1e-12, "{metadata}");
    assert_eq!(usage.cost, Some(cost));
    assert_eq!(
        metadata["cache_status"], "DISABLED",
        "the npm gateway ships with its cache off"
    );
    assert_eq!(metadata["cache_hit"], false);
    assert_eq!(metadata["retry_attempts"], 0);
    assert_eq!(metadata["provider"], "openai");
    assert_eq!(metadata["trace_id"], run.to_string());
    app.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn streaming_passes_through_portkey() {
    let portkey = portkey().await;
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::stream(["Hello", " through", " Portkey"]).usage(7, 3));
    let app = App::new("portkey stream")
        .llm_gateway(to_mock(gateway_at(portkey.v1_url()), &mock).retry(RetryConfig::attempts(1)))
        .spawn("127.0.0.1:0")
        .await
        .expect("app");
    let response = reqwest::Client::new()
        .post(format!("{}/ask/stream", app.url()))
        .json(&json!({"question": "hi"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let sse = response.text().await.expect("SSE body");
    let (text, done) = fastagentic_tests::sse::streamed_text(&sse);
    assert_eq!(text, "Hello through Portkey", "{sse}");
    assert!(done, "{sse}");
    assert_eq!(mock.requests()[0].body["stream"], true);
    assert_eq!(mock.streams_completed(), 1);
    app.shutdown().await.expect("shutdown");

    // The stream's on_llm_end sees Portkey's facts too (through LlmClient directly).
    let gateway = to_mock(gateway_at(portkey.v1_url()), &mock);
    let client = LlmClient::standalone(fastagentic::gateway::shared(gateway));
    let mut stream = client
        .chat_stream(request("gpt-4o-mini"))
        .await
        .expect("stream");
    assert_eq!(stream.gateway_metadata["portkey"]["provider"], "openai");
    assert_eq!(
        stream.gateway_metadata["portkey"]["cache_status"],
        "DISABLED"
    );
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        chunk.expect("chunk");
        chunks += 1;
    }
    assert!(chunks >= 3);
}

#[tokio::test]
async fn embeddings_go_through_portkey_with_the_same_headers() {
    let portkey = portkey().await;
    let recorder = Recorder::start(portkey.base_url()).await;
    let mock = MockProvider::start().await;
    let gateway = to_mock(gateway_at(&recorder.v1_url()), &mock)
        .metadata("environment", "test")
        .trace_id_with(|ctx| ctx.run_id().to_string());
    let call = CallContext::new(Uuid::new_v4(), "embed");
    gateway
        .chat(&call, request("gpt-4o-mini"))
        .await
        .expect("a chat, for comparison");
    let response = gateway
        .embed(
            &call,
            fastagentic::EmbeddingRequest::new("text-embedding-3-small", ["a b", "c"]),
        )
        .await
        .expect("embeddings");
    assert_eq!(response.data.len(), 2);
    assert_eq!(response.gateway_metadata["portkey"]["provider"], "openai");

    // Portkey received the same gateway headers for both calls...
    let exchanges = recorder.exchanges();
    assert_eq!(exchanges.len(), 2);
    let (chat, embed) = (&exchanges[0], &exchanges[1]);
    assert_eq!(embed.status, 200);
    let portkey_headers = |exchange: &Exchange| -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = exchange
            .request_headers
            .iter()
            .filter(|(name, _)| {
                name.as_str().starts_with("x-portkey-") || name.as_str() == "authorization"
            })
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        headers.sort();
        headers
    };
    assert_eq!(portkey_headers(embed), portkey_headers(chat));
    assert_eq!(embed.sent("x-portkey-provider"), Some("openai"));
    assert_eq!(
        embed.sent("x-portkey-custom-host"),
        Some(mock.base_url().as_str())
    );
    assert_eq!(embed.sent("authorization"), Some("Bearer sk-mock"));
    assert_eq!(
        embed.sent("x-portkey-trace-id"),
        Some(call.run_id().to_string().as_str())
    );
    let metadata: Value =
        serde_json::from_str(embed.sent("x-portkey-metadata").expect("metadata sent"))
            .expect("JSON");
    assert_eq!(metadata, json!({"environment": "test"}));

    // ...and the provider got the embeddings call with the provider key.
    let seen: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/embeddings")
        .collect();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-mock"));
}
