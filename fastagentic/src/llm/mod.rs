//! The LLM layer: OpenAI chat-completions-compatible types, the client an
//! endpoint calls (`ctx.llm()`), and the model price table.
//!
//! Every type keeps the fields it does not know in an `extra` map, so a
//! request or response passes through FastAgentic untouched.

mod chat;
mod chunk_scan;
mod client;
mod embedding;
mod message;
mod pricing;
mod stream;
mod stream_chunk;
mod usage;

pub use chat::{ChatRequest, ChatResponse, Choice};
pub use client::LlmClient;
pub use embedding::{Embedding, EmbeddingRequest, EmbeddingResponse};
pub use message::{Content, FunctionCall, Message, Role, ToolCall};
pub use pricing::{ModelPrice, PriceTable};
pub use stream::{ChatChunk, ChatStream, ChunkChoice, Delta};
pub use stream_chunk::StreamChunk;
pub use usage::Usage;

/// Unknown JSON fields kept as they came.
pub type Extra = serde_json::Map<String, serde_json::Value>;
