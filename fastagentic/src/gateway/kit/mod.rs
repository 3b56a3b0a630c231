//! The gateway kit: what the OpenAI, Portkey and LiteLLM gateways (and the
//! provider adapters to come) stand on, so each writes only what is its own.
//!
//! A gateway built on the kit is a builder over plain settings, compiled once
//! into what requests need:
//!
//! - [`Setting`] and [`BaseUrl`]: a value with where it came from
//!   ([`Origin`]), so a start-up problem names the environment variable to fix;
//! - [`BaseUrl::check`] and [`secret_header`]: the one validator of base URLs
//!   (absolute http(s), no credentials) and credentials (non-empty, fit for a
//!   header), whose messages never show a secret;
//! - [`redact`]: hiding credentials in URLs, JSON and errors;
//! - [`PerCall`] and [`MetadataWith`]: values computed per call from the
//!   [`CallContext`](super::CallContext), with one closure signature;
//! - [`Compile`] and [`CompileOnce`]: settings compiled once, at
//!   [`check`](super::LlmGateway::check) or the first call, forgotten when a
//!   builder call edits them;
//! - [`Ready`]: the compiled gateway's steps around the transport (per-request
//!   headers and body fields, response [`Facts`], diagnosis of errors), run by
//!   one skeleton for `chat`, `chat_stream` and `embed` ([`CompileOnce::chat`])
//!   over a [`Transport`] (the OpenAI-compatible client, or a provider's own);
//!   [`explain_upstream`] gives diagnoses their shape, and [`kit_gateway!`]
//!   implements [`LlmGateway`](super::LlmGateway) with them.

mod base_url;
mod calls;
mod compile;
mod diagnosis;
mod llm_gateway;
mod metadata;
mod per_call;
mod ready;
pub mod redact;
mod secret_header;
mod setting;
mod sse_events;
mod transport;

#[doc(inline)]
pub use crate::kit_gateway;
pub use base_url::BaseUrl;
pub use compile::{Compile, CompileOnce};
pub use diagnosis::{Failure, connection_error, explain_upstream};
pub use metadata::{MetadataFn, MetadataWith};
pub use per_call::PerCall;
pub use ready::{Facts, Outgoing, PerRequest, Ready};
pub use secret_header::secret_header;
pub use setting::{Origin, Setting};
pub use sse_events::{SseEvents, retry_after};
pub use transport::Transport;
