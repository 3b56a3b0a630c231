//! `AgentStream`: what a streaming endpoint sends, one JSON event at a time.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;

use crate::error::AgentError;
use crate::llm::ChatStream;

/// A stream of JSON events for a `stream = true` endpoint; each becomes one
/// server-sent event (`data: <json>`), the end `data: [DONE]`, and an error
/// a final `event: error` with the usual error JSON.
pub struct AgentStream {
    events: Pin<Box<dyn Stream<Item = Result<Bytes, AgentError>> + Send>>,
}

impl AgentStream {
    /// Events from any stream of serializable items.
    pub fn json<S, T, E>(items: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: Into<AgentError>,
    {
        Self {
            events: Box::pin(items.map(|item| {
                match item {
                    Ok(value) => serde_json::to_vec(&value)
                        .map(Bytes::from)
                        .map_err(AgentError::internal),
                    Err(e) => Err(e.into()),
                }
            })),
        }
    }
}

impl std::fmt::Debug for AgentStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentStream")
    }
}

impl Stream for AgentStream {
    type Item = Result<Bytes, AgentError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.as_mut().poll_next(cx)
    }
}

/// What a streaming endpoint may return.
pub trait IntoAgentStream {
    /// The events.
    fn into_agent_stream(self) -> AgentStream;
}

impl IntoAgentStream for AgentStream {
    fn into_agent_stream(self) -> AgentStream {
        self
    }
}

/// An LLM stream passes through: each chunk's JSON exactly as the upstream sent it.
impl IntoAgentStream for ChatStream {
    fn into_agent_stream(self) -> AgentStream {
        AgentStream {
            events: Box::pin(self.map(|chunk| match chunk {
                Ok(chunk) => Ok(chunk.to_json_bytes()),
                Err(e) => Err(AgentError::from(e)),
            })),
        }
    }
}
