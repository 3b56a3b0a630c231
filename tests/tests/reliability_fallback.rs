//! Fallback chains against `MockProvider` faults: a 503 on the primary
//! falls back and the answer says which target answered; another provider
//! gets its own key and model; a 400 does not fall back; a stream that breaks
//! before its first token falls back, one that breaks later ends with a
//! clean error event.

use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, ReliableGateway, RetryPolicy, Target};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatStream};
use futures_util::StreamExt;
use serde_json::{Value, json};

fn openai(mock: &MockProvider) -> OpenAiGateway {
    OpenAiGateway::new("sk-test").base_url(mock.base_url())
}

async fn collect(mut stream: ChatStream) -> (String, Option<String>) {
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => text.push_str(chunk.delta_text()),
            Err(error) => return (text, Some(error.kind().to_owned())),
        }
    }
    (text, None)
}

#[tokio::test]
async fn a_503_on_the_primary_falls_back_and_says_who_answered() {
    let mock = MockProvider::start().await;
    mock.on_model("gpt-4o", MockReply::status(503));
    mock.on_model("gpt-4o-mini", MockReply::text("from the fallback"));
    let gateway = ReliableGateway::new(openai(&mock)).fallback([Target::model("gpt-4o-mini")]);

    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("the fallback answers");
    assert_eq!(reply.text(), "from the fallback");
    assert_eq!(reply.model, "gpt-4o-mini");
    assert_eq!(
        reply.gateway_metadata["fastagentic"],
        json!({
            "target_index": 1,
            "model": "gpt-4o-mini",
            "attempts": 1,
            "failed": [{"target_index": 0, "model": "gpt-4o", "error": "upstream_error", "status": 503}],
        })
    );
    assert_eq!(mock.requests_for_model("gpt-4o"), 1);
    assert_eq!(mock.requests_for_model("gpt-4o-mini"), 1);

    // A healthy primary answers itself.
    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o-mini").user("hi"),
        )
        .await
        .unwrap();
    assert_eq!(reply.gateway_metadata["fastagentic"]["target_index"], 0);
    assert_eq!(reply.gateway_metadata["fastagentic"]["failed"], json!([]));
}

#[tokio::test]
async fn a_target_with_its_own_provider_gets_its_own_key_and_model() {
    let primary = MockProvider::start().await;
    primary.set_default(MockReply::status(500));
    let other = MockProvider::start().await;
    other.set_default(MockReply::text("from the other provider"));
    let gateway = ReliableGateway::new(openai(&primary)).fallback([Target::gateway(
        OpenAiGateway::new("sk-other").base_url(other.base_url()),
    )
    .with_model("claude-3-5-haiku")]);

    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("the other provider answers");
    assert_eq!(reply.text(), "from the other provider");
    assert_eq!(primary.request_count(), 1);
    let seen = other.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].model(), Some("claude-3-5-haiku"));
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-other"));
    assert_eq!(reply.gateway_metadata["fastagentic"]["target_index"], 1);
}

#[tokio::test]
async fn errors_not_named_do_not_fall_back_and_the_last_error_wins() {
    let mock = MockProvider::start().await;
    mock.on_model("gpt-4o", MockReply::status(400).message("bad tool schema"));
    let gateway = ReliableGateway::new(openai(&mock)).fallback([Target::model("gpt-4o-mini")]);
    let error = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect_err("a 400 is returned as is");
    assert_eq!(error.status(), Some(400));
    assert_eq!(
        mock.requests_for_model("gpt-4o-mini"),
        0,
        "another model would refuse it too"
    );

    // Every target failing: each tried once, in order, the last error returned.
    let mock = MockProvider::start().await;
    mock.on_model("a", MockReply::status(503));
    mock.on_model("b", MockReply::status(502));
    mock.on_model("c", MockReply::status(429));
    let gateway =
        ReliableGateway::new(openai(&mock)).fallback([Target::model("b"), Target::model("c")]);
    let error = gateway
        .chat(&CallContext::detached(), ChatRequest::new("a").user("hi"))
        .await
        .expect_err("all fail");
    assert_eq!(error.status(), Some(429));
    let order: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| r.model().unwrap_or("").to_owned())
        .collect();
    assert_eq!(order, ["a", "b", "c"]);
}

#[tokio::test]
async fn each_target_is_retried_before_the_chain_moves_on() {
    let mock = MockProvider::start().await;
    mock.on_model("primary", MockReply::status(503));
    mock.push_for_model("backup", MockReply::status(503));
    mock.push_for_model("backup", MockReply::text("backup, second try"));
    let gateway = ReliableGateway::new(openai(&mock))
        .retry(RetryPolicy::new(2).backoff(Backoff::fixed(Duration::from_millis(1))))
        .fallback([Target::model("backup")]);
    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("primary").user("hi"),
        )
        .await
        .expect("the backup answers on its second attempt");
    assert_eq!(reply.text(), "backup, second try");
    assert_eq!(mock.requests_for_model("primary"), 2, "retried, then left");
    assert_eq!(mock.requests_for_model("backup"), 2);
    let section = &reply.gateway_metadata["fastagentic"];
    assert_eq!(section["target_index"], 1);
    assert_eq!(
        section["attempts"], 2,
        "calls made to the target that answered"
    );
}

#[tokio::test]
async fn a_stream_that_breaks_before_its_first_token_falls_back() {
    let mock = MockProvider::start().await;
    mock.on_model("gpt-4o", MockReply::stream(["never", "sent"]).drop_after(0));
    mock.on_model(
        "gpt-4o-mini",
        MockReply::stream(["from ", "the ", "fallback"]),
    );
    let gateway = ReliableGateway::new(openai(&mock)).fallback([Target::model("gpt-4o-mini")]);

    let stream = gateway
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("the fallback streams");
    assert_eq!(stream.gateway_metadata["fastagentic"]["target_index"], 1);
    // Cut before any frame: the connection fails while the stream opens, or
    // right after (depending on timing); both count as "before the first token".
    let failure = &stream.gateway_metadata["fastagentic"]["failed"][0]["error"];
    assert!(
        failure == "stream_interrupted" || failure == "upstream_unreachable",
        "{failure}"
    );
    let (text, error) = collect(stream).await;
    assert_eq!(text, "from the fallback");
    assert_eq!(error, None);
    assert_eq!(mock.requests_for_model("gpt-4o"), 1);
    assert_eq!(mock.requests_for_model("gpt-4o-mini"), 1);

    // A stream that opens with 200 and ends before any chunk (no `[DONE]`)
    // is a failed call too.
    let mock = MockProvider::start().await;
    mock.on_model(
        "gpt-4o",
        MockReply::raw(200, ": keep-alive\n\n", "text/event-stream"),
    );
    mock.on_model("gpt-4o-mini", MockReply::stream(["fine"]));
    let gateway = ReliableGateway::new(openai(&mock)).fallback([Target::model("gpt-4o-mini")]);
    let stream = gateway
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("the fallback streams");
    assert_eq!(
        stream.gateway_metadata["fastagentic"]["failed"][0]["error"],
        "stream_interrupted"
    );
    assert_eq!(collect(stream).await, ("fine".to_owned(), None));

    // A stream refused with a status falls back the same way.
    let mock = MockProvider::start().await;
    mock.on_model("gpt-4o", MockReply::status(503));
    mock.on_model("gpt-4o-mini", MockReply::stream(["ok"]));
    let gateway = ReliableGateway::new(openai(&mock)).fallback([Target::model("gpt-4o-mini")]);
    let stream = gateway
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("the fallback streams");
    assert_eq!(collect(stream).await, ("ok".to_owned(), None));
}

// ---- through an app: the SSE a client sees ----

#[derive(Deserialize, JsonSchema)]
struct Ask {
    message: String,
}

/// Streams the primary model's answer.
#[agent_endpoint(path = "/stream", stream = true)]
async fn stream(ctx: AgentContext, input: Ask) -> Result<ChatStream, AgentError> {
    Ok(ctx
        .llm()
        .chat_stream(ChatRequest::new("gpt-4o").user(input.message))
        .await?)
}

#[derive(Serialize, JsonSchema)]
struct Reply {
    text: String,
    answered_by: Value,
}

/// Answers with the text and which target answered.
#[agent_endpoint(path = "/chat")]
async fn chat(ctx: AgentContext, input: Ask) -> Result<Reply, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o").user(input.message))
        .await?;
    Ok(Reply {
        text: reply.text().to_owned(),
        answered_by: reply.gateway_metadata["fastagentic"].clone(),
    })
}

async fn start(mock: &MockProvider) -> fastagentic::ServerHandle {
    App::new("Fallback test")
        .llm_gateway(ReliableGateway::new(openai(mock)).fallback([Target::model("gpt-4o-mini")]))
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts")
}

async fn post(url: &str, body: Value) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn data_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect()
}

#[tokio::test]
async fn an_endpoint_answer_says_which_target_answered() {
    let mock = MockProvider::start().await;
    mock.on_model("gpt-4o", MockReply::status(503));
    mock.on_model("gpt-4o-mini", MockReply::text("mini here"));
    let app = start(&mock).await;
    let (status, body) = post(&format!("{}/chat", app.url()), json!({"message": "hi"})).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["text"], "mini here");
    assert_eq!(body["answered_by"]["target_index"], 1);
    assert_eq!(body["answered_by"]["model"], "gpt-4o-mini");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_sse_stream_falls_back_before_its_first_token() {
    let mock = MockProvider::start().await;
    mock.on_model("gpt-4o", MockReply::stream(["lost"]).drop_after(0));
    mock.on_model("gpt-4o-mini", MockReply::stream(["saved ", "by ", "mini"]));
    let app = start(&mock).await;
    let (status, text) = post(&format!("{}/stream", app.url()), json!({"message": "hi"})).await;
    assert_eq!(status, 200);
    let data = data_lines(&text);
    assert_eq!(data.last(), Some(&"[DONE]"), "{text}");
    assert!(!text.contains("event: error"), "{text}");
    let words: String = data
        .iter()
        .filter(|d| **d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(words, "saved by mini");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_sse_stream_that_breaks_later_ends_with_a_clean_error_event() {
    let mock = MockProvider::start().await;
    mock.on_model(
        "gpt-4o",
        MockReply::stream(["one ", "two ", "three"])
            .chunk_interval(Duration::from_millis(20))
            .drop_after(2),
    );
    mock.on_model("gpt-4o-mini", MockReply::text("must not be used"));
    let app = start(&mock).await;
    let (status, text) = post(&format!("{}/stream", app.url()), json!({"message": "hi"})).await;
    assert_eq!(status, 200);
    assert!(text.contains("event: error\n"), "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
    let data = data_lines(&text);
    let error: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(error["error"]["type"], "stream_interrupted");
    let contents = data.iter().filter(|d| d.contains("\"content\"")).count();
    assert_eq!(
        contents, 2,
        "the chunks before the break arrived, once: {text}"
    );
    assert_eq!(
        mock.requests_for_model("gpt-4o-mini"),
        0,
        "a stream already under way never falls back"
    );
    assert_eq!(mock.requests_for_model("gpt-4o"), 1, "nor is it retried");
    app.shutdown().await.unwrap();
}
