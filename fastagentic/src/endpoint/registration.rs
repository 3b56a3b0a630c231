//! The record `#[agent_endpoint]` registers.

use std::sync::Arc;

use super::{EndpointReply, InputBody};
use crate::context::AgentContext;
use crate::error::AgentError;
use crate::gateway::{BoxFuture, LlmGateway};

/// The generated glue: decodes the input, calls the user's function, encodes its output.
pub type EndpointHandler =
    fn(AgentContext, InputBody) -> BoxFuture<'static, Result<EndpointReply, AgentError>>;

/// Writes a type's JSON schema (as a `$ref` into the shared components when named).
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// Builds an endpoint's own gateway, once, at start-up.
pub type GatewayFactory = fn() -> Arc<dyn LlmGateway>;

/// One endpoint, as `#[agent_endpoint]` registers it (through `inventory`)
/// and as [`App::endpoint`](crate::App::endpoint) takes it where `inventory`
/// does not work. `#[agent_endpoint]` on `fn triage` also defines
/// `TRIAGE_ENDPOINT`, this record, for that purpose.
#[derive(Debug)]
pub struct EndpointRegistration {
    /// The HTTP path (`POST`).
    pub path: &'static str,
    /// The endpoint's name (the function's, unless `name = ...`); the OpenAPI operation id.
    pub name: &'static str,
    /// What it does: `description = ...` or the doc comment.
    pub description: &'static str,
    /// Whether it answers with server-sent events.
    pub stream: bool,
    /// The glue.
    pub handler: EndpointHandler,
    /// The input's schema, when the function takes an input.
    pub input_schema: Option<SchemaFn>,
    /// The output's schema (for streams: one event's).
    pub output_schema: SchemaFn,
    /// The endpoint's own gateway (`llm_gateway = ...`); `None` uses the app's.
    pub gateway: Option<GatewayFactory>,
    /// This endpoint's retry policy (`retry = ...`), wrapped around its gateway.
    pub retry: Option<fn() -> crate::reliability::RetryPolicy>,
    /// This endpoint's own rate limit (`rate_limit(...)`), a budget apart from other endpoints'.
    pub rate_limit: Option<fn() -> crate::reliability::RateLimit>,
    /// This endpoint's request timeout (`timeout = "30s"`), instead of the app's.
    pub timeout: Option<fn() -> std::time::Duration>,
    /// Work done once at start-up (builds a `runnable = ...` agent).
    pub prepare: Option<fn()>,
    /// The module that defines it.
    pub module: &'static str,
    /// Where it is defined.
    pub file: &'static str,
    /// The line of the definition.
    pub line: u32,
}

impl EndpointRegistration {
    /// `file:line`, for messages.
    pub fn site(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The `inventory` entry: a reference to an endpoint's record.
#[derive(Debug)]
pub struct EndpointEntry(pub &'static EndpointRegistration);

inventory::collect!(EndpointEntry);
