//! `GeminiGateway` against the mock's copy of Google's OpenAI-compatible
//! endpoint: the path, the bearer key, streams with usage, Google's errors.

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, GatewayError};
use fastagentic_providers::GeminiGateway;
use futures_util::StreamExt;
use serde_json::json;

fn gemini(mock: &MockProvider) -> GeminiGateway {
    GeminiGateway::new("AIza-test").base_url(mock.gemini_base_url())
}

#[tokio::test]
async fn requests_go_to_the_compatible_endpoint_with_a_bearer_key() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::text("from Gemini").usage(1000, 100));
    let mut request = ChatRequest::new("gemini-2.5-flash")
        .system("brief")
        .user("hi");
    request.stop = Some(json!(["END"]));
    let reply = AgentContext::standalone(gemini(&mock))
        .llm()
        .chat(request)
        .await
        .unwrap();
    assert_eq!(reply.text(), "from Gemini");
    let seen = &mock.requests()[0];
    assert_eq!(seen.path, "/v1beta/openai/chat/completions");
    assert_eq!(seen.header("authorization"), Some("Bearer AIza-test"));
    assert_eq!(seen.body["stop"], json!(["END"]));
    assert_eq!(
        seen.body["messages"][0],
        json!({"role": "system", "content": "brief"})
    );
    // gemini-2.5-flash: $0.30 in, $2.50 out per million.
    let cost = reply.usage.and_then(|u| u.cost).expect("priced");
    assert!((cost - (0.0003 + 0.00025)).abs() < 1e-9, "{cost}");
}

#[tokio::test]
async fn streams_end_with_usage() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::stream(["a", "b"]));
    let mut stream = gemini(&mock)
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("gemini-2.5-pro").user("hi"),
        )
        .await
        .unwrap();
    let mut last = None;
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        text.push_str(chunk.delta_text());
        last = Some(chunk);
    }
    assert_eq!(text, "ab");
    assert!(last.and_then(|c| c.usage().cloned()).is_some());
}

#[tokio::test]
async fn google_errors_are_read_from_their_list() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(429).message("Resource has been exhausted (e.g. check quota)."));
    let error = gemini(&mock)
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gemini-2.5-flash").user("hi"),
        )
        .await
        .unwrap_err();
    match &error {
        GatewayError::Upstream {
            status: 429,
            message,
            provider,
            ..
        } => {
            assert_eq!(provider, "google");
            assert_eq!(
                message,
                "RESOURCE_EXHAUSTED: Resource has been exhausted (e.g. check quota)."
            );
        }
        other => panic!("{other:?}"),
    }
    let error = GeminiGateway::new("").check().unwrap_err().to_string();
    assert!(error.contains("GEMINI_API_KEY"), "{error}");
}

#[tokio::test]
async fn developer_messages_go_as_system_messages() {
    let mock = MockProvider::start().await;
    let request = ChatRequest::new("gemini-2.5-flash")
        .message(fastagentic::llm::Message::new(
            fastagentic::llm::Role::Developer,
            "brief",
        ))
        .user("hi");
    gemini(&mock)
        .chat(&CallContext::detached(), request)
        .await
        .unwrap();
    assert_eq!(
        mock.requests()[0].body["messages"][0],
        json!({"role": "system", "content": "brief"})
    );
}
