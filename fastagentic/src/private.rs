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

/// An endpoint's error type `E`: anything `AgentError` converts from. The
/// bound is written `AgentError: EndpointError<E>` (not `E: Into<AgentError>`)
/// so that rustc reports this trait's message rather than the bare
/// `AgentError: From<E>` it fails on.
#[diagnostic::on_unimplemented(
    message = "the endpoint error `{E}` must convert into `AgentError`",
    label = "return `AgentError` here, or implement `From<{E}> for AgentError`"
)]
pub trait EndpointError<E>: From<E> {}
impl<E> EndpointError<E> for AgentError where AgentError: From<E> {}

/// A streaming endpoint's stream type.
#[diagnostic::on_unimplemented(
    message = "a `stream = true` endpoint returns `Result<ChatStream, AgentError>` or `Result<AgentStream, AgentError>`, not a `{Self}`",
    label = "return a `ChatStream` (from `ctx.llm().chat_stream(..)`) or an `AgentStream`"
)]
pub trait StreamOutput: crate::endpoint::IntoAgentStream {}
impl<S: crate::endpoint::IntoAgentStream> StreamOutput for S {}

/// What an endpoint's input type provides. Generated code reaches both
/// functions through [`input`], so a missing derive is reported once.
pub struct InputFns<T> {
    /// Decodes the input (400/422 on bad JSON).
    pub decode: fn(InputBody) -> Result<T, AgentError>,
    /// The input's schema.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// The input type's functions; the one place its bound is checked.
pub const fn input<T: EndpointInput>() -> InputFns<T> {
    InputFns {
        decode: decode_input::<T>,
        schema: schema_of::<T>,
    }
}

/// What a JSON endpoint's output type provides, through [`output`].
pub struct OutputFns<T> {
    /// Encodes the function's result.
    pub reply: fn(Result<T, AgentError>) -> Result<EndpointReply, AgentError>,
    /// The output's schema.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// The output type's functions; the one place its bound is checked.
pub const fn output<T: EndpointOutput>() -> OutputFns<T> {
    OutputFns {
        reply: <Result<T, AgentError> as IntoEndpointReply>::into_reply,
        schema: schema_of::<T>,
    }
}

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Converts the function's error into `AgentError`.
pub fn agent_error<T, E>(result: Result<T, E>) -> Result<T, AgentError>
where
    AgentError: EndpointError<E>,
{
    result.map_err(AgentError::from)
}

/// Encodes a streaming endpoint's result.
pub fn stream_reply<S: StreamOutput>(
    result: Result<S, AgentError>,
) -> Result<EndpointReply, AgentError> {
    IntoStreamReply::into_reply(result)
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

/// Boxes a runnable; the bound puts the error on the user's expression (the
/// endpoint's input and output types come as the second argument, not as a
/// turbofish whose `_` for `R` would take the error away from it).
pub fn runnable<I, O, R: Runnable<I, O>>(
    runnable: R,
    _types: std::marker::PhantomData<(I, O)>,
) -> Box<dyn Runnable<I, O>> {
    Box::new(runnable)
}

/// Built once, on first use (at start-up the registry touches every endpoint's).
pub use std::sync::LazyLock;

pub use crate::reliability::{
    Backoff, BackoffKind, ErrorClass, ErrorFilter, RateLimit, RetryPolicy,
};
pub use std::time::Duration;

/// `retry = <expr>`: the bound puts a type error on the user's expression.
pub fn retry_policy(policy: RetryPolicy) -> RetryPolicy {
    policy
}

/// `rate_limit = <expr>`: the bound puts a type error on the user's expression.
pub fn rate_limit(limit: RateLimit) -> RateLimit {
    limit
}

/// `timeout = <expr>`: the bound puts a type error on the user's expression.
pub fn timeout(timeout: Duration) -> Duration {
    timeout
}
