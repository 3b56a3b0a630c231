//! The one workload every path serves: classify a support ticket with one
//! chat completion (or stream the answer).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The model asked for.
pub const MODEL: &str = "gpt-4o-mini";
/// The system prompt of the classification call.
pub const SYSTEM_PROMPT: &str = "Label the support ticket: billing, bug or other.";
/// The ticket every request sends.
pub const TICKET_TEXT: &str = "I was charged twice for my subscription this month.";

/// An endpoint's input.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Ticket {
    /// The ticket's text.
    pub text: String,
}

/// An endpoint's output.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Triage {
    /// The label the model chose.
    pub label: String,
}

/// The body sent to the `/triage` and `/stream` endpoints.
pub fn ticket_body() -> String {
    serde_json::json!({ "text": TICKET_TEXT }).to_string()
}

/// The chat-completion body sent straight to an OpenAI-compatible API (the
/// upstream, a peer, or FastAgentic's OpenAI-compatible route): the same
/// call the endpoints make.
pub fn chat_body(stream: bool) -> String {
    let mut body = serde_json::json!({
        "model": MODEL,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": TICKET_TEXT},
        ],
    });
    if stream {
        body["stream"] = serde_json::Value::Bool(true);
    }
    body.to_string()
}
