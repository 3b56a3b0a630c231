//! FastAgentic's in-process extensions of a Portkey config: `strategy.balance`
//! (`least_latency`, `least_busy`) on a `loadbalance` strategy and a
//! per-target `circuit_breaker`, run against mock providers; and a remote
//! gateway refusing them at start-up, naming the key. Assertions count
//! requests (no timing races): slow targets are scripted with delays far
//! longer than anything the assertions depend on.

use std::time::Duration;

use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatRequest, ChatResponse, GatewayError, LlmGateway};
use fastagentic_portkey::{
    InProcessPortkey, PortkeyConfig, PortkeyGateway, VirtualKeys, portkey_config,
};
use serde_json::{Value, json};

/// A fresh HTTP client per test (the shared pool may hold another
/// runtime's connections).
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

fn target(mock: &MockProvider) -> Value {
    json!({"provider": "openai", "api_key": "sk-test", "custom_host": mock.base_url()})
}

fn engine(config: Value) -> InProcessPortkey {
    PortkeyGateway::new()
        .config(PortkeyConfig::from_value(config).expect("valid config"))
        .http_client(http())
        .in_process(VirtualKeys::new())
}

async fn chat(gateway: &InProcessPortkey) -> Result<ChatResponse, GatewayError> {
    gateway.check()?;
    gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o-mini").user("hi"),
        )
        .await
}

#[test]
fn the_macro_accepts_the_extensions() {
    let config: PortkeyConfig = portkey_config!({
        "strategy": {"mode": "loadbalance", "balance": "least_latency"},
        "targets": [
            {"provider": "openai", "api_key": "sk-a", "circuit_breaker": {"failure_threshold": 5, "window": 60000, "cooldown": "30s"}},
            {"provider": "anthropic", "api_key": "sk-b", "weight": 2}
        ]
    });
    assert_eq!(config.as_json()["strategy"]["balance"], "least_latency");
}

#[test]
fn from_json_refuses_what_the_macro_refuses() {
    let unknown = PortkeyConfig::from_value(json!({
        "strategy": {"mode": "loadbalance", "balance": "round_robin"},
        "targets": [{"provider": "openai", "api_key": "k"}]
    }))
    .expect_err("unknown balance")
    .to_string();
    assert!(
        unknown.contains("`strategy.balance`: unknown balance `round_robin`; expected one of weighted, least_latency, least_busy"),
        "{unknown}"
    );
    let zero = PortkeyConfig::from_value(json!({
        "strategy": {"mode": "fallback"},
        "targets": [{"provider": "openai", "api_key": "k", "circuit_breaker": {"failure_threshold": 0}}]
    }))
    .expect_err("threshold 0")
    .to_string();
    assert!(
        zero.contains("`targets[0].circuit_breaker.failure_threshold`: `failure_threshold` is 0"),
        "{zero}"
    );
}

#[tokio::test]
async fn least_latency_prefers_the_fast_target_after_warm_up() {
    let (slow, fast) = (MockProvider::start().await, MockProvider::start().await);
    slow.set_default(MockReply::text("slow").delay(Duration::from_millis(400)));
    fast.set_default(MockReply::text("fast"));
    let gateway = engine(json!({
        "strategy": {"mode": "loadbalance", "balance": "least_latency"},
        "targets": [target(&slow), target(&fast)]
    }));
    for _ in 0..12 {
        chat(&gateway).await.expect("answer");
    }
    // Each unmeasured target is tried once, then the fastest takes the rest
    // (weighted random would send about half to the slow one).
    assert_eq!(slow.request_count(), 1, "only the warm-up call");
    assert_eq!(fast.request_count(), 11);
}

#[tokio::test]
async fn least_busy_steers_away_from_a_target_with_calls_piling_up() {
    let (stuck, free) = (MockProvider::start().await, MockProvider::start().await);
    // The stuck target answers long after the test ends: its calls stay in flight.
    stuck.set_default(MockReply::text("late").delay(Duration::from_secs(30)));
    free.set_default(MockReply::text("now"));
    let gateway = std::sync::Arc::new(engine(json!({
        "strategy": {"mode": "loadbalance", "balance": "least_busy"},
        "targets": [target(&stuck), target(&free)]
    })));
    gateway.check().expect("valid");
    let mut calls = Vec::new();
    for _ in 0..60 {
        let gateway = gateway.clone();
        calls.push(tokio::spawn(async move {
            gateway
                .chat(
                    &CallContext::detached(),
                    ChatRequest::new("gpt-4o-mini").user("hi"),
                )
                .await
        }));
        // Let the call reach its target before the next one picks.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Let the free target's calls land before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (to_stuck, to_free) = (stuck.request_count(), free.request_count());
    for call in calls {
        call.abort();
    }
    assert_eq!(to_stuck + to_free, 60, "{to_stuck} + {to_free}");
    // Once the stuck target has a call in flight, it is picked only when
    // both draws land on it (1 in 4): about 15 of 60, against about 30 for
    // a weighted random pick. The bound is 3.6 standard deviations above 15.
    assert!(
        to_stuck <= 27,
        "{to_stuck} calls went to the stuck target, {to_free} to the free one"
    );
}

#[tokio::test]
async fn a_circuit_breaker_skips_a_failing_target_and_probes_it_after_the_cooldown() {
    let (flaky, backup) = (MockProvider::start().await, MockProvider::start().await);
    flaky.set_default(MockReply::status(503));
    backup.set_default(MockReply::text("backup"));
    let mut first = target(&flaky);
    first["circuit_breaker"] =
        json!({"failure_threshold": 2, "window": "60s", "cooldown": "300ms"});
    let gateway = engine(json!({
        "strategy": {"mode": "fallback"},
        "targets": [first, target(&backup)]
    }));
    for _ in 0..2 {
        let response = chat(&gateway).await.expect("the backup answers");
        assert_eq!(response.text(), "backup");
    }
    assert_eq!(flaky.request_count(), 2, "two failures open the circuit");
    for _ in 0..3 {
        let response = chat(&gateway).await.expect("the backup answers");
        assert_eq!(
            response.gateway_metadata["portkey"]["last_used_option_index"],
            "config.targets[1]"
        );
    }
    assert_eq!(flaky.request_count(), 2, "open: the target is skipped");
    assert_eq!(backup.request_count(), 5);

    // After the cool-down one probe goes through; it answers, the circuit closes.
    flaky.set_default(MockReply::text("recovered"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = chat(&gateway).await.expect("the probe answers");
    assert_eq!(response.text(), "recovered");
    assert_eq!(flaky.request_count(), 3);
    chat(&gateway).await.expect("closed again");
    assert_eq!(flaky.request_count(), 4);
    assert_eq!(backup.request_count(), 5);
}

#[tokio::test]
async fn a_remote_gateway_refuses_the_extensions_naming_the_key() {
    let config = json!({
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "openai", "api_key": "k"},
            {"strategy": {"mode": "loadbalance", "balance": "least_busy"},
             "targets": [{"provider": "openai", "api_key": "k", "circuit_breaker": {"failure_threshold": 3}}]}
        ]
    });
    let remote = PortkeyGateway::new()
        .base_url("http://127.0.0.1:8787/v1")
        .config(PortkeyConfig::from_value(config.clone()).expect("valid"));
    let error = remote.check().expect_err("extensions").to_string();
    for path in [
        "`targets[1].strategy.balance`",
        "`targets[1].targets[0].circuit_breaker`",
    ] {
        assert!(error.contains(path), "{path} in {error}");
    }
    assert!(error.contains("PortkeyGateway::in_process"), "{error}");
    // The same config runs in-process.
    let local = PortkeyGateway::new()
        .config(PortkeyConfig::from_value(config).expect("valid"))
        .in_process(VirtualKeys::new());
    local.check().expect("in-process runs the extensions");
}
