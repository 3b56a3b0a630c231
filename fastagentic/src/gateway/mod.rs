//! LLM gateways: the [`LlmGateway`] trait every LLM call goes through, and the
//! gateways built into the core crate.
//!
//! - [`OpenAiGateway`]: any OpenAI-compatible API (`OPENAI_API_KEY`, `OPENAI_BASE_URL`).
//! - [`DemoGateway`]: deterministic offline answers, so an app runs with no key.
//! - [`OpenAiCompatClient`]: the HTTP transport the OpenAI, Portkey and
//!   LiteLLM gateways share.
//! - [`kit`]: what those gateways stand on: settings compiled once, one
//!   base-URL and secret check, redaction, and one skeleton for the calls.

mod call_context;
mod config_problems;
mod demo;
mod error;
mod first_chunk;
pub mod kit;
mod openai;
mod openai_compat;
mod operation;
mod route;
mod sse;
mod strategy;
mod tree;
mod upstream_http;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use call_context::CallContext;
pub(crate) use call_context::no_request_metadata;
pub use config_problems::ConfigProblems;
pub use demo::DemoGateway;
pub use error::GatewayError;
pub use openai::OpenAiGateway;
pub use openai_compat::{OpenAiCompatClient, UpstreamReply};
pub use operation::{Answer, GatewayReply, GatewayRequest};
pub use route::{CacheFacts, CacheStatus, NodePath, PassedOver, PathSegment, Route};
pub use strategy::Strategy;
pub use tree::{Child, Node, NodeKind, walk, walk_nodes};

pub(crate) use first_chunk::first_chunk;

use crate::llm::{ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse};

/// A boxed, `Send` future: what object-safe async methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where every LLM call goes: a provider, a proxy, or a strategy that wraps
/// other gateways.
///
/// The trait is object-safe: an app holds `Arc<dyn LlmGateway>` per endpoint.
/// Every call carries a [`CallContext`] (run id, endpoint, user, metadata,
/// deadline) so a gateway can derive per-request options from it.
///
/// Responses carry the gateway's own facts in
/// [`ChatResponse::gateway_metadata`] under the gateway's name; the client
/// copies them into [`HookContext::metadata`](crate::HookContext::metadata).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an LLM gateway",
    label = "this expression must implement `LlmGateway`",
    note = "use `OpenAiGateway`, `DemoGateway`, `fastagentic_portkey::PortkeyGateway`, `fastagentic_litellm::LiteLLMGateway`, or implement `fastagentic::LlmGateway` for your type"
)]
pub trait LlmGateway: Send + Sync + 'static {
    /// A short name, used in logs, errors and as the metadata section's key.
    fn name(&self) -> &str;

    /// One chat completion.
    fn chat<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>>;

    /// A streamed chat completion: chunks as they arrive, usage in the last one.
    fn chat_stream<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>>;

    /// Embeddings.
    fn embed<'a>(
        &'a self,
        call: &'a CallContext,
        request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>>;

    /// Checks the configuration once at start-up (keys present, URLs valid),
    /// so a mistake stops the app with a message that names the fix instead
    /// of failing the first request.
    fn check(&self) -> Result<(), GatewayError> {
        Ok(())
    }

    /// Serves a request of any kind: what strategy pieces call on the
    /// gateways they wrap. The default calls [`chat`](Self::chat),
    /// [`chat_stream`](Self::chat_stream) (and waits for the first chunk, so a
    /// stream that fails before it fails the call) or [`embed`](Self::embed);
    /// [`Strategy`] pieces serve it directly.
    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(async move {
            let answer = match request {
                GatewayRequest::Chat(request) => Answer::Chat(self.chat(call, request).await?),
                GatewayRequest::Stream(request) => {
                    Answer::Stream(first_chunk(self.chat_stream(call, request).await?).await?)
                }
                GatewayRequest::Embed(request) => Answer::Embed(self.embed(call, request).await?),
            };
            Ok(GatewayReply::new(answer))
        })
    }

    /// What this gateway is in a tree and the gateways it wraps (see
    /// [`walk`]); a transport is a leaf.
    fn node(&self) -> Node<'_> {
        Node::leaf(self.name())
    }
}

macro_rules! forward_gateway {
    ($($wrapper:ident),*) => {$(
        #[diagnostic::do_not_recommend]
        impl<G: LlmGateway + ?Sized> LlmGateway for $wrapper<G> {
            fn name(&self) -> &str {
                (**self).name()
            }
            fn chat<'a>(&'a self, call: &'a CallContext, request: ChatRequest) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
                (**self).chat(call, request)
            }
            fn chat_stream<'a>(&'a self, call: &'a CallContext, request: ChatRequest) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
                (**self).chat_stream(call, request)
            }
            fn embed<'a>(&'a self, call: &'a CallContext, request: EmbeddingRequest) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
                (**self).embed(call, request)
            }
            fn check(&self) -> Result<(), GatewayError> {
                (**self).check()
            }
            fn serve<'a>(&'a self, call: &'a CallContext, request: GatewayRequest) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
                (**self).serve(call, request)
            }
            fn node(&self) -> Node<'_> {
                (**self).node()
            }
        }
    )*};
}

// `Box` is not forwarded: it is a fundamental type, so a `Box` could be a
// `Strategy` too. Share a boxed gateway with `Arc::from(boxed)`.
forward_gateway!(Arc);

/// Shares a gateway as `Arc<dyn LlmGateway>` (no double wrapping for an `Arc` already shared).
pub fn shared<G: LlmGateway>(gateway: G) -> Arc<dyn LlmGateway> {
    let boxed: Box<dyn std::any::Any> = Box::new(gateway);
    match boxed.downcast::<Arc<dyn LlmGateway>>() {
        Ok(already) => *already,
        Err(other) => match other.downcast::<G>() {
            Ok(gateway) => Arc::new(*gateway),
            Err(_) => unreachable!("the box holds a G"),
        },
    }
}
