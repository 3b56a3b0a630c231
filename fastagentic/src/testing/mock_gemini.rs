//! The mock's copy of Google's native Gemini API:
//! `POST /v1beta/models/{model}:generateContent` and
//! `:streamGenerateContent` (SSE with `alt=sse`, else one JSON array), also
//! under `/v1/`, as Google's SDKs, the Portkey gateway and LiteLLM call it.
//! The script (queues, per-model replies, faults) is the one of the other
//! routes.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{StatusCode, header};
use serde_json::{Value, json};

use super::mock_provider::{
    Frames, MockState, Pieces, frame_stream, output_words, scripted_failure, with_headers, words,
};
use super::mock_reply::MockToolCall;

/// Google's status name for an HTTP status.
pub(super) fn google_status(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    }
}

/// The native API's error body: one object (the OpenAI-compatible endpoint
/// wraps the same object in a list).
fn native_error(status: u16, message: &str) -> Value {
    json!({"error": {"code": status, "message": message, "status": google_status(status)}})
}

/// The texts of a `contents` entry's (or `systemInstruction`'s) parts.
fn part_texts(content: &Value) -> impl Iterator<Item = &str> {
    content
        .get("parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|part| part.get("text").and_then(Value::as_str))
}

/// The words of the prompt: system instruction and every turn's text parts.
fn prompt_words(body: &Value) -> u64 {
    let system: u64 = body
        .get("systemInstruction")
        .map_or(0, |s| part_texts(s).map(words).sum());
    let turns: u64 = body
        .get("contents")
        .and_then(Value::as_array)
        .map_or(0, |c| c.iter().flat_map(part_texts).map(words).sum());
    system + turns
}

/// The last user turn's text, for the echo.
fn last_user_text(body: &Value) -> String {
    body.get("contents")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .rev()
                .find(|c| c.get("role").and_then(Value::as_str).unwrap_or("user") == "user")
        })
        .map(|c| part_texts(c).collect())
        .unwrap_or_default()
}

/// `POST /v1beta/models/{model}:{method}` (and `/v1/`): refused without an
/// API key (`x-goog-api-key` or `?key=`), 404 for a method it does not know.
pub(super) async fn gemini_native(
    State(state): State<Arc<MockState>>,
    Path(call): Path<String>,
    request: Request,
) -> Response {
    let captured = state.capture(request).await;
    let query = captured.query.clone().unwrap_or_default();
    let keyed = captured.header("x-goog-api-key").is_some()
        || query.split('&').any(|pair| pair.starts_with("key="));
    if !keyed {
        let json = native_error(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        );
        return (StatusCode::FORBIDDEN, axum::Json(json)).into_response();
    }
    let (model, method) = call.split_once(':').unwrap_or((call.as_str(), ""));
    let stream = match method {
        "generateContent" => false,
        "streamGenerateContent" => true,
        _ => {
            let json = native_error(404, &format!("method `{method}` is not served"));
            return (StatusCode::NOT_FOUND, axum::Json(json)).into_response();
        }
    };
    let sse = query.split('&').any(|pair| pair == "alt=sse");
    let body = captured.body;
    let reply = state.next_reply(model);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let model = reply.model.clone().unwrap_or_else(|| model.to_owned());
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(failure) = scripted_failure(&reply, native_error) {
        return failure;
    }
    let pieces = Pieces::of(
        &reply,
        &json!({"messages": [{"role": "user", "content": last_user_text(&body)}]}),
    );
    let tool = reply.scripted_tool_call().cloned();
    let (input, output) = reply
        .usage
        .unwrap_or((prompt_words(&body), output_words(&pieces, tool.as_ref())));
    let frames = GeminiFrames {
        model,
        pieces,
        tool,
        input,
        output,
        sse,
    };
    let response = if stream {
        let content_type = if sse {
            "text/event-stream"
        } else {
            "application/json"
        };
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from_stream(frame_stream(
                frames,
                state.clone(),
                &reply,
            )))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    } else {
        (status, axum::Json(frames.whole())).into_response()
    };
    with_headers(response, &reply)
}

/// A `GenerateContentResponse` streamed: one per piece (or one carrying the
/// function call), the last with `finishReason` and `usageMetadata`; as SSE
/// events, or as the elements of one JSON array, one per line.
struct GeminiFrames {
    model: String,
    pieces: Pieces,
    tool: Option<MockToolCall>,
    input: u64,
    output: u64,
    sse: bool,
}

impl GeminiFrames {
    fn chunks(&self) -> usize {
        if self.tool.is_some() {
            1
        } else {
            self.pieces.len().max(1)
        }
    }

    fn usage(&self) -> Value {
        json!({"promptTokenCount": self.input, "candidatesTokenCount": self.output,
               "totalTokenCount": self.input + self.output})
    }

    /// A response carrying `parts`, finished (with usage) when `last`.
    fn response(&self, parts: Value, last: bool) -> Value {
        let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
        let mut response = json!({"modelVersion": self.model, "responseId": "mock-response"});
        if last {
            candidate["finishReason"] = json!("STOP");
            response["usageMetadata"] = self.usage();
        }
        response["candidates"] = json!([candidate]);
        response
    }

    fn parts(&self, i: usize) -> Value {
        match &self.tool {
            Some(tool) => json!([{"functionCall": {"name": tool.name, "args": tool.arguments}}]),
            None => json!([{"text": self.pieces.get(i)}]),
        }
    }

    /// The plain answer.
    fn whole(&self) -> Value {
        match &self.tool {
            Some(_) => self.response(self.parts(0), true),
            None => self.response(json!([{"text": self.pieces.text()}]), true),
        }
    }
}

impl Frames for GeminiFrames {
    fn count(&self) -> usize {
        // JSON-array streams end with the closing bracket.
        self.chunks() + usize::from(!self.sse)
    }

    fn frame(&self, i: usize) -> Bytes {
        let n = self.chunks();
        if i == n {
            return Bytes::from_static(b"]");
        }
        let json = self.response(self.parts(i), i + 1 == n);
        if self.sse {
            Bytes::from(format!("data: {json}\r\n\r\n"))
        } else {
            // One element per CRLF-ended line, the comma at its end: the
            // Portkey gateway reads this stream line by line.
            let lead = if i == 0 { "[" } else { "" };
            let comma = if i + 1 < n { "," } else { "" };
            Bytes::from(format!("{lead}{json}{comma}\r\n"))
        }
    }
}
