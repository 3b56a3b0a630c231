//! # FastAgentic
//!
//! Turn annotated async functions into a production LLM-agent service.
//!
//! ```no_run
//! use fastagentic::prelude::*;
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Ticket { text: String }
//! #[derive(Serialize, JsonSchema)]
//! struct Triage { label: String }
//!
//! /// Classifies a support ticket.
//! #[agent_endpoint(path = "/triage")]
//! async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
//!     let reply = ctx.llm().chat(ChatRequest::new("gpt-4o-mini").system("Label it.").user(&input.text)).await?;
//!     Ok(Triage { label: reply.text().to_owned() })
//! }
//!
//! #[hook("on_llm_end")]
//! async fn log_tokens(ctx: &HookContext) {
//!     println!("{} tokens", ctx.usage.total_tokens);
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), fastagentic::Error> {
//!     App::new("My Agent").llm_gateway(OpenAiGateway::from_env()?).serve("127.0.0.1:8000").await
//! }
//! ```
//!
//! A request flows: route → body limit, JSON parse, schema check → `on_request`
//! hooks → your function → `ctx.llm()` → `on_llm_start` → the gateway →
//! `on_llm_end` → `on_response` → JSON (or server-sent events).
//!
//! Your crate needs `serde` and `schemars` as dependencies for the derives.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod app;
pub mod cache;
mod context;
pub mod dashboard;
pub mod endpoint;
mod error;
pub mod gateway;
pub mod hooks;
mod http;
mod listener;
pub mod llm;
/// Extra routes an integration serves in an app: [`App::mount`] and the
/// [`RouteSet`](mount::RouteSet) an integration implements.
pub mod mount {
    pub use crate::app::mount::{MountedRoute, RouteReply, RouteRequest, RouteSet};
}
pub mod observability;
mod openai_compatible;
pub mod reliability;
pub mod routing;
mod runnable;
mod secret;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use app::{App, DEFAULT_BODY_LIMIT, ServerHandle, shutdown_signal};
pub use context::AgentContext;
pub use dashboard::Dashboard;
pub use endpoint::{AgentStream, EndpointRegistration, IntoAgentStream};
pub use error::{AgentError, Error};
pub use gateway::{
    BoxFuture, CallContext, DemoGateway, GatewayError, LlmGateway, OpenAiCompatClient,
    OpenAiGateway,
};
pub use hooks::{Hook, HookContext, HookEvent, HookRegistration, HookResult, TracingHook};
pub use listener::listen;
pub use llm::{
    ChatChunk, ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse,
    LlmClient, Message, ModelPrice, PriceTable, Role, StreamChunk, Usage,
};
#[cfg(feature = "langfuse")]
pub use observability::LangfuseHook;
#[cfg(feature = "otlp")]
pub use observability::Telemetry;
pub use reliability::ReliableGateway;
pub use runnable::Runnable;
pub use secret::Secret;

/// Marks an `async fn` as an HTTP endpoint; see the crate docs.
///
/// Keys: `path = "/x"` (required), `name = "..."`, `description = "..."`
/// (default: the doc comment), `llm_gateway = <expr>` (this endpoint's own
/// gateway, evaluated once at start-up), `stream = true` (answers with
/// server-sent events), `runnable = <expr>` (delegates to a [`Runnable`];
/// the function then has no body). `ctx: AgentContext` and the input
/// parameter are each optional.
pub use fastagentic_macros::agent_endpoint;

/// Registers an `async fn(ctx: &HookContext)` as a lifecycle hook:
/// `#[hook("on_llm_end")]`. It may return `()`, [`HookResult`] or `Result<(), E>`.
pub use fastagentic_macros::hook;

/// Everything an agent service usually needs, in one `use`.
pub mod prelude {
    pub use crate::{
        AgentContext, AgentError, AgentStream, App, ChatChunk, ChatRequest, ChatResponse,
        ChatStream, Dashboard, DemoGateway, Hook, HookContext, HookEvent, HookResult, LlmGateway,
        Message, OpenAiGateway, Runnable, StreamChunk, TracingHook, Usage, agent_endpoint, hook,
    };
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
}
