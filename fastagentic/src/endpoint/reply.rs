//! Encoding an endpoint's output.

use serde::Serialize;
use serde_json::Value;

use super::{AgentStream, IntoAgentStream};
use crate::error::AgentError;

/// An output of any serializable type, encoded once: to bytes normally, to
/// a JSON value only when an `on_response` hook needs to see it.
pub trait ErasedJson: Send {
    /// The output as JSON bytes.
    fn to_json_bytes(&self) -> Result<Vec<u8>, serde_json::Error>;
    /// The output as a JSON value.
    fn to_json_value(&self) -> Result<Value, serde_json::Error>;
}

impl<T: Serialize + Send> ErasedJson for T {
    fn to_json_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
    fn to_json_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// What an endpoint answers with.
pub enum EndpointReply {
    /// One JSON document.
    Json(Box<dyn ErasedJson>),
    /// Server-sent events.
    Stream(AgentStream),
}

impl std::fmt::Debug for EndpointReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointReply::Json(_) => f.write_str("EndpointReply::Json"),
            EndpointReply::Stream(_) => f.write_str("EndpointReply::Stream"),
        }
    }
}

/// The return type of a JSON endpoint function: `Result<T, E>` with `T`
/// serializable and `E` convertible into [`AgentError`].
#[diagnostic::on_unimplemented(
    message = "an endpoint must return `Result<Output, AgentError>`, not `{Self}`",
    label = "return `Result<Output, AgentError>` where Output: Serialize + JsonSchema"
)]
pub trait IntoEndpointReply {
    /// Encodes the reply.
    fn into_reply(self) -> Result<EndpointReply, AgentError>;
}

impl<T, E> IntoEndpointReply for Result<T, E>
where
    T: Serialize + Send + 'static,
    E: Into<AgentError>,
{
    fn into_reply(self) -> Result<EndpointReply, AgentError> {
        match self {
            Ok(value) => Ok(EndpointReply::Json(Box::new(value))),
            Err(e) => Err(e.into()),
        }
    }
}

/// The return type of a `stream = true` endpoint function: `Result<S, E>`
/// with `S` a [`ChatStream`](crate::ChatStream) or an [`AgentStream`].
#[diagnostic::on_unimplemented(
    message = "a `stream = true` endpoint must return `Result<ChatStream, AgentError>` or `Result<AgentStream, AgentError>`, not `{Self}`",
    label = "return `Result<ChatStream, AgentError>` or `Result<AgentStream, AgentError>`"
)]
pub trait IntoStreamReply {
    /// Encodes the reply.
    fn into_reply(self) -> Result<EndpointReply, AgentError>;
}

impl<S, E> IntoStreamReply for Result<S, E>
where
    S: IntoAgentStream,
    E: Into<AgentError>,
{
    fn into_reply(self) -> Result<EndpointReply, AgentError> {
        match self {
            Ok(stream) => Ok(EndpointReply::Stream(stream.into_agent_stream())),
            Err(e) => Err(e.into()),
        }
    }
}
