//! Embedding requests and responses.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, Usage};

/// An embeddings request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    /// The embedding model.
    pub model: String,
    /// A string or a list of strings (or token arrays), as OpenAI accepts.
    pub input: Value,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EmbeddingRequest {
    /// Embeds `inputs` with `model`.
    pub fn new<I, S>(model: impl Into<String>, inputs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            model: model.into(),
            input: Value::Array(
                inputs
                    .into_iter()
                    .map(|s| Value::String(s.into()))
                    .collect(),
            ),
            extra: Extra::new(),
        }
    }
}

/// One embedding vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// Position in the input.
    #[serde(default)]
    pub index: u32,
    /// The vector.
    pub embedding: Vec<f32>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An embeddings response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingResponse {
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// One vector per input.
    pub data: Vec<Embedding>,
    /// Tokens used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
    /// What the gateway learned about the call (see [`ChatResponse::gateway_metadata`](super::ChatResponse::gateway_metadata)).
    #[serde(skip)]
    pub gateway_metadata: Extra,
}
