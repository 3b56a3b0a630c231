//! [`Transport`]: how a gateway built on the kit reaches its provider.
//! [`OpenAiCompatClient`] is the one for OpenAI-compatible APIs (OpenAI,
//! Portkey, LiteLLM, Azure's compatible endpoint); a provider with its own
//! wire format (Anthropic, Gemini) brings another and keeps the skeleton.

use std::future::Future;

use http::HeaderMap;

use crate::gateway::{GatewayError, OpenAiCompatClient, UpstreamReply};
use crate::llm::{ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse};

/// Sends the three operations to a provider and answers in FastAgentic's
/// types, with the response headers for the gateway's facts.
pub trait Transport: Send + Sync + 'static {
    /// The provider's name: errors and the metadata section's key.
    fn provider(&self) -> &str;

    /// The headers sent on every request. Those marked sensitive (the
    /// credentials, see [`secret_header`](super::secret_header)) are masked
    /// out of every error the gateway returns: a provider may echo them.
    fn static_headers(&self) -> &HeaderMap;

    /// One chat completion.
    fn chat(
        &self,
        request: &ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> impl Future<Output = Result<UpstreamReply<ChatResponse>, GatewayError>> + Send;

    /// A streamed chat completion, once the provider answered 2xx.
    fn chat_stream(
        &self,
        request: ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> impl Future<Output = Result<(HeaderMap, ChatStream), GatewayError>> + Send;

    /// Embeddings.
    fn embed(
        &self,
        request: &EmbeddingRequest,
        extra_headers: Option<HeaderMap>,
    ) -> impl Future<Output = Result<UpstreamReply<EmbeddingResponse>, GatewayError>> + Send;
}

impl Transport for OpenAiCompatClient {
    fn provider(&self) -> &str {
        OpenAiCompatClient::provider(self)
    }

    fn static_headers(&self) -> &HeaderMap {
        self.headers()
    }

    fn chat(
        &self,
        request: &ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> impl Future<Output = Result<UpstreamReply<ChatResponse>, GatewayError>> + Send {
        OpenAiCompatClient::chat(self, request, extra_headers)
    }

    fn chat_stream(
        &self,
        request: ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> impl Future<Output = Result<(HeaderMap, ChatStream), GatewayError>> + Send {
        OpenAiCompatClient::chat_stream(self, request, extra_headers)
    }

    fn embed(
        &self,
        request: &EmbeddingRequest,
        extra_headers: Option<HeaderMap>,
    ) -> impl Future<Output = Result<UpstreamReply<EmbeddingResponse>, GatewayError>> + Send {
        OpenAiCompatClient::embed(self, request, extra_headers)
    }
}
