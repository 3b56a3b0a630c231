//! The LLM layer on its own: OpenAI-compatible types that keep unknown
//! fields, the OpenAI gateway's typed errors (status, message, Retry-After,
//! timeouts, unreachable hosts), embeddings, the price table and the demo.

use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, EmbeddingRequest, GatewayError, ModelPrice, PriceTable};
use serde_json::{Value, json};

#[test]
fn unknown_fields_pass_through_requests_and_responses() {
    let wire = json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "data:x"}}], "cache_control": {"type": "ephemeral"}},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":1}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "42"}
        ],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}],
        "response_format": {"type": "json_object"},
        "temperature": 0.2,
        "logit_bias": {"50256": -100},
        "reasoning_effort": "low"
    });
    let request: ChatRequest = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(
        request.messages[1].tool_calls.as_ref().unwrap()[0]
            .function
            .name,
        "lookup"
    );
    assert_eq!(request.messages[0].text(), "hi");
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        wire,
        "nothing lost, nothing added"
    );
    // An explicit `"content": null` reads as no content and is written as absent,
    // which OpenAI-compatible APIs treat the same.
    let with_null: Message =
        serde_json::from_value(json!({"role": "assistant", "content": null})).unwrap();
    assert_eq!(
        serde_json::to_value(&with_null).unwrap(),
        json!({"role": "assistant"})
    );

    let response_wire = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok", "refusal": null}, "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4, "prompt_tokens_details": {"cached_tokens": 0}}
    });
    let response: ChatResponse = serde_json::from_value(response_wire.clone()).unwrap();
    assert_eq!(response.text(), "ok");
    assert_eq!(response.extra["system_fingerprint"], "fp_1");
    let back = serde_json::to_value(&response).unwrap();
    assert_eq!(back["choices"][0]["message"]["refusal"], Value::Null);
    assert_eq!(back["system_fingerprint"], "fp_1");
}

fn gateway(mock: &MockProvider) -> OpenAiGateway {
    OpenAiGateway::new("sk-test").base_url(mock.base_url())
}

#[tokio::test]
async fn the_request_goes_out_as_written() {
    let mock = MockProvider::start().await;
    let request = ChatRequest::new("gpt-4o-mini")
        .system("be brief")
        .user("hi")
        .temperature(0.0)
        .max_tokens(5)
        .response_format(json!({"type": "json_object"}))
        .extra("seed_extension", json!({"a": 1}));
    let reply = gateway(&mock)
        .chat(&CallContext::detached(), request)
        .await
        .unwrap();
    assert_eq!(reply.text(), "Mock reply to: hi");
    let sent = &mock.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.body["seed_extension"], json!({"a": 1}));
    assert_eq!(sent.body["max_tokens"], 5);
    assert_eq!(sent.body["response_format"], json!({"type": "json_object"}));
    assert!(sent.body.get("stream").is_none());
}

#[tokio::test]
async fn errors_are_typed() {
    let mock = MockProvider::start().await;
    let gw = gateway(&mock);
    let call = CallContext::detached();

    mock.push(
        MockReply::status(429)
            .message("slow down")
            .retry_after(Duration::from_millis(1500)),
    );
    match gw.chat(&call, ChatRequest::new("m").user("x")).await {
        Err(GatewayError::Upstream {
            status,
            message,
            retry_after,
            provider,
            ..
        }) => {
            assert_eq!(
                (status, message.as_str(), provider.as_str()),
                (429, "slow down", "openai")
            );
            assert_eq!(retry_after, Some(Duration::from_millis(1500)));
        }
        other => panic!("expected an upstream error, got {other:?}"),
    }

    mock.push(MockReply::malformed());
    let error = gw
        .chat(&call, ChatRequest::new("m").user("x"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "upstream_malformed");

    mock.push(MockReply::text("late").delay(Duration::from_millis(500)));
    let error = gateway(&mock)
        .timeout(Duration::from_millis(100))
        .chat(&call, ChatRequest::new("m").user("x"))
        .await
        .unwrap_err();
    assert!(matches!(error, GatewayError::Timeout { .. }), "{error:?}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let error = OpenAiGateway::new("sk-test")
        .base_url(format!("http://{closed}/v1"))
        .chat(&call, ChatRequest::new("m").user("x"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), "upstream_unreachable", "{error}");
    assert!(
        !format!("{error} {error:?}").contains("sk-test"),
        "no key in errors"
    );
}

#[tokio::test]
async fn embeddings_go_through_the_gateway() {
    let mock = MockProvider::start().await;
    let ctx = AgentContext::standalone(gateway(&mock));
    let response = ctx
        .llm()
        .embed(EmbeddingRequest::new(
            "text-embedding-3-small",
            ["a", "b c"],
        ))
        .await
        .unwrap();
    assert_eq!(response.data.len(), 2);
    assert_eq!(mock.requests()[0].path, "/v1/embeddings");
    let usage = response.usage.unwrap();
    assert_eq!(usage.input_tokens, 3);
    assert!(usage.cost.is_some(), "priced from the table");
}

#[derive(Deserialize, JsonSchema)]
struct Ask {
    q: String,
}

#[derive(Serialize, JsonSchema)]
struct Costed {
    cost: Option<f64>,
}

#[agent_endpoint(path = "/costed")]
async fn costed(ctx: AgentContext, input: Ask) -> Result<Costed, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("my-finetune-v2").user(input.q))
        .await?;
    Ok(Costed {
        cost: reply.usage_or_default().cost,
    })
}

#[tokio::test]
async fn the_price_table_can_be_overridden() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::text("x").usage(1_000_000, 1_000_000));
    mock.push(MockReply::text("x").usage(1_000_000, 1_000_000));
    let prices = PriceTable::default().set("my-finetune", ModelPrice::per_million(1.0, 3.0));
    let priced = App::new("Prices")
        .llm_gateway(gateway(&mock))
        .price_table(prices)
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let unpriced = App::new("No prices")
        .llm_gateway(gateway(&mock))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let a: Value = http
        .post(format!("{}/costed", priced.url()))
        .json(&json!({"q": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let b: Value = http
        .post(format!("{}/costed", unpriced.url()))
        .json(&json!({"q": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["cost"], 4.0);
    assert_eq!(b["cost"], Value::Null, "an unknown model has no cost");
}

#[tokio::test]
async fn the_demo_says_it_is_the_demo() {
    let ctx = AgentContext::standalone(DemoGateway::new());
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user("hello"))
        .await
        .unwrap();
    assert_eq!(reply.model, "fastagentic-demo");
    assert!(
        reply.gateway_metadata["demo"]["notice"]
            .as_str()
            .unwrap()
            .contains("demo")
    );
    let again = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user("hello"))
        .await
        .unwrap();
    assert_eq!(reply.text(), again.text(), "deterministic");
    let stream = ctx
        .llm()
        .chat_stream(ChatRequest::new("gpt-4o-mini").user("hello"))
        .await
        .unwrap();
    use futures_util::StreamExt;
    let chunks: Vec<_> = stream.collect().await;
    let text: String = chunks
        .iter()
        .map(|c| c.as_ref().unwrap().delta_text().to_owned())
        .collect();
    assert_eq!(text, reply.text());
    assert!(
        chunks.last().unwrap().as_ref().unwrap().usage.is_some(),
        "usage in the last chunk"
    );
}

#[tokio::test]
async fn into_router_embeds_in_an_existing_axum_app() {
    let mock = MockProvider::start().await;
    let agent = App::new("Embedded")
        .without_inventory()
        .endpoint(&COSTED_ENDPOINT)
        .llm_gateway(gateway(&mock))
        .into_router()
        .unwrap();
    let outer = axum::Router::new()
        .nest("/agents", agent)
        .route("/", axum::routing::get(|| async { "outer app" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, outer).await });
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "outer app"
    );
    let response = http
        .post(format!("http://{addr}/agents/costed"))
        .json(&json!({"q": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        http.get(format!("http://{addr}/agents/health"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}
