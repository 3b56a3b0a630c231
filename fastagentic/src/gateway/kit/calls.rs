//! The one skeleton of `chat`, `chat_stream` and `embed` for gateways built
//! on the kit: compiled settings, per-request work, the transport, then the
//! facts of the answer or the diagnosis of the failure.

use super::ready::Answer;
use super::{Compile, CompileOnce, Outgoing, Ready, Transport, redact};
use crate::gateway::{BoxFuture, CallContext, GatewayError, UpstreamReply};
use crate::llm::{ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse};

impl<S> CompileOnce<S>
where
    S: Compile,
    S::Compiled: Ready,
{
    /// [`LlmGateway::chat`](crate::LlmGateway::chat) of a gateway built on the kit.
    pub fn chat<'a>(
        &'a self,
        call: &'a CallContext,
        mut request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
        Box::pin(async move {
            let ready = self.compiled()?;
            let per_request = ready.per_request(call, Outgoing::Chat(&mut request));
            let reply = ready.client().chat(&request, per_request.headers).await;
            answered(ready, reply, per_request.sent)
        })
    }

    /// [`LlmGateway::chat_stream`](crate::LlmGateway::chat_stream) of a gateway
    /// built on the kit. The facts' cost is left out: a stream's cost comes
    /// in its last chunk's usage.
    pub fn chat_stream<'a>(
        &'a self,
        call: &'a CallContext,
        mut request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
        Box::pin(async move {
            let ready = self.compiled()?;
            let per_request = ready.per_request(call, Outgoing::Chat(&mut request));
            let client = ready.client();
            let (headers, stream) = client
                .chat_stream(request, per_request.headers)
                .await
                .map_err(|error| failed(ready, error))?;
            Ok(match ready.facts(&headers, per_request.sent).section {
                Some(section) => stream.with_metadata(client.provider(), section),
                None => stream,
            })
        })
    }

    /// [`LlmGateway::embed`](crate::LlmGateway::embed) of a gateway built on the kit.
    pub fn embed<'a>(
        &'a self,
        call: &'a CallContext,
        mut request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
        Box::pin(async move {
            let ready = self.compiled()?;
            let per_request = ready.per_request(call, Outgoing::Embedding(&mut request));
            let reply = ready.client().embed(&request, per_request.headers).await;
            answered(ready, reply, per_request.sent)
        })
    }

    /// [`LlmGateway::check`](crate::LlmGateway::check): compiles the settings.
    pub fn check(&self) -> Result<(), GatewayError> {
        self.compiled().map(|_| ())
    }
}

/// A plain answer with the gateway's facts put on it, or the diagnosed failure.
fn answered<R: Ready, A: Answer>(
    ready: &R,
    reply: Result<UpstreamReply<A>, GatewayError>,
    sent: R::Sent,
) -> Result<A, GatewayError> {
    let reply = reply.map_err(|error| failed(ready, error))?;
    let facts = ready.facts(&reply.headers, sent);
    Ok(facts.put_on(ready.client().provider(), reply.body))
}

/// The failure diagnosed, with every credential the gateway sends masked.
fn failed<R: Ready>(ready: &R, error: GatewayError) -> GatewayError {
    redact::sent_credentials(ready.diagnose(error), ready.client().static_headers())
}
