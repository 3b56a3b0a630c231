//! Streamed chat completions: chunks of deltas, usage in the last one.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use super::{Extra, Role, StreamChunk, Usage};
use crate::gateway::GatewayError;

/// What one chunk adds to a choice.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Set on the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// New text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Tool-call fragments, as the provider sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<serde_json::Value>>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One choice's part of a chunk.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Which choice.
    #[serde(default)]
    pub index: u32,
    /// What it adds.
    #[serde(default)]
    pub delta: Delta,
    /// Set on the choice's last chunk.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One `chat.completion.chunk`.
///
/// A chunk read from an upstream keeps its original JSON ([`ChatChunk::raw`]),
/// so a streaming endpoint forwards it byte for byte instead of re-encoding it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    /// The completion's id.
    #[serde(default)]
    pub id: String,
    /// `chat.completion.chunk`.
    #[serde(default = "chunk_object")]
    pub object: String,
    /// The model.
    #[serde(default)]
    pub model: String,
    /// Deltas per choice (empty on a usage-only final chunk).
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Usage, sent on the last chunk when `stream_options.include_usage` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Fields FastAgentic does not model, passed through.
    #[serde(flatten)]
    pub extra: Extra,
    #[serde(skip)]
    raw: Option<Bytes>,
}

fn chunk_object() -> String {
    "chat.completion.chunk".to_owned()
}

impl ChatChunk {
    /// A chunk that adds `text` to choice 0.
    pub fn text(model: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            object: chunk_object(),
            model: model.into(),
            choices: vec![ChunkChoice {
                delta: Delta {
                    content: Some(text.into()),
                    ..Delta::default()
                },
                ..ChunkChoice::default()
            }],
            ..Self::default()
        }
    }

    /// Parses a chunk from the JSON of one SSE `data:` line, keeping the bytes.
    pub fn from_json_bytes(raw: Bytes) -> Result<Self, serde_json::Error> {
        let mut chunk: ChatChunk = serde_json::from_slice(&raw)?;
        chunk.raw = Some(raw);
        Ok(chunk)
    }

    /// The chunk's JSON exactly as the upstream sent it, if it came from one
    /// and nothing changed it since.
    pub fn raw(&self) -> Option<&Bytes> {
        self.raw.as_ref()
    }

    /// Forgets the original bytes, after a change, so the chunk is re-encoded.
    pub fn into_modified(mut self) -> Self {
        self.raw = None;
        self
    }

    /// The chunk's JSON: the original bytes when unchanged, else freshly encoded.
    pub fn to_json_bytes(&self) -> Bytes {
        match &self.raw {
            Some(raw) => raw.clone(),
            None => Bytes::from(serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())),
        }
    }

    /// The text choice 0 adds ("" when none).
    pub fn delta_text(&self) -> &str {
        self.choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
            .unwrap_or("")
    }
}

type ChunkStream = Pin<Box<dyn Stream<Item = Result<StreamChunk, GatewayError>> + Send>>;

/// A streamed chat completion: a stream of chunks, plus what the gateway
/// learned when the stream opened (see [`ChatResponse::gateway_metadata`](super::ChatResponse::gateway_metadata)).
///
/// Its items are [`StreamChunk`]s: an upstream's chunk stays its bytes
/// until something reads a field (it dereferences to a [`ChatChunk`]).
///
/// A failure before the first chunk is returned by `chat_stream` itself; a
/// failure after it arrives as an `Err` item ([`GatewayError::StreamInterrupted`]).
pub struct ChatStream {
    chunks: ChunkStream,
    /// One section per gateway, like [`ChatResponse::gateway_metadata`](super::ChatResponse::gateway_metadata).
    pub gateway_metadata: Extra,
}

impl ChatStream {
    /// Wraps a stream of chunks: [`ChatChunk`]s or [`StreamChunk`]s.
    pub fn new<S, C>(chunks: S) -> Self
    where
        S: Stream<Item = Result<C, GatewayError>> + Send + 'static,
        C: Into<StreamChunk> + 'static,
    {
        Self {
            chunks: Box::pin(futures_util::StreamExt::map(chunks, |item| {
                item.map(Into::into)
            })),
            gateway_metadata: Extra::new(),
        }
    }

    /// A stream with no chunks.
    pub fn empty() -> Self {
        Self::new(futures_util::stream::empty::<
            Result<StreamChunk, GatewayError>,
        >())
    }

    /// Adds a section of gateway metadata.
    pub fn with_metadata(mut self, gateway: &str, section: serde_json::Value) -> Self {
        self.gateway_metadata.insert(gateway.to_owned(), section);
        self
    }
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("gateway_metadata", &self.gateway_metadata)
            .finish_non_exhaustive()
    }
}

impl Stream for ChatStream {
    type Item = Result<StreamChunk, GatewayError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.as_mut().poll_next(cx)
    }
}
