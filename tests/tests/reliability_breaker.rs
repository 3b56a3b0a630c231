//! Circuit breakers against a dead `MockProvider` target: it opens and
//! stops receiving traffic (counted at the mock), probes after the cool-down,
//! recovers, and re-opens when the probe fails.

use std::sync::Arc;
use std::time::Duration;

use fastagentic::CallContext;
use fastagentic::prelude::*;
use fastagentic::reliability::{BreakerPolicy, CircuitState, ReliableGateway, Target};
use fastagentic::testing::{MockProvider, MockReply};
use serde_json::json;

/// Long enough that the handful of loopback calls a test makes while the
/// circuit is open all fall inside it on a busy machine; short enough to
/// wait out.
const COOLDOWN: Duration = Duration::from_secs(2);

fn gateway(mock: &MockProvider) -> ReliableGateway {
    ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .fallback([Target::model("backup")])
        .circuit_breaker(BreakerPolicy::new(3, Duration::from_secs(10)).cooldown(COOLDOWN))
}

async fn ask(gateway: &ReliableGateway) -> (String, u64) {
    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("primary").user("hi"),
        )
        .await
        .expect("some target answers");
    let index = reply.gateway_metadata["fastagentic"]["target_index"]
        .as_u64()
        .unwrap();
    (reply.text().to_owned(), index)
}

fn primary_state(gateway: &ReliableGateway) -> CircuitState {
    gateway.circuit_states()[0].1
}

#[tokio::test]
async fn a_dead_target_stops_receiving_traffic_then_recovers() {
    let mock = MockProvider::start().await;
    mock.on_model("primary", MockReply::status(503));
    mock.on_model("backup", MockReply::text("backup"));
    let gateway = gateway(&mock);
    assert_eq!(
        gateway
            .circuit_states()
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>(),
        ["target 0: openai", "target 1: openai/backup"]
    );

    for _ in 0..10 {
        assert_eq!(ask(&gateway).await, ("backup".to_owned(), 1));
    }
    assert_eq!(
        mock.requests_for_model("primary"),
        3,
        "after 3 failures the circuit opened: the dead target got no more traffic"
    );
    assert_eq!(mock.requests_for_model("backup"), 10);
    assert_eq!(primary_state(&gateway), CircuitState::Open);
    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("primary").user("hi"),
        )
        .await
        .unwrap();
    assert_eq!(
        reply.gateway_metadata["fastagentic"]["failed"][0]["error"],
        "circuit_open"
    );

    // The target heals; after the cool-down one probe goes through and closes the circuit.
    mock.on_model("primary", MockReply::text("primary is back"));
    tokio::time::sleep(COOLDOWN + Duration::from_millis(50)).await;
    assert_eq!(primary_state(&gateway), CircuitState::HalfOpen);
    assert_eq!(ask(&gateway).await, ("primary is back".to_owned(), 0));
    assert_eq!(primary_state(&gateway), CircuitState::Closed);
    for _ in 0..5 {
        assert_eq!(ask(&gateway).await.1, 0);
    }
    assert_eq!(mock.requests_for_model("primary"), 3 + 6);
    assert_eq!(mock.requests_for_model("backup"), 11, "no more fallbacks");
}

#[tokio::test]
async fn a_failed_probe_opens_the_circuit_again() {
    let mock = MockProvider::start().await;
    mock.on_model("primary", MockReply::status(500));
    mock.on_model("backup", MockReply::text("backup"));
    let gateway = gateway(&mock);
    for _ in 0..3 {
        ask(&gateway).await;
    }
    assert_eq!(primary_state(&gateway), CircuitState::Open);

    tokio::time::sleep(COOLDOWN + Duration::from_millis(50)).await;
    assert_eq!(
        ask(&gateway).await.1,
        1,
        "the probe failed; the backup answered"
    );
    assert_eq!(mock.requests_for_model("primary"), 4, "exactly one probe");
    assert_eq!(primary_state(&gateway), CircuitState::Open);
    for _ in 0..5 {
        ask(&gateway).await;
    }
    assert_eq!(
        mock.requests_for_model("primary"),
        4,
        "open again: no traffic"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_lets_a_single_probe_through_under_load() {
    let mock = MockProvider::start().await;
    mock.on_model("primary", MockReply::status(503));
    mock.on_model("backup", MockReply::text("backup"));
    let gateway = Arc::new(gateway(&mock));
    for _ in 0..3 {
        ask(&gateway).await;
    }
    mock.on_model(
        "primary",
        MockReply::text("slow probe").delay(Duration::from_secs(1)),
    );
    tokio::time::sleep(COOLDOWN + Duration::from_millis(50)).await;

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let gateway = gateway.clone();
            tokio::spawn(async move { ask(&gateway).await })
        })
        .collect();
    let mut by_primary = 0;
    for task in tasks {
        if task.await.unwrap().1 == 0 {
            by_primary += 1;
        }
    }
    assert_eq!(by_primary, 1, "one probe; the others went to the backup");
    assert_eq!(mock.requests_for_model("primary"), 4);
    assert_eq!(primary_state(&gateway), CircuitState::Closed);
}

// ---- without a fallback, an open circuit answers 503 with Retry-After ----

#[derive(Deserialize, JsonSchema)]
struct Ask {
    text: String,
}

#[derive(Serialize, JsonSchema)]
struct Reply {
    text: String,
}

#[agent_endpoint(path = "/ask")]
async fn ask_endpoint(ctx: AgentContext, input: Ask) -> Result<Reply, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("primary").user(input.text))
        .await?;
    Ok(Reply {
        text: reply.text().to_owned(),
    })
}

#[tokio::test]
async fn an_open_circuit_answers_503_with_retry_after() {
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::status(503));
    let app = App::new("Breaker test")
        .llm_gateway(
            ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
                .circuit_breaker(
                    BreakerPolicy::new(2, Duration::from_secs(10)).cooldown(Duration::from_secs(5)),
                ),
        )
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    let client = reqwest::Client::new();
    let url = format!("{}/ask", app.url());
    for _ in 0..2 {
        let response = client
            .post(&url)
            .json(&json!({"text": "hi"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 502, "the provider's 503, passed on");
    }
    let response = client
        .post(&url)
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "circuit_open");
    assert_eq!(body["error"]["details"]["target"], "target 0: openai");
    assert_eq!(
        mock.request_count(),
        2,
        "the open circuit kept the call away"
    );
    app.shutdown().await.unwrap();
}
