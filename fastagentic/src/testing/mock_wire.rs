//! The mock's other wire formats: Anthropic's Messages API (answers, the
//! SSE event stream, error bodies), Azure OpenAI's deployment paths and
//! Google's OpenAI-compatible paths for Gemini. The script (queues, per-model
//! replies, faults) is the one of the OpenAI routes.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{StatusCode, header};
use serde_json::{Value, json};

use super::mock_provider::{
    Frames, MockState, Pieces, chat_as, frame_stream, output_words, scripted_failure, with_headers,
    words,
};
use super::mock_reply::MockToolCall;

/// Anthropic's error `type` for a status.
fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// Google's error body: a list of one error with a status name.
pub(super) fn google_error(status: u16, message: &str) -> Value {
    let name = super::mock_gemini::google_status(status);
    json!([{"error": {"code": status, "message": message, "status": name}}])
}

/// The words of a Messages API prompt: system and message texts, string or blocks.
fn prompt_words(body: &Value) -> u64 {
    let text_words = |content: &Value| match content {
        Value::String(text) => words(text),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .map(words)
            .sum(),
        _ => 0,
    };
    let system = body.get("system").map_or(0, text_words);
    let messages: u64 = body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, |m| {
            m.iter()
                .filter_map(|m| m.get("content"))
                .map(text_words)
                .sum()
        });
    system + messages
}

/// The text of the last user turn: a string, or its text blocks joined.
fn last_user_text(body: &Value) -> String {
    let content = body
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        })
        .and_then(|m| m.get("content"));
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// `POST /v1/messages`: Anthropic's Messages API. A request without
/// credentials (`x-api-key`, or `Authorization: Bearer` as Anthropic's SDKs
/// send an auth token), `anthropic-version` or `max_tokens` is refused as
/// Anthropic refuses it.
pub(super) async fn anthropic(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let captured = state.capture(request).await;
    let body = captured.body.clone();
    let refuse = |status: StatusCode, message: &str| {
        let kind = anthropic_error_type(status.as_u16());
        (
            status,
            axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
        )
            .into_response()
    };
    if captured.header("x-api-key").is_none() && captured.header("authorization").is_none() {
        return refuse(StatusCode::UNAUTHORIZED, "x-api-key header is required");
    }
    if captured.header("anthropic-version").is_none() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "anthropic-version: header is required",
        );
    }
    if body.get("max_tokens").and_then(Value::as_u64).is_none() {
        return refuse(StatusCode::BAD_REQUEST, "max_tokens: Field required");
    }
    let asked = captured.model().unwrap_or("claude-mock").to_owned();
    let reply = state.next_reply(&asked);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let model = reply.model.clone().unwrap_or(asked);
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(failure) = scripted_failure(
        &reply,
        |status, message| json!({"type": "error", "error": {"type": anthropic_error_type(status), "message": message}}),
    ) {
        return failure;
    }
    // The echo answers the last user turn's text (its text blocks joined).
    let pieces = Pieces::of(
        &reply,
        &json!({"messages": [{"role": "user", "content": last_user_text(&body)}]}),
    );
    let tool = reply.scripted_tool_call().cloned();
    let (input, output) = reply
        .usage
        .unwrap_or((prompt_words(&body), output_words(&pieces, tool.as_ref())));
    let response = if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let frames = AnthropicFrames {
            model,
            pieces,
            tool,
            input,
            output,
        };
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .header("request-id", "req_mock")
            .body(Body::from_stream(frame_stream(
                frames,
                state.clone(),
                &reply,
            )))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    } else {
        let (content, stop_reason) = match &tool {
            Some(tool) => (
                json!([{"type": "tool_use", "id": anthropic_tool_id(tool), "name": tool.name, "input": tool.arguments}]),
                "tool_use",
            ),
            None => (json!([{"type": "text", "text": pieces.text()}]), "end_turn"),
        };
        let json = json!({
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": content,
            "stop_reason": stop_reason, "stop_sequence": null,
            "usage": {"input_tokens": input, "output_tokens": output},
        });
        let mut response = (status, axum::Json(json)).into_response();
        response
            .headers_mut()
            .insert("request-id", http::HeaderValue::from_static("req_mock"));
        response
    };
    with_headers(response, &reply)
}

/// A tool call's id as Anthropic writes them (`toolu_...`).
fn anthropic_tool_id(tool: &MockToolCall) -> String {
    format!("toolu_{}", tool.id.trim_start_matches("call_"))
}

/// Anthropic's event stream: `message_start`, a text block (start, `ping`,
/// one delta per piece, stop) or a `tool_use` block (start, `ping`, the
/// arguments as one `input_json_delta`, stop), `message_delta` with the
/// output tokens, `message_stop`.
struct AnthropicFrames {
    model: String,
    pieces: Pieces,
    tool: Option<MockToolCall>,
    input: u64,
    output: u64,
}

impl AnthropicFrames {
    fn deltas(&self) -> usize {
        if self.tool.is_some() {
            1
        } else {
            self.pieces.len()
        }
    }
}

impl Frames for AnthropicFrames {
    fn count(&self) -> usize {
        self.deltas() + 6
    }

    fn frame(&self, i: usize) -> Bytes {
        let n = self.deltas();
        let block_start = match &self.tool {
            Some(tool) => {
                json!({"type": "tool_use", "id": anthropic_tool_id(tool), "name": tool.name, "input": {}})
            }
            None => json!({"type": "text", "text": ""}),
        };
        let delta = |i: usize| match &self.tool {
            Some(tool) => {
                json!({"type": "input_json_delta", "partial_json": tool.arguments.to_string()})
            }
            None => json!({"type": "text_delta", "text": self.pieces.get(i)}),
        };
        let stop_reason = if self.tool.is_some() {
            "tool_use"
        } else {
            "end_turn"
        };
        let (event, data) = match i {
            0 => (
                "message_start",
                json!({"type": "message_start", "message": {
                "id": "msg_mock", "type": "message", "role": "assistant", "model": self.model, "content": [],
                "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": self.input, "output_tokens": 1}}}),
            ),
            1 => (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": block_start}),
            ),
            2 => ("ping", json!({"type": "ping"})),
            i if i < n + 3 => (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": delta(i - 3)}),
            ),
            i if i == n + 3 => (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            i if i == n + 4 => (
                "message_delta",
                json!({"type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": self.output}}),
            ),
            _ => ("message_stop", json!({"type": "message_stop"})),
        };
        Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
    }
}

/// The request, captured; or Azure's refusal of a call without
/// `api-version` or credentials.
async fn azure_capture(
    state: &MockState,
    request: Request,
) -> Result<super::CapturedRequest, Response> {
    let captured = state.capture(request).await;
    let has_key =
        captured.header("api-key").is_some() || captured.header("authorization").is_some();
    match azure_refusal(captured.query.as_deref(), has_key) {
        Some(refusal) => Err(refusal),
        None => Ok(captured),
    }
}

/// Azure refuses a data-plane call without `api-version` or credentials.
fn azure_refusal(query: Option<&str>, has_key: bool) -> Option<Response> {
    if !query.is_some_and(|q| q.split('&').any(|pair| pair.starts_with("api-version="))) {
        let json = json!({"error": {"code": "404", "message": "Resource not found"}});
        return Some((StatusCode::NOT_FOUND, axum::Json(json)).into_response());
    }
    if !has_key {
        let json = json!({"error": {"code": "401", "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}});
        return Some((StatusCode::UNAUTHORIZED, axum::Json(json)).into_response());
    }
    None
}

/// `POST /openai/deployments/{deployment}/chat/completions`: the OpenAI
/// routes' answers, scripted by the deployment's name (Azure ignores the
/// body's `model`), with Azure's content-filter results and headers.
pub(super) async fn azure_chat(
    State(state): State<Arc<MockState>>,
    Path(deployment): Path<String>,
    request: Request,
) -> Response {
    let captured = match azure_capture(&state, request).await {
        Ok(captured) => captured,
        Err(refusal) => return refusal,
    };
    let stream = captured.body.get("stream").and_then(Value::as_bool) == Some(true);
    let mut response = chat_as(state, captured.body, deployment, false).await;
    response.headers_mut().insert(
        "apim-request-id",
        http::HeaderValue::from_static("apim-mock"),
    );
    response
        .headers_mut()
        .insert("x-ms-region", http::HeaderValue::from_static("Mock Region"));
    if stream || !response.status().is_success() {
        return response;
    }
    // Plain answers carry Azure's filter results, as the service adds them.
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut json) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let safe = json!({"hate": {"filtered": false, "severity": "safe"}, "self_harm": {"filtered": false, "severity": "safe"},
                      "sexual": {"filtered": false, "severity": "safe"}, "violence": {"filtered": false, "severity": "safe"}});
    json["prompt_filter_results"] = json!([{"prompt_index": 0, "content_filter_results": safe}]);
    if let Some(choices) = json.get_mut("choices").and_then(Value::as_array_mut) {
        for choice in choices {
            choice["content_filter_results"] = safe.clone();
        }
    }
    let mut response = Response::from_parts(parts, Body::from(json.to_string()));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// `POST /openai/deployments/{deployment}/embeddings`.
pub(super) async fn azure_embeddings(
    State(state): State<Arc<MockState>>,
    Path(deployment): Path<String>,
    request: Request,
) -> Response {
    let captured = match azure_capture(&state, request).await {
        Ok(captured) => captured,
        Err(refusal) => return refusal,
    };
    let inputs = match captured.body.get("input") {
        Some(Value::Array(items)) => items.len(),
        Some(_) => 1,
        None => 0,
    };
    let data: Vec<Value> = (0..inputs)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [0.5, 0.25, 0.125]}))
        .collect();
    axum::Json(json!({"object": "list", "model": deployment, "data": data, "usage": {"prompt_tokens": inputs, "total_tokens": inputs}})).into_response()
}

/// `POST /v1beta/openai/chat/completions`: Google's OpenAI-compatible
/// endpoint for Gemini; errors come in Google's list shape.
pub(super) async fn gemini_chat(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let captured = state.capture(request).await;
    if captured.header("authorization").is_none() {
        let json = google_error(
            401,
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        );
        return (StatusCode::UNAUTHORIZED, axum::Json(json)).into_response();
    }
    let asked = captured.model().unwrap_or("gemini-mock").to_owned();
    chat_as(state, captured.body, asked, true).await
}
