//! What is compared: each way's provider-side request and OpenAI-format
//! answer, normalized (streams assembled, tool arguments parsed, Gemini's
//! native requests read back into OpenAI's terms) and flattened to
//! `path = value` fields, less the peers' plumbing ([`IGNORED`]).

use std::collections::BTreeMap;

use fastagentic::testing::CapturedRequest;
use serde_json::{Map, Value, json};

use super::Provider;

/// Fields left out of the comparison, with the reason. A pattern matches a
/// flattened path with its array indices written `[]`, and everything under it.
pub const IGNORED: &[(&str, &str)] = &[
    (
        "answer.id",
        "each gateway mints or copies its own completion id",
    ),
    ("answer.created", "a timestamp"),
    (
        "answer.system_fingerprint",
        "not produced by these providers",
    ),
    (
        "answer.provider",
        "Portkey's marker of the provider it routed to",
    ),
    (
        "answer.usage.cost",
        "FastAgentic's own priced cost, not a wire field",
    ),
    (
        "answer.choices[].message.tool_calls[].id",
        "each translator mints its own call id where the provider has none (Gemini)",
    ),
];

/// What one way did with one request.
pub struct Observed {
    /// What reached the provider's mock (nothing when the way refused).
    pub sent: Vec<CapturedRequest>,
    /// The status the caller got.
    pub status: u16,
    /// The OpenAI-format answer (a stream assembled), `Null` on an error.
    pub answer: Value,
}

impl Observed {
    /// The flattened fields of this observation.
    pub fn fields(&self, provider: Provider) -> BTreeMap<String, Value> {
        let mut fields = BTreeMap::new();
        fields.insert("status".to_owned(), json!(self.status));
        fields.insert("forwarded".to_owned(), json!(self.sent.len()));
        if let Some(sent) = self.sent.first() {
            flatten("request", &request_view(provider, sent), &mut fields);
        }
        if !self.answer.is_null() {
            flatten("answer", &answer_view(&self.answer), &mut fields);
        }
        fields.retain(|path, _| !ignored(path));
        fields
    }
}

fn ignored(path: &str) -> bool {
    let general = generalize(path);
    IGNORED.iter().any(|(pattern, _)| {
        general == *pattern
            || general
                .strip_prefix(pattern)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

/// `a[0].b[12]` -> `a[].b[]`.
pub fn generalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// `value` as `prefix.path = leaf` entries; numbers as f64 so `1` and `1.0`
/// compare equal; an empty object or list is a leaf.
pub fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                flatten(&format!("{prefix}.{key}"), value, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, value) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), value, out);
            }
        }
        Value::Number(n) => {
            out.insert(prefix.to_owned(), json!(n.as_f64()));
        }
        leaf => {
            out.insert(prefix.to_owned(), leaf.clone());
        }
    }
}

/// The provider-side request as compared: path (and Azure's `api-version`)
/// and body, `stream: false` dropped (the default), OpenAI tool-call
/// arguments parsed; Gemini in the neutral form.
fn request_view(provider: Provider, sent: &CapturedRequest) -> Value {
    let mut body = sent.body.clone();
    if body.get("stream") == Some(&Value::Bool(false)) {
        body.as_object_mut().map(|b| b.remove("stream"));
    }
    match provider {
        Provider::Anthropic => json!({"path": sent.path, "body": body}),
        Provider::Azure => {
            parse_tool_arguments(&mut body);
            let api_version = sent
                .query
                .as_deref()
                .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("api-version=")));
            json!({"path": sent.path, "api_version": api_version, "body": body})
        }
        Provider::Gemini => {
            let neutral = if sent.path.contains("/openai/") {
                neutral_from_openai(body)
            } else {
                neutral_from_native(&sent.path, &body)
            };
            json!({"neutral": neutral})
        }
    }
}

/// The answer as compared: tool-call arguments parsed.
fn answer_view(answer: &Value) -> Value {
    let mut answer = answer.clone();
    if let Some(choices) = answer.get_mut("choices").and_then(Value::as_array_mut) {
        for choice in choices {
            if let Some(message) = choice.get_mut("message") {
                parse_calls(message);
            }
        }
    }
    answer
}

/// Parses `tool_calls[].function.arguments` of every message in `body`.
fn parse_tool_arguments(body: &mut Value) {
    if let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) {
        for message in messages {
            parse_calls(message);
        }
    }
}

fn parse_calls(message: &mut Value) {
    if let Some(calls) = message.get_mut("tool_calls").and_then(Value::as_array_mut) {
        for call in calls {
            if let Some(arguments) = call.pointer_mut("/function/arguments")
                && let Some(parsed) = arguments
                    .as_str()
                    .and_then(|text| serde_json::from_str::<Value>(text).ok())
            {
                *arguments = parsed;
            }
        }
    }
}

/// Our OpenAI-compatible Gemini request in the neutral form: ids the native
/// API has no place for removed, `stop` as a list, `max_completion_tokens`
/// as `max_tokens`; `stream_options`, `parallel_tool_calls` and `user`
/// dropped (the native API has no such fields).
fn neutral_from_openai(mut body: Value) -> Value {
    parse_tool_arguments(&mut body);
    let Some(object) = body.as_object_mut() else {
        return body;
    };
    for field in ["stream_options", "parallel_tool_calls", "user"] {
        object.remove(field);
    }
    if let Some(tokens) = object.remove("max_completion_tokens") {
        object.insert("max_tokens".into(), tokens);
    }
    if let Some(Value::String(stop)) = object.get("stop").cloned() {
        object.insert("stop".into(), json!([stop]));
    }
    if let Some(messages) = object.get_mut("messages").and_then(Value::as_array_mut) {
        for message in messages {
            if let Some(message) = message.as_object_mut() {
                message.remove("tool_call_id");
                if message.get("content") == Some(&Value::Null) {
                    message.remove("content");
                }
                if let Some(calls) = message.get_mut("tool_calls").and_then(Value::as_array_mut) {
                    for call in calls {
                        if let Some(call) = call.as_object_mut() {
                            call.remove("id");
                            call.remove("type");
                        }
                    }
                }
            }
        }
    }
    body
}

/// `snake_case` -> `camelCase` (Google's JSON accepts both spellings).
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Every key camelCased, except inside free-form JSON (schemas, arguments).
fn camel_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = camel(k);
                    let free = matches!(key.as_str(), "parameters" | "args" | "response");
                    (key, if free { v.clone() } else { camel_keys(v) })
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_keys).collect()),
        other => other.clone(),
    }
}

/// A native Gemini request read back into OpenAI's terms.
fn neutral_from_native(path: &str, body: &Value) -> Value {
    let body = camel_keys(body);
    let call = path.rsplit('/').next().unwrap_or_default();
    let (model, method) = call.split_once(':').unwrap_or((call, ""));
    let mut out = Map::new();
    out.insert("model".into(), json!(model));
    let mut messages = Vec::new();
    if let Some(system) = body.get("systemInstruction") {
        for part in system["parts"].as_array().into_iter().flatten() {
            if let Some(text) = part.get("text") {
                messages.push(json!({"role": "system", "content": text}));
            }
        }
    }
    for content in body["contents"].as_array().into_iter().flatten() {
        messages.extend(native_turn(content));
    }
    out.insert("messages".into(), Value::Array(messages));
    let config = &body["generationConfig"];
    for (native, openai) in [
        ("temperature", "temperature"),
        ("topP", "top_p"),
        ("maxOutputTokens", "max_tokens"),
        ("stopSequences", "stop"),
        ("candidateCount", "n"),
        ("seed", "seed"),
        ("presencePenalty", "presence_penalty"),
        ("frequencyPenalty", "frequency_penalty"),
        ("responseLogprobs", "logprobs"),
        ("logprobs", "top_logprobs"),
    ] {
        if let Some(value) = config.get(native) {
            out.insert(openai.into(), value.clone());
        }
    }
    if config.get("responseMimeType") == Some(&json!("application/json")) {
        out.insert("response_format".into(), json!({"type": "json_object"}));
    }
    let tools: Vec<Value> = body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|tool| {
            tool["functionDeclarations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|function| json!({"type": "function", "function": function}))
        .collect();
    if !tools.is_empty() {
        out.insert("tools".into(), Value::Array(tools));
    }
    let calling = &body["toolConfig"]["functionCallingConfig"];
    if let Some(mode) = calling.get("mode").and_then(Value::as_str) {
        let allowed = calling["allowedFunctionNames"].as_array();
        let choice = match (mode, allowed.map(Vec::len)) {
            ("ANY", Some(1)) => {
                json!({"type": "function", "function": {"name": allowed.map(|a| a[0].clone())}})
            }
            ("ANY", _) => json!("required"),
            ("NONE", _) => json!("none"),
            _ => json!("auto"),
        };
        out.insert("tool_choice".into(), choice);
    }
    if method == "streamGenerateContent" {
        out.insert("stream".into(), json!(true));
    }
    Value::Object(out)
}

/// One native turn as OpenAI messages: text and images as content (a lone
/// text as a string), function calls as `tool_calls`, each function
/// response as a `tool` message.
fn native_turn(content: &Value) -> Vec<Value> {
    let role = match content["role"].as_str() {
        Some("model") => "assistant",
        _ => "user",
    };
    let mut parts = Vec::new();
    let mut calls = Vec::new();
    let mut results = Vec::new();
    for part in content["parts"].as_array().into_iter().flatten() {
        if let Some(text) = part.get("text") {
            parts.push(json!({"type": "text", "text": text}));
        } else if let Some(data) = part.get("inlineData") {
            let url = format!(
                "data:{};base64,{}",
                data["mimeType"].as_str().unwrap_or(""),
                data["data"].as_str().unwrap_or("")
            );
            parts.push(json!({"type": "image_url", "image_url": {"url": url}}));
        } else if let Some(file) = part.get("fileData") {
            parts.push(json!({"type": "image_url", "image_url": {"url": file["fileUri"]}}));
        } else if let Some(call) = part.get("functionCall") {
            calls.push(json!({"function": {"name": call["name"], "arguments": call["args"]}}));
        } else if let Some(response) = part.get("functionResponse") {
            let inner = &response["response"];
            let content = match inner.as_object() {
                Some(map) if map.len() == 1 => map.values().next().cloned().unwrap_or_default(),
                _ => inner.clone(),
            };
            results.push(json!({"role": "tool", "content": content}));
        }
    }
    if !results.is_empty() {
        return results;
    }
    let mut message = Map::new();
    message.insert("role".into(), json!(role));
    match parts.len() {
        0 => {}
        1 if parts[0]["type"] == "text" => {
            message.insert("content".into(), parts[0]["text"].clone());
        }
        _ => {
            message.insert("content".into(), Value::Array(parts));
        }
    }
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    vec![Value::Object(message)]
}

/// A streamed answer's chunks as one completion-shaped value: the object
/// and model of the first chunk, the role, the content and every tool call
/// (name and arguments concatenated per index), the last finish reason,
/// the last usage.
pub fn assemble_stream(chunks: &[Value]) -> Value {
    let mut role = Value::Null;
    let mut content: Option<String> = None;
    let mut finish = Value::Null;
    let mut usage = Value::Null;
    let mut calls: BTreeMap<u64, (Value, String, String)> = BTreeMap::new();
    for chunk in chunks {
        if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
            usage = u.clone();
        }
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            let delta = &choice["delta"];
            if let Some(r) = delta.get("role").filter(|r| !r.is_null()) {
                role = r.clone();
            }
            if let Some(text) = delta.get("content").and_then(Value::as_str) {
                content.get_or_insert_with(String::new).push_str(text);
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                let index = call["index"].as_u64().unwrap_or(0);
                let entry =
                    calls
                        .entry(index)
                        .or_insert((Value::Null, String::new(), String::new()));
                if let Some(kind) = call.get("type").filter(|k| !k.is_null()) {
                    entry.0 = kind.clone();
                }
                entry.1.push_str(
                    call.pointer("/function/name")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                );
                entry.2.push_str(
                    call.pointer("/function/arguments")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                );
            }
            if let Some(reason) = choice.get("finish_reason").filter(|r| !r.is_null()) {
                finish = reason.clone();
            }
        }
    }
    let mut message = json!({"role": role, "content": content});
    if !calls.is_empty() {
        let calls: Vec<Value> = calls
            .into_values()
            .map(|(kind, name, arguments)| {
                json!({"type": kind, "function": {"name": name, "arguments": arguments}})
            })
            .collect();
        message["tool_calls"] = Value::Array(calls);
    }
    let first = chunks.first().cloned().unwrap_or_default();
    json!({
        "object": first["object"], "model": first["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    })
}
