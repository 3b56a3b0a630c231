//! Streaming endpoints: chunks pass through byte for byte and in order,
//! usage reaches `on_llm_end`, and a stream that breaks ends with a clean
//! SSE error event.

use std::sync::Mutex;
use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use futures_util::StreamExt;
use serde_json::Value;

#[derive(Deserialize, JsonSchema)]
struct Ask {
    message: String,
}

/// Streams the answer.
#[agent_endpoint(path = "/stream", stream = true)]
async fn stream(ctx: AgentContext, input: Ask) -> Result<ChatStream, AgentError> {
    Ok(ctx
        .llm()
        .chat_stream(ChatRequest::new("gpt-4o-mini").user(input.message))
        .await?)
}

#[derive(Serialize)]
struct Word {
    word: String,
}

/// Streams the endpoint's own events.
#[agent_endpoint(path = "/words", stream = true)]
async fn words(input: Ask) -> Result<AgentStream, AgentError> {
    let items: Vec<Result<Word, AgentError>> = input
        .message
        .split(' ')
        .map(|w| Ok(Word { word: w.to_owned() }))
        .collect();
    Ok(AgentStream::json(futures_util::stream::iter(items)))
}

static ENDS: Mutex<Vec<(u64, Option<f64>, String)>> = Mutex::new(Vec::new());

#[hook("on_llm_end")]
async fn record_end(ctx: &HookContext) {
    let text = ctx
        .response()
        .and_then(|r| r["text"].as_str())
        .unwrap_or("")
        .to_owned();
    ENDS.lock()
        .unwrap()
        .push((ctx.usage.total_tokens, ctx.usage.cost, text));
}

async fn start() -> (fastagentic::ServerHandle, MockProvider) {
    let mock = MockProvider::start().await;
    let handle = App::new("Streaming test")
        .llm_gateway(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    (handle, mock)
}

async fn sse(url: &str, body: &str) -> (u16, String, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

fn data_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect()
}

#[tokio::test]
async fn chunks_pass_through_in_order_byte_for_byte() {
    let (app, mock) = start().await;
    mock.push(MockReply::stream(["Hel", "lo", " world"]).usage(7, 3));
    let (status, content_type, text) =
        sse(&format!("{}/stream", app.url()), r#"{"message": "hi"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/event-stream");
    let data = data_lines(&text);
    assert_eq!(data.last(), Some(&"[DONE]"));

    let texts: Vec<String> = data
        .iter()
        .filter(|d| **d != "[DONE]")
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(texts, ["Hel", "lo", " world"]);
    // Byte for byte: the mock writes keys in sorted order; a re-encoding
    // through `ChatChunk` would put `id` first and `created` last.
    assert_eq!(
        data[0],
        r#"{"choices":[{"delta":{"content":"Hel","role":"assistant"},"finish_reason":null,"index":0}],"created":1700000000,"id":"chatcmpl-mock","model":"gpt-4o-mini","object":"chat.completion.chunk"}"#
    );

    let ends = ENDS.lock().unwrap().clone();
    let end = ends
        .iter()
        .find(|e| e.2 == "Hello world")
        .expect("on_llm_end ran after the stream");
    assert_eq!(end.0, 10, "usage from the final chunk");
    assert!(
        end.1.is_some_and(|c| c > 0.0),
        "cost from the price table for gpt-4o-mini"
    );
}

#[tokio::test]
async fn a_stream_that_breaks_ends_with_an_error_event() {
    let (app, mock) = start().await;
    // The interval lets the first chunks leave before the cut.
    mock.push(
        MockReply::stream(["one ", "two ", "three"])
            .chunk_interval(Duration::from_millis(30))
            .drop_after(2),
    );
    let (status, _, text) = sse(&format!("{}/stream", app.url()), r#"{"message": "hi"}"#).await;
    assert_eq!(status, 200);
    assert!(text.contains("event: error\n"), "{text}");
    let data = data_lines(&text);
    let error: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(error["error"]["type"], "stream_interrupted");
    assert!(!text.contains("[DONE]"));
    let contents = data.iter().filter(|d| d.contains("\"content\"")).count();
    assert_eq!(contents, 2, "the chunks before the break arrived: {text}");
}

#[tokio::test]
async fn a_stream_that_fails_before_it_starts_is_a_plain_error() {
    let (app, mock) = start().await;
    mock.push(MockReply::status(500));
    let (status, content_type, text) =
        sse(&format!("{}/stream", app.url()), r#"{"message": "hi"}"#).await;
    assert_eq!(status, 502, "{text}");
    assert_eq!(content_type, "application/json");
}

#[tokio::test]
async fn own_events_are_json_lines() {
    let (app, _mock) = start().await;
    let (status, _, text) = sse(&format!("{}/words", app.url()), r#"{"message": "a b"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(
        data_lines(&text),
        [r#"{"word":"a"}"#, r#"{"word":"b"}"#, "[DONE]"]
    );
}

#[tokio::test]
async fn chunks_arrive_as_they_are_produced() {
    // The mock sends a chunk every 700 ms. The first chunk reaching the
    // client before the mock has finished its stream (an event counted at
    // the mock, not a clock) shows it was not held back until the end.
    let (app, mock) = start().await;
    mock.push(MockReply::stream(["a", "b", "c", "d"]).chunk_interval(Duration::from_millis(700)));
    let response = reqwest::Client::new()
        .post(format!("{}/stream", app.url()))
        .header("content-type", "application/json")
        .body(r#"{"message": "hi"}"#)
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("\"a\""));
    let sent_by_then = mock.frames_sent();
    assert!(
        sent_by_then < 4,
        "the first chunk is not held back until the upstream stream ends: {sent_by_then} frames sent"
    );
    let mut rest = Vec::new();
    while let Some(bytes) = body.next().await {
        rest.extend_from_slice(&bytes.unwrap());
    }
    assert!(
        mock.frames_sent() >= 5,
        "later chunks came later: {} frames sent",
        mock.frames_sent()
    );
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
}
