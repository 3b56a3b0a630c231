//! Chat-completion requests and responses.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, Message, Role, ToolCall, Usage};

/// A chat-completion request, as OpenAI's API defines it.
///
/// ```
/// use fastagentic::ChatRequest;
/// let req = ChatRequest::new("gpt-4o-mini").system("Label it.").user("My printer is on fire").temperature(0.0);
/// assert_eq!(req.messages.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model to call.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Upper bound on generated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Stop sequences (a string or a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Value>,
    /// How many choices to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Seed for reproducible sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Presence penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Tools the model may call (OpenAI's `tools` JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    /// How the model picks a tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// Structured output (`{"type": "json_object"}` or a JSON schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// Whether the answer streams; gateways set it themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options (`{"include_usage": true}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<Value>,
    /// End-user id for the provider's abuse monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ChatRequest {
    /// An empty request for `model`.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            messages: Vec::new(),
            temperature: None,
            top_p: None,
            max_tokens: None,
            stop: None,
            n: None,
            seed: None,
            presence_penalty: None,
            frequency_penalty: None,
            tools: None,
            tool_choice: None,
            response_format: None,
            stream: None,
            stream_options: None,
            user: None,
            extra: Extra::new(),
        }
    }

    /// Appends a message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Appends a system message.
    pub fn system(self, text: impl Into<String>) -> Self {
        self.message(Message::new(Role::System, text))
    }

    /// Appends a user message.
    pub fn user(self, text: impl Into<String>) -> Self {
        self.message(Message::new(Role::User, text))
    }

    /// Appends an assistant message.
    pub fn assistant(self, text: impl Into<String>) -> Self {
        self.message(Message::new(Role::Assistant, text))
    }

    /// Sets the temperature.
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets the token limit.
    pub fn max_tokens(mut self, max_tokens: u64) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Adds a tool (OpenAI's `{"type": "function", "function": {...}}` JSON).
    pub fn tool(mut self, tool: Value) -> Self {
        self.tools.get_or_insert_with(Vec::new).push(tool);
        self
    }

    /// Asks for structured output.
    pub fn response_format(mut self, format: Value) -> Self {
        self.response_format = Some(format);
        self
    }

    /// Sets any other body field, passed through as is.
    pub fn extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    /// The text of the last user message, if any.
    pub fn last_user_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(Message::text)
    }
}

/// One generated choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Its position.
    #[serde(default)]
    pub index: u32,
    /// What the model answered.
    pub message: Message,
    /// Why it stopped (`stop`, `length`, `tool_calls`, ...).
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A chat-completion response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The provider's id for the completion.
    #[serde(default)]
    pub id: String,
    /// `chat.completion`.
    #[serde(default = "completion_object")]
    pub object: String,
    /// Unix time of creation.
    #[serde(default)]
    pub created: u64,
    /// The model that answered (may differ from the one asked, after a fallback).
    #[serde(default)]
    pub model: String,
    /// The answers.
    pub choices: Vec<Choice>,
    /// Tokens used and cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
    /// What the gateway learned about the call, one section per gateway
    /// (`{"portkey": {...}}`); the client copies it into
    /// [`HookContext::metadata`](crate::HookContext::metadata). Not part of the wire format.
    #[serde(skip)]
    pub gateway_metadata: Extra,
}

fn completion_object() -> String {
    "chat.completion".to_owned()
}

impl ChatResponse {
    /// A one-choice response with `text`, as a gateway that builds answers itself (the demo) returns.
    pub fn from_text(model: impl Into<String>, text: impl Into<String>, usage: Usage) -> Self {
        Self {
            id: String::new(),
            object: completion_object(),
            created: 0,
            model: model.into(),
            choices: vec![Choice {
                index: 0,
                message: Message::assistant(text),
                finish_reason: Some("stop".to_owned()),
                extra: Extra::new(),
            }],
            usage: Some(usage),
            extra: Extra::new(),
            gateway_metadata: Extra::new(),
        }
    }

    /// The first choice's text ("" when there is none).
    pub fn text(&self) -> &str {
        match self
            .choices
            .first()
            .and_then(|c| c.message.content.as_ref())
        {
            Some(super::Content::Text(text)) => text,
            _ => "",
        }
    }

    /// The first choice's tool calls.
    pub fn tool_calls(&self) -> &[ToolCall] {
        self.choices
            .first()
            .and_then(|c| c.message.tool_calls.as_deref())
            .unwrap_or(&[])
    }

    /// Usage, or zero when the provider sent none.
    pub fn usage_or_default(&self) -> Usage {
        self.usage.clone().unwrap_or_default()
    }
}
