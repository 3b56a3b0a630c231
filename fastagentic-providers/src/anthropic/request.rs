//! An OpenAI-format [`ChatRequest`] as an Anthropic Messages API body.

use fastagentic::llm::{Content, Message, Role};
use fastagentic::{ChatRequest, GatewayError};
use serde_json::{Map, Value, json};

/// Request fields Anthropic cannot honour: refused with a 400, never dropped.
const REFUSED_EXTRA: [(&str, &str); 2] = [
    (
        "logprobs",
        "Anthropic's Messages API returns no log probabilities",
    ),
    (
        "top_logprobs",
        "Anthropic's Messages API returns no log probabilities",
    ),
];

/// A request the adapter refuses: a 400 that says why.
pub(crate) fn refused(message: impl Into<String>) -> GatewayError {
    GatewayError::Rejected {
        status: 400,
        message: message.into(),
    }
}

/// The Messages API body for `request`; `max_tokens` when the request has
/// none; `stream` to ask for the event stream.
pub(crate) fn to_anthropic(
    request: &ChatRequest,
    max_tokens: u64,
    stream: bool,
) -> Result<Value, GatewayError> {
    if let Some(n) = request.n.filter(|n| *n > 1) {
        return Err(refused(format!(
            "n = {n}: Anthropic's Messages API answers one choice per request; \
             send {n} requests instead"
        )));
    }
    for (field, why) in REFUSED_EXTRA {
        let asked = match request.extra.get(field) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(_) => true,
        };
        if asked {
            return Err(refused(format!("`{field}` cannot be honoured: {why}")));
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), Value::from(request.model.as_str()));
    let (system, messages) = messages(&request.messages)?;
    if let Some(system) = system {
        body.insert("system".into(), system);
    }
    body.insert("messages".into(), Value::Array(messages));
    let max_tokens = request
        .max_tokens
        .or_else(|| request.extra.get("max_completion_tokens")?.as_u64())
        .unwrap_or(max_tokens);
    body.insert("max_tokens".into(), Value::from(max_tokens));
    if let Some(stop) = stop_sequences(request.stop.as_ref()) {
        body.insert("stop_sequences".into(), stop);
    }
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), Value::from(temperature));
    }
    if let Some(top_p) = request.top_p {
        body.insert("top_p".into(), Value::from(top_p));
    }
    if let Some(top_k) = request.extra.get("top_k") {
        body.insert("top_k".into(), top_k.clone());
    }
    if let Some(tools) = &request.tools {
        let tools = tools.iter().map(tool).collect::<Result<Vec<_>, _>>()?;
        if !tools.is_empty() {
            body.insert("tools".into(), Value::Array(tools));
        }
    }
    let parallel_off = request.extra.get("parallel_tool_calls") == Some(&Value::Bool(false));
    if let Some(choice) = tool_choice(request.tool_choice.as_ref(), parallel_off)? {
        body.insert("tool_choice".into(), choice);
    }
    if let Some(user) = &request.user {
        body.insert("metadata".into(), json!({"user_id": user}));
    }
    if stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    Ok(Value::Object(body))
}

/// The system prompt (a list of text blocks, one per system or developer
/// message, as the Portkey gateway and LiteLLM send it: the form that can
/// carry `cache_control`) and the conversation, with tool results as user
/// turns and consecutive turns of one role merged (Anthropic requires
/// alternating roles).
fn messages(messages: &[Message]) -> Result<(Option<Value>, Vec<Value>), GatewayError> {
    let mut system: Vec<String> = Vec::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for message in messages {
        let (role, blocks) = match message.role {
            Role::System | Role::Developer => {
                system.push(message.text().into_owned());
                continue;
            }
            Role::User => ("user", content_blocks(message.content.as_ref())?),
            Role::Assistant => ("assistant", assistant_blocks(message)?),
            Role::Tool => ("user", vec![tool_result(message)]),
        };
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let system = (!system.is_empty()).then(|| {
        Value::Array(
            system
                .into_iter()
                .map(|text| json!({"type": "text", "text": text}))
                .collect(),
        )
    });
    // A user's lone text stays a string (as the Portkey gateway sends it);
    // assistant turns are always blocks (as both peers send them).
    let turns = turns
        .into_iter()
        .map(|(role, blocks)| {
            let content = if role == "user" {
                simplify(blocks)
            } else {
                Value::Array(blocks)
            };
            json!({"role": role, "content": content})
        })
        .collect();
    Ok((system, turns))
}

/// A lone text block as a plain string, as Anthropic's own examples write it.
fn simplify(mut blocks: Vec<Value>) -> Value {
    let lone_text = blocks.len() == 1
        && blocks[0].get("type").and_then(Value::as_str) == Some("text")
        && blocks[0].as_object().is_some_and(|block| block.len() == 2);
    match blocks.pop() {
        Some(block) if lone_text => block.get("text").cloned().unwrap_or(Value::Null),
        Some(block) => {
            blocks.push(block);
            Value::Array(blocks)
        }
        None => Value::Array(blocks),
    }
}

fn content_blocks(content: Option<&Content>) -> Result<Vec<Value>, GatewayError> {
    match content {
        None => Ok(Vec::new()),
        Some(Content::Text(text)) => Ok(vec![json!({"type": "text", "text": text})]),
        Some(Content::Parts(parts)) => parts.iter().map(part).collect(),
    }
}

/// One OpenAI content part as an Anthropic content block.
fn part(part: &Value) -> Result<Value, GatewayError> {
    match part.get("type").and_then(Value::as_str) {
        Some("text") => {
            Ok(json!({"type": "text", "text": part.get("text").cloned().unwrap_or_default()}))
        }
        Some("image_url") => {
            let url = part
                .pointer("/image_url/url")
                .or_else(|| part.get("image_url"))
                .and_then(Value::as_str)
                .ok_or_else(|| refused("an `image_url` part without a URL"))?;
            Ok(image(url)?)
        }
        Some(other) => Err(refused(format!(
            "content parts of type `{other}` have no Anthropic equivalent here \
             (text and image_url are translated)"
        ))),
        None => Err(refused("a content part without a `type`")),
    }
}

/// An image block: a `data:` URL as base64 source, any other URL as a URL source.
fn image(url: &str) -> Result<Value, GatewayError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (media_type, data) = rest.split_once(";base64,").ok_or_else(|| {
            refused("an image data URL must be `data:<media type>;base64,<data>`")
        })?;
        return Ok(
            json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}),
        );
    }
    Ok(json!({"type": "image", "source": {"type": "url", "url": url}}))
}

/// The assistant's text and tool calls as content blocks.
fn assistant_blocks(message: &Message) -> Result<Vec<Value>, GatewayError> {
    let mut blocks: Vec<Value> = content_blocks(message.content.as_ref())?
        .into_iter()
        .filter(|block| block.get("text").and_then(Value::as_str) != Some(""))
        .collect();
    for call in message.tool_calls.iter().flatten() {
        let input: Value = if call.function.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&call.function.arguments).map_err(|e| {
                refused(format!(
                    "the arguments of tool call `{}` are not JSON ({e}); Anthropic takes them as an object",
                    call.id
                ))
            })?
        };
        blocks.push(
            json!({"type": "tool_use", "id": call.id, "name": call.function.name, "input": input}),
        );
    }
    Ok(blocks)
}

fn tool_result(message: &Message) -> Value {
    json!({
        "type": "tool_result",
        "tool_use_id": message.tool_call_id.clone().unwrap_or_default(),
        "content": message.text(),
    })
}

/// `stop` (one string or a list) as `stop_sequences`.
fn stop_sequences(stop: Option<&Value>) -> Option<Value> {
    match stop? {
        Value::String(one) => Some(json!([one])),
        Value::Array(list) if !list.is_empty() => Some(Value::Array(list.clone())),
        _ => None,
    }
}

/// An OpenAI function tool as an Anthropic tool.
fn tool(tool: &Value) -> Result<Value, GatewayError> {
    let function = tool
        .get("function")
        .filter(|_| {
            tool.get("type")
                .and_then(Value::as_str)
                .unwrap_or("function")
                == "function"
        })
        .ok_or_else(|| refused("only `function` tools can be translated for Anthropic"))?;
    let name = function
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| refused("a function tool without a `name`"))?;
    let mut out = Map::new();
    out.insert("name".into(), Value::from(name));
    if let Some(description) = function.get("description") {
        out.insert("description".into(), description.clone());
    }
    out.insert(
        "input_schema".into(),
        function
            .get("parameters")
            .cloned()
            .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
    );
    Ok(Value::Object(out))
}

/// `tool_choice` (and `parallel_tool_calls: false`) in Anthropic's shape.
fn tool_choice(choice: Option<&Value>, parallel_off: bool) -> Result<Option<Value>, GatewayError> {
    let mut out = match choice {
        None => {
            if !parallel_off {
                return Ok(None);
            }
            json!({"type": "auto"})
        }
        Some(Value::String(mode)) => match mode.as_str() {
            "auto" => json!({"type": "auto"}),
            "required" => json!({"type": "any"}),
            "none" => json!({"type": "none"}),
            other => {
                return Err(refused(format!(
                    "tool_choice `{other}`: expected auto, required, none or a function"
                )));
            }
        },
        Some(named) => {
            let name = named
                .pointer("/function/name")
                .and_then(Value::as_str)
                .ok_or_else(|| refused("tool_choice names no function"))?;
            json!({"type": "tool", "name": name})
        }
    };
    if parallel_off && out.get("type").and_then(Value::as_str) != Some("none") {
        out["disable_parallel_tool_use"] = Value::Bool(true);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fastagentic::llm::{FunctionCall, ToolCall};

    #[test]
    fn systems_tools_and_results_translate() {
        let mut call = Message::assistant("");
        call.tool_calls = Some(vec![ToolCall {
            id: "call_1".into(),
            kind: "function".into(),
            function: FunctionCall {
                name: "weather".into(),
                arguments: r#"{"city":"Paris"}"#.into(),
            },
        }]);
        let request = ChatRequest::new("claude-sonnet-4-5")
            .system("be brief")
            .system("answer in French")
            .user("weather?")
            .message(call)
            .message(Message::tool("call_1", "sunny"))
            .user("thanks");
        let body = to_anthropic(&request, 4096, false).unwrap();
        assert_eq!(
            body["system"],
            json!([{"type": "text", "text": "be brief"}, {"type": "text", "text": "answer in French"}])
        );
        assert_eq!(body["max_tokens"], 4096);
        assert_eq!(
            body["messages"][1]["content"][0]["input"],
            json!({"city": "Paris"})
        );
        assert_eq!(
            body["messages"][2]["content"],
            json!([{"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                   {"type": "text", "text": "thanks"}])
        );
    }

    #[test]
    fn n_and_logprobs_are_refused() {
        let mut request = ChatRequest::new("claude-sonnet-4-5").user("hi");
        request.n = Some(2);
        assert!(matches!(
            to_anthropic(&request, 1, false),
            Err(GatewayError::Rejected { status: 400, .. })
        ));
        let request = ChatRequest::new("claude-sonnet-4-5")
            .user("hi")
            .extra("logprobs", Value::Bool(true));
        let error = to_anthropic(&request, 1, false).unwrap_err();
        assert!(error.to_string().contains("logprobs"), "{error}");
    }
}
