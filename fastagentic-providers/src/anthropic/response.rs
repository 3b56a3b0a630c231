//! Anthropic's answers, events and errors in OpenAI's shapes.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fastagentic::llm::ChatChunk;
use fastagentic::{ChatResponse, GatewayError};
use futures_util::{Stream, StreamExt, stream};
use serde_json::{Value, json};

/// Anthropic's `stop_reason` as OpenAI's `finish_reason`.
pub(crate) fn finish_reason(stop_reason: Option<&str>) -> Option<&'static str> {
    Some(match stop_reason? {
        "end_turn" | "stop_sequence" | "pause_turn" => "stop",
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    })
}

/// Anthropic's usage as OpenAI's: cached input (read or written) counts as
/// prompt tokens.
fn usage(usage: &Value) -> Value {
    let read = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
    let cache_read = read("cache_read_input_tokens");
    let input = read("input_tokens") + read("cache_creation_input_tokens") + cache_read;
    let output = read("output_tokens");
    let mut out = json!({"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output});
    if cache_read > 0 {
        out["prompt_tokens_details"] = json!({"cached_tokens": cache_read});
    }
    out
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A Messages API answer as a chat completion.
pub(crate) fn to_openai(message: &Value) -> Result<ChatResponse, String> {
    let blocks = message
        .get("content")
        .and_then(Value::as_array)
        .ok_or("no `content` list in the message")?;
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    for block in blocks {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(block.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("tool_use") => tool_calls.push(json!({
                "id": block.get("id").cloned().unwrap_or_default(),
                "type": "function",
                "function": {
                    "name": block.get("name").cloned().unwrap_or_default(),
                    "arguments": block.get("input").map_or_else(|| "{}".to_owned(), Value::to_string),
                },
            })),
            _ => {}
        }
    }
    let mut reply = json!({"role": "assistant", "content": if text.is_empty() && !tool_calls.is_empty() { Value::Null } else { Value::from(text) }});
    if !tool_calls.is_empty() {
        reply["tool_calls"] = Value::Array(tool_calls);
    }
    let stop_reason = message.get("stop_reason").and_then(Value::as_str);
    let completion = json!({
        "id": message.get("id").cloned().unwrap_or_default(),
        "object": "chat.completion",
        "created": now(),
        "model": message.get("model").cloned().unwrap_or_default(),
        "choices": [{"index": 0, "message": reply, "finish_reason": finish_reason(stop_reason)}],
        "usage": usage(message.get("usage").unwrap_or(&Value::Null)),
    });
    serde_json::from_value(completion).map_err(|e| e.to_string())
}

/// The message of an Anthropic error body, `{"type": "error", "error":
/// {"type": "overloaded_error", "message": ...}}`, with its type.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let error = json.get("error")?;
    let message = error.get("message").and_then(Value::as_str)?;
    Some(match error.get("type").and_then(Value::as_str) {
        Some(kind) => format!("{kind}: {message}"),
        None => message.to_owned(),
    })
}

/// The status an in-stream `error` event stands for.
fn error_status(kind: &str) -> u16 {
    match kind {
        "overloaded_error" => 529,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        _ => 500,
    }
}

/// Where a translated stream is.
struct Translation {
    provider: Arc<str>,
    id: String,
    model: String,
    input_usage: Value,
    /// The tool-call index of each content block that is a tool use.
    tool_index: Vec<(u64, usize)>,
    finish: Option<&'static str>,
    include_usage: bool,
    chunks: usize,
    ended: bool,
}

impl Translation {
    fn chunk(&self, choices: Value, usage: Option<Value>) -> Result<ChatChunk, GatewayError> {
        let mut chunk = json!({"id": self.id, "object": "chat.completion.chunk", "created": now(),
                               "model": self.model, "choices": choices});
        if let Some(usage) = usage {
            chunk["usage"] = usage;
        }
        ChatChunk::from_json_bytes(Bytes::from(chunk.to_string()))
            .map_err(|e| self.broken(e.to_string()))
    }

    fn delta(&self, delta: Value, finish: Option<&str>) -> Result<ChatChunk, GatewayError> {
        self.chunk(
            json!([{"index": 0, "delta": delta, "finish_reason": finish}]),
            None,
        )
    }

    fn broken(&self, message: String) -> GatewayError {
        GatewayError::StreamInterrupted {
            provider: self.provider.to_string(),
            chunks: self.chunks,
            message,
        }
    }

    /// The OpenAI chunks one Anthropic event becomes (none for pings and
    /// block boundaries).
    fn event(&mut self, data: &[u8]) -> Vec<Result<ChatChunk, GatewayError>> {
        let event: Value = match serde_json::from_slice(data) {
            Ok(event) => event,
            Err(e) => return vec![Err(self.broken(format!("unreadable event ({e})")))],
        };
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let out = match kind {
            "message_start" => {
                let message = event.get("message").unwrap_or(&Value::Null);
                self.id = message
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                self.model = message
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                self.input_usage = message.get("usage").cloned().unwrap_or(Value::Null);
                vec![self.delta(json!({"role": "assistant", "content": ""}), None)]
            }
            "content_block_start" => {
                let block = event.get("content_block").unwrap_or(&Value::Null);
                if block.get("type").and_then(Value::as_str) != Some("tool_use") {
                    return Vec::new();
                }
                let index = event.get("index").and_then(Value::as_u64).unwrap_or(0);
                let tool = self.tool_index.len();
                self.tool_index.push((index, tool));
                vec![self.delta(
                    json!({"tool_calls": [{"index": tool, "id": block.get("id"), "type": "function",
                                           "function": {"name": block.get("name"), "arguments": ""}}]}),
                    None,
                )]
            }
            "content_block_delta" => {
                let delta = event.get("delta").unwrap_or(&Value::Null);
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        vec![self.delta(json!({"content": delta.get("text")}), None)]
                    }
                    Some("input_json_delta") => {
                        let index = event.get("index").and_then(Value::as_u64).unwrap_or(0);
                        let tool = self
                            .tool_index
                            .iter()
                            .find(|(block, _)| *block == index)
                            .map_or(0, |(_, tool)| *tool);
                        vec![self.delta(
                            json!({"tool_calls": [{"index": tool, "function": {"arguments": delta.get("partial_json")}}]}),
                            None,
                        )]
                    }
                    _ => Vec::new(),
                }
            }
            "message_delta" => {
                let stop = event.pointer("/delta/stop_reason").and_then(Value::as_str);
                self.finish = finish_reason(stop);
                if let Some(output) = event.pointer("/usage/output_tokens") {
                    if let Some(usage) = self.input_usage.as_object_mut() {
                        usage.insert("output_tokens".into(), output.clone());
                    } else {
                        self.input_usage = json!({"output_tokens": output});
                    }
                }
                vec![self.delta(json!({}), self.finish)]
            }
            "message_stop" => {
                self.ended = true;
                if self.include_usage {
                    vec![self.chunk(json!([]), Some(usage(&self.input_usage)))]
                } else {
                    Vec::new()
                }
            }
            "error" => {
                self.ended = true;
                let kind = event
                    .pointer("/error/type")
                    .and_then(Value::as_str)
                    .unwrap_or("api_error");
                let message = event
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let error = if self.chunks == 0 {
                    GatewayError::Upstream {
                        provider: self.provider.to_string(),
                        status: error_status(kind),
                        message: format!("{kind}: {message}"),
                        body: String::from_utf8_lossy(data).into_owned(),
                        retry_after: None,
                    }
                } else {
                    self.broken(format!("{kind}: {message}"))
                };
                vec![Err(error)]
            }
            _ => Vec::new(),
        };
        self.chunks += out.iter().filter(|item| item.is_ok()).count();
        out
    }
}

/// Anthropic's event stream (the `data:` payloads, `None` at the end) as
/// OpenAI chunks in order, usage last; a stream that ends before
/// `message_stop` is reported as interrupted.
pub(crate) fn chunks<S>(
    provider: Arc<str>,
    data: S,
    include_usage: bool,
) -> impl Stream<Item = Result<ChatChunk, GatewayError>> + Send
where
    S: Stream<Item = Result<Option<Bytes>, String>> + Send + Unpin + 'static,
{
    let translation = Translation {
        provider,
        id: String::new(),
        model: String::new(),
        input_usage: Value::Null,
        tool_index: Vec::new(),
        finish: None,
        include_usage,
        chunks: 0,
        ended: false,
    };
    stream::unfold(
        (data, translation),
        |(mut data, mut translation)| async move {
            if translation.ended {
                return None;
            }
            let items = match data.next().await {
                Some(Ok(Some(bytes))) => translation.event(&bytes),
                Some(Ok(None)) | None => {
                    translation.ended = true;
                    vec![Err(translation.broken(
                        "the stream ended without `message_stop`".to_owned(),
                    ))]
                }
                Some(Err(message)) => {
                    translation.ended = true;
                    vec![Err(translation.broken(message))]
                }
            };
            Some((stream::iter(items), (data, translation)))
        },
    )
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_with_a_tool_call_translates() {
        let message = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Let me check."},
                        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 2}});
        let reply = to_openai(&message).unwrap();
        assert_eq!(reply.text(), "Let me check.");
        assert_eq!(
            reply.choices[0].finish_reason.as_deref(),
            Some("tool_calls")
        );
        assert_eq!(
            reply.tool_calls()[0].function.arguments,
            r#"{"city":"Paris"}"#
        );
        let usage = reply.usage.unwrap();
        assert_eq!(
            (usage.input_tokens, usage.output_tokens, usage.total_tokens),
            (12, 5, 17)
        );
    }

    #[test]
    fn error_bodies_name_their_type() {
        let body =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            error_message(body).as_deref(),
            Some("overloaded_error: Overloaded")
        );
    }
}
