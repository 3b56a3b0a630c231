//! What generated code needs. Not a public API: names here change freely.

pub use std::sync::Arc;

pub use inventory;

pub use crate::context::AgentContext;
pub use crate::endpoint::registration::EndpointEntry;
pub use crate::endpoint::{
    EndpointRegistration, EndpointReply, InputBody, IntoEndpointReply, IntoStreamReply,
    decode_input,
};
pub use crate::error::AgentError;
pub use crate::gateway::{BoxFuture, LlmGateway};
pub use crate::hooks::{
    HookContext, HookEntry, HookEvent, HookRegistration, HookResult, IntoHookResult,
};
pub use crate::runnable::Runnable;
pub use schemars::{JsonSchema, Schema, SchemaGenerator};

/// An endpoint's input type: `Deserialize + JsonSchema`.
#[diagnostic::on_unimplemented(
    message = "the endpoint input `{Self}` must implement `Deserialize` and `JsonSchema`",
    label = "this input type is missing `#[derive(Deserialize, JsonSchema)]`",
    note = "add `#[derive(Deserialize, JsonSchema)]` to `{Self}`"
)]
pub trait EndpointInput: serde::de::DeserializeOwned + JsonSchema + Send + 'static {}
impl<T: serde::de::DeserializeOwned + JsonSchema + Send + 'static> EndpointInput for T {}

/// An endpoint's output type: `Serialize + JsonSchema`.
#[diagnostic::on_unimplemented(
    message = "the endpoint output `{Self}` must implement `Serialize` and `JsonSchema`",
    label = "this output type is missing `#[derive(Serialize, JsonSchema)]`",
    note = "add `#[derive(Serialize, JsonSchema)]` to `{Self}`"
)]
pub trait EndpointOutput: serde::Serialize + JsonSchema + Send + 'static {}
impl<T: serde::Serialize + JsonSchema + Send + 'static> EndpointOutput for T {}

/// An endpoint's error type: anything that converts into `AgentError`.
#[diagnostic::on_unimplemented(
    message = "the endpoint error `{Self}` must convert into `AgentError`",
    label = "use `AgentError` (or a type with `impl From<{Self}> for AgentError`)"
)]
pub trait EndpointError: Into<AgentError> {}
impl<E: Into<AgentError>> EndpointError for E {}

/// A streaming endpoint's stream type.
#[diagnostic::on_unimplemented(
    message = "a `stream = true` endpoint returns `Result<ChatStream, AgentError>` or `Result<AgentStream, AgentError>`, not a `{Self}`",
    label = "return a `ChatStream` (from `ctx.llm().chat_stream(..)`) or an `AgentStream`"
)]
pub trait StreamOutput: crate::endpoint::IntoAgentStream {}
impl<S: crate::endpoint::IntoAgentStream> StreamOutput for S {}

/// Decodes the input (400/422 on bad JSON).
pub fn decode<T: EndpointInput>(body: InputBody) -> Result<T, AgentError> {
    decode_input(body)
}

/// The input's schema.
pub fn input_schema<T: EndpointInput>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The output's schema.
pub fn output_schema<T: EndpointOutput>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Encodes a JSON endpoint's result.
pub fn json_reply<T: EndpointOutput, E: EndpointError>(
    result: Result<T, E>,
) -> Result<EndpointReply, AgentError> {
    IntoEndpointReply::into_reply(result.map_err(Into::into))
}

/// Encodes a streaming endpoint's result.
pub fn stream_reply<S: StreamOutput, E: EndpointError>(
    result: Result<S, E>,
) -> Result<EndpointReply, AgentError> {
    IntoStreamReply::into_reply(result.map_err(Into::into))
}

/// The schema of a streaming endpoint's events: any JSON object (chat chunks
/// pass through as the provider sent them).
pub fn stream_event_schema(_generator: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({"type": "object", "description": "One event: a chat.completion.chunk, or the endpoint's own JSON"})
}

/// Shares an endpoint's gateway; the bound puts the error on the user's expression.
pub fn gateway<G: LlmGateway>(gateway: G) -> Arc<dyn LlmGateway> {
    crate::gateway::shared(gateway)
}

/// Boxes a runnable; the bound puts the error on the user's expression.
pub fn runnable<I, O, R: Runnable<I, O>>(runnable: R) -> Box<dyn Runnable<I, O>> {
    Box::new(runnable)
}

/// Built once, on first use (at start-up the registry touches every endpoint's).
pub use std::sync::LazyLock;
