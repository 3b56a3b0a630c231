//! `AnthropicGateway` against the mock's Messages API: requests and answers
//! translated field by field, streams in order with usage last, errors
//! typed (529 and 429 retried, 400 not), unsupported parameters refused.

use std::time::Duration;

use fastagentic::llm::{FunctionCall, Message, ToolCall};
use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, ReliableGateway, RetryPolicy};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatStream, GatewayError};
use fastagentic_providers::{AnthropicGateway, DEFAULT_MAX_TOKENS};
use futures_util::StreamExt;
use serde_json::{Value, json};

fn anthropic(mock: &MockProvider) -> AnthropicGateway {
    AnthropicGateway::new("sk-ant-test").base_url(mock.anthropic_base_url())
}

fn weather_call() -> Message {
    let mut call = Message::assistant("Let me look.");
    call.tool_calls = Some(vec![ToolCall {
        id: "toolu_1".into(),
        kind: "function".into(),
        function: FunctionCall {
            name: "weather".into(),
            arguments: r#"{"city":"Paris"}"#.into(),
        },
    }]);
    call
}

#[tokio::test]
async fn a_request_is_translated_field_by_field() {
    let mock = MockProvider::start().await;
    let mut request = ChatRequest::new("claude-sonnet-4-5")
        .system("Be brief.")
        .message(Message {
            content: Some(fastagentic::llm::Content::Parts(vec![
                json!({"type": "text", "text": "What is here?"}),
                json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}),
                json!({"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}),
            ])),
            ..Message::user("")
        })
        .message(weather_call())
        .message(Message::tool("toolu_1", "sunny, 21C"))
        .user("And tomorrow?")
        .temperature(0.2)
        .tool(json!({"type": "function", "function": {"name": "weather", "description": "Weather by city",
                     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}));
    request.top_p = Some(0.9);
    request.stop = Some(json!(["\n\nHuman:", "END"]));
    request.tool_choice = Some(json!({"type": "function", "function": {"name": "weather"}}));
    request.user = Some("user-42".into());
    let reply = AgentContext::standalone(anthropic(&mock))
        .llm()
        .chat(request)
        .await
        .expect("the mock answers");
    assert_eq!(reply.text(), "Mock reply to: And tomorrow?");

    let seen = &mock.requests()[0];
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(
        seen.body,
        json!({
            "model": "claude-sonnet-4-5",
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "What is here?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
                ]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny, 21C"},
                    {"type": "text", "text": "And tomorrow?"},
                ]},
            ],
            "max_tokens": DEFAULT_MAX_TOKENS,
            "stop_sequences": ["\n\nHuman:", "END"],
            "temperature": 0.2,
            "top_p": 0.9,
            "tools": [{"name": "weather", "description": "Weather by city",
                       "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
            "tool_choice": {"type": "tool", "name": "weather"},
            "metadata": {"user_id": "user-42"},
        })
    );
}

#[tokio::test]
async fn several_system_prompts_a_max_tokens_and_tool_choice_modes() {
    let mock = MockProvider::start().await;
    let gateway = anthropic(&mock).default_max_tokens(1000);
    let mut request = ChatRequest::new("claude-haiku-4-5")
        .system("Rule one.")
        .system("Rule two.")
        .user("hi")
        .max_tokens(64)
        .extra("parallel_tool_calls", json!(false));
    request.stop = Some(json!("STOP"));
    request.tool_choice = Some(json!("required"));
    gateway
        .chat(&CallContext::detached(), request)
        .await
        .unwrap();
    gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .unwrap();
    let seen = mock.requests();
    assert_eq!(
        seen[0].body["system"],
        json!([{"type": "text", "text": "Rule one."}, {"type": "text", "text": "Rule two."}])
    );
    assert_eq!(seen[0].body["max_tokens"], 64);
    assert_eq!(seen[0].body["stop_sequences"], json!(["STOP"]));
    assert_eq!(
        seen[0].body["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    assert_eq!(
        seen[0].body["messages"],
        json!([{"role": "user", "content": "hi"}])
    );
    assert_eq!(seen[1].body["max_tokens"], 1000, "the gateway's default");
    assert!(seen[1].body.get("system").is_none());
}

#[tokio::test]
async fn an_answer_with_tool_use_is_translated_with_usage_and_cost() {
    let mock = MockProvider::start().await;
    mock.push(
        MockReply::raw(
            200,
            json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                   "content": [{"type": "text", "text": "Checking."},
                               {"type": "tool_use", "id": "toolu_9", "name": "weather", "input": {"city": "Oslo"}}],
                   "stop_reason": "tool_use", "stop_sequence": null,
                   "usage": {"input_tokens": 1000, "output_tokens": 200}})
            .to_string(),
            "application/json",
        )
        .header("request-id", "req_123"),
    );
    let reply = AgentContext::standalone(anthropic(&mock))
        .llm()
        .chat(ChatRequest::new("claude-sonnet-4-5").user("weather in Oslo?"))
        .await
        .unwrap();
    assert_eq!(reply.id, "msg_01");
    assert_eq!(reply.object, "chat.completion");
    assert_eq!(reply.model, "claude-sonnet-4-5-20250929");
    assert_eq!(reply.text(), "Checking.");
    assert_eq!(
        reply.choices[0].finish_reason.as_deref(),
        Some("tool_calls")
    );
    let call = &reply.tool_calls()[0];
    assert_eq!(
        (call.id.as_str(), call.kind.as_str()),
        ("toolu_9", "function")
    );
    assert_eq!(call.function.name, "weather");
    assert_eq!(
        serde_json::from_str::<Value>(&call.function.arguments).unwrap(),
        json!({"city": "Oslo"})
    );
    let usage = reply.usage.clone().unwrap();
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (1000, 200, 1200)
    );
    // claude-sonnet-4-5: $3 in, $15 out per million tokens.
    let cost = usage.cost.expect("the price table knows the model");
    assert!((cost - (0.003 + 0.003)).abs() < 1e-9, "{cost}");
    assert_eq!(reply.gateway_metadata["anthropic"]["request_id"], "req_123");

    // A stop sequence and a length stop map to OpenAI's reasons.
    for (stop, finish) in [
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("end_turn", "stop"),
    ] {
        mock.push(MockReply::raw(
            200,
            json!({"id": "m", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
                   "content": [{"type": "text", "text": "x"}], "stop_reason": stop, "stop_sequence": null,
                   "usage": {"input_tokens": 1, "output_tokens": 1}})
            .to_string(),
            "application/json",
        ));
        let reply = anthropic(&mock)
            .chat(
                &CallContext::detached(),
                ChatRequest::new("claude-haiku-4-5").user("x"),
            )
            .await
            .unwrap();
        assert_eq!(
            reply.choices[0].finish_reason.as_deref(),
            Some(finish),
            "{stop}"
        );
    }
}

async fn chunks(mut stream: ChatStream) -> Vec<Result<fastagentic::StreamChunk, GatewayError>> {
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        out.push(item);
    }
    out
}

#[tokio::test]
async fn a_stream_becomes_openai_chunks_in_order_with_usage_last() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::stream(["Hello", " there", "!"]).usage(7, 3));
    let stream = anthropic(&mock)
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .expect("the stream opens");
    let items = chunks(stream).await;
    let chunks: Vec<_> = items.into_iter().map(|c| c.expect("no error")).collect();
    assert_eq!(mock.requests()[0].body["stream"], json!(true));
    assert_eq!(
        chunks[0].choices[0].delta.role,
        Some(fastagentic::llm::Role::Assistant)
    );
    let text: String = chunks.iter().map(|c| c.delta_text()).collect();
    assert_eq!(text, "Hello there!");
    let texts: Vec<&str> = chunks
        .iter()
        .map(|c| c.delta_text())
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(texts, ["Hello", " there", "!"]);
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish.choices[0].finish_reason.as_deref(), Some("stop"));
    let last = chunks.last().unwrap();
    assert!(last.choices.is_empty());
    let usage = last.usage.clone().expect("usage last");
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (7, 3, 10)
    );
    assert!(
        chunks
            .iter()
            .all(|c| c.id == "msg_mock" && c.object == "chat.completion.chunk")
    );
    assert_eq!(mock.streams_completed(), 1);
}

#[tokio::test]
async fn a_streamed_tool_call_arrives_as_tool_call_deltas() {
    let mock = MockProvider::start().await;
    let events = [
        json!({"type": "message_start", "message": {"id": "msg_t", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [], "stop_reason": null, "usage": {"input_tokens": 20, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "toolu_s", "name": "weather", "input": {}}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": "}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "\"Rome\"}"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 12}}),
        json!({"type": "message_stop"}),
    ];
    let body: String = events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect();
    mock.push(MockReply::raw(200, body, "text/event-stream"));
    let stream = anthropic(&mock)
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("claude-sonnet-4-5").user("Rome?"),
        )
        .await
        .unwrap();
    let chunks: Vec<_> = chunks(stream)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c.choices.first()?.delta.tool_calls.as_ref()?.first())
        .collect();
    assert_eq!(calls[0]["id"], "toolu_s");
    assert_eq!(calls[0]["function"]["name"], "weather");
    let arguments: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).unwrap(),
        json!({"city": "Rome"})
    );
    assert!(calls.iter().all(|c| c["index"] == 0));
    let finish = chunks
        .iter()
        .find_map(|c| c.choices.first()?.finish_reason.clone());
    assert_eq!(finish.as_deref(), Some("tool_calls"));
    assert_eq!(
        chunks
            .last()
            .unwrap()
            .usage
            .as_ref()
            .map(|u| u.output_tokens),
        Some(12)
    );
}

#[tokio::test]
async fn broken_streams_are_reported_not_ended_quietly() {
    let mock = MockProvider::start().await;
    // Cut after message_start, the block's start, a ping and two deltas.
    mock.push(
        MockReply::stream(["a", "b", "c"])
            .chunk_interval(Duration::from_millis(20))
            .drop_after(5),
    );
    let stream = anthropic(&mock)
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .unwrap();
    let items = chunks(stream).await;
    assert!(
        matches!(
            items.last(),
            Some(Err(GatewayError::StreamInterrupted { .. }))
        ),
        "{items:?}"
    );

    // An error event in the middle of the stream.
    let body = format!(
        "event: message_start\ndata: {}\n\nevent: error\ndata: {}\n\n",
        json!({"type": "message_start", "message": {"id": "m", "model": "claude-haiku-4-5", "usage": {"input_tokens": 1}}}),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
    mock.push(MockReply::raw(200, body, "text/event-stream"));
    let stream = anthropic(&mock)
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .unwrap();
    let items = chunks(stream).await;
    match items.last() {
        Some(Err(GatewayError::StreamInterrupted {
            message, chunks, ..
        })) => {
            assert!(message.contains("overloaded_error"), "{message}");
            assert_eq!(*chunks, 1);
        }
        other => panic!("expected an interruption, got {other:?}"),
    }
}

fn quick_retry() -> RetryPolicy {
    RetryPolicy::new(3).backoff(Backoff::fixed(Duration::from_millis(1)))
}

#[tokio::test]
async fn overloaded_and_rate_limited_are_retried_invalid_requests_are_not() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(529).message("Overloaded"));
    mock.push(MockReply::status(429).message("Number of requests has exceeded your rate limit"));
    mock.push(MockReply::text("third time lucky"));
    let gateway = ReliableGateway::new(anthropic(&mock)).retry(quick_retry());
    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .expect("retried into an answer");
    assert_eq!(reply.text(), "third time lucky");
    assert_eq!(mock.request_count(), 3);

    // The errors themselves, typed.
    mock.clear_requests();
    mock.push(MockReply::status(529).message("Overloaded"));
    let error = anthropic(&mock)
        .chat(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .unwrap_err();
    match &error {
        GatewayError::Upstream {
            status,
            message,
            provider,
            ..
        } => {
            assert_eq!((*status, provider.as_str()), (529, "anthropic"));
            assert_eq!(message, "overloaded_error: Overloaded");
        }
        other => panic!("{other:?}"),
    }
    mock.push(MockReply::status(429).retry_after(Duration::from_secs(2)));
    let error = anthropic(&mock)
        .chat(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert!(error.to_string().contains("rate_limit_error"), "{error}");

    mock.clear_requests();
    mock.push(MockReply::status(400).message("messages: roles must alternate"));
    let error = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("claude-haiku-4-5").user("hi"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(
        error.to_string().contains("invalid_request_error"),
        "{error}"
    );
    assert_eq!(mock.request_count(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn parameters_anthropic_cannot_honour_are_refused_with_a_400() {
    let mock = MockProvider::start().await;
    let gateway = anthropic(&mock);
    let mut two = ChatRequest::new("claude-haiku-4-5").user("hi");
    two.n = Some(2);
    let logprobs = ChatRequest::new("claude-haiku-4-5")
        .user("hi")
        .extra("logprobs", json!(true));
    let top = ChatRequest::new("claude-haiku-4-5")
        .user("hi")
        .extra("top_logprobs", json!(3));
    for (request, field) in [
        (two, "n = 2"),
        (logprobs, "logprobs"),
        (top, "top_logprobs"),
    ] {
        let error = gateway
            .chat(&CallContext::detached(), request.clone())
            .await
            .unwrap_err();
        match &error {
            GatewayError::Rejected {
                status: 400,
                message,
            } => assert!(message.contains(field), "{message}"),
            other => panic!("{field}: {other:?}"),
        }
        let error = gateway
            .chat_stream(&CallContext::detached(), request)
            .await
            .unwrap_err();
        assert!(
            matches!(error, GatewayError::Rejected { status: 400, .. }),
            "{error:?}"
        );
    }
    assert_eq!(
        mock.request_count(),
        0,
        "nothing refused reaches the provider"
    );
    // n = 1 and logprobs = false ask for nothing Anthropic lacks.
    let mut one = ChatRequest::new("claude-haiku-4-5")
        .user("hi")
        .extra("logprobs", json!(false));
    one.n = Some(1);
    gateway
        .chat(&CallContext::detached(), one)
        .await
        .expect("allowed");
}

#[tokio::test]
async fn no_embeddings_and_bad_settings_are_named_at_check() {
    let mock = MockProvider::start().await;
    let error = anthropic(&mock)
        .embed(
            &CallContext::detached(),
            fastagentic::EmbeddingRequest::new("x", ["a"]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, GatewayError::Unsupported { .. }),
        "{error:?}"
    );
    let error = AnthropicGateway::new(" ").check().unwrap_err().to_string();
    assert!(error.contains("ANTHROPIC_API_KEY"), "{error}");
    let error = anthropic(&mock)
        .base_url("ftp://x")
        .default_max_tokens(0)
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("max_tokens") && error.contains("http"),
        "{error}"
    );
}
