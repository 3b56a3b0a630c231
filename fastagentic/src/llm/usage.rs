//! Token usage and cost of one LLM call.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Tokens used by a call and, when known, what they cost in US dollars.
///
/// On the wire this is OpenAI's `usage` object (`prompt_tokens`,
/// `completion_tokens`, `total_tokens`); `input_tokens`/`output_tokens` are
/// accepted too.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    /// Tokens in the prompt.
    #[serde(rename = "prompt_tokens", alias = "input_tokens", default)]
    pub input_tokens: u64,
    /// Tokens the model wrote.
    #[serde(rename = "completion_tokens", alias = "output_tokens", default)]
    pub output_tokens: u64,
    /// Both together.
    #[serde(default)]
    pub total_tokens: u64,
    /// Cost in US dollars: the gateway's own figure when it sends one, else
    /// the framework's price table, else `None` (unknown model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

impl Usage {
    /// Usage from token counts; the total is their sum.
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens,
            output_tokens,
            total_tokens: input_tokens + output_tokens,
            cost: None,
        }
    }
}
