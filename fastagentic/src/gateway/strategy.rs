//! [`Strategy`]: a piece of a gateway tree (retry, fallback, rate limit, ...)
//! written once over [`GatewayRequest`] and [`GatewayReply`], which gets
//! chat, streaming and embeddings from one method.

use super::{BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node};
use crate::llm::{ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse};

/// A gateway that wraps gateways: it implements one method, [`serve`](Self::serve),
/// for every kind of request, and is an [`LlmGateway`] by that.
///
/// Inside a tree, pieces call their gateways through [`LlmGateway::serve`]:
/// a stream comes back with its first chunk already there (primed once, by
/// the transport's `serve`), so a failure before it is still the call's
/// failure that a retry or fallback can act on. The route each piece
/// records ([`GatewayReply::route`]) is written into
/// `gateway_metadata["fastagentic"]` once, where the tree is entered
/// through `chat`, `chat_stream` or `embed`.
///
/// ```
/// use fastagentic::gateway::{
///     BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node,
///     NodeKind, Strategy,
/// };
///
/// /// Marks every answer it passes on, whatever its kind.
/// struct Marked<G>(G);
///
/// impl<G: LlmGateway> Strategy for Marked<G> {
///     fn name(&self) -> &str {
///         self.0.name()
///     }
///     fn serve<'a>(&'a self, call: &'a CallContext, request: GatewayRequest) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
///         Box::pin(async move {
///             let mut reply = self.0.serve(call, request).await?;
///             reply.gateway_metadata_mut().insert("marked".into(), true.into());
///             Ok(reply)
///         })
///     }
///     fn node(&self) -> Node<'_> {
///         Node::wrapping(NodeKind::Strategy("marked"), &self.0)
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use fastagentic::{ChatRequest, EmbeddingRequest};
/// let gateway = Marked(fastagentic::DemoGateway::new());
/// let call = CallContext::detached();
/// let reply = gateway.chat(&call, ChatRequest::new("m").user("hi")).await.unwrap();
/// assert_eq!(reply.gateway_metadata["marked"], true);
/// let stream = gateway.chat_stream(&call, ChatRequest::new("m").user("hi")).await.unwrap();
/// assert_eq!(stream.gateway_metadata["marked"], true);
/// let vectors = gateway.embed(&call, EmbeddingRequest::new("e", ["hi"])).await.unwrap();
/// assert_eq!(vectors.gateway_metadata["marked"], true);
/// # });
/// ```
pub trait Strategy: Send + Sync + 'static {
    /// The name of the gateway the piece wraps (logs, errors, metadata).
    fn name(&self) -> &str;

    /// Serves one request of any kind.
    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>>;

    /// What the piece is and the gateways it calls.
    fn node(&self) -> Node<'_>;

    /// Checks the piece's own options at start-up; its gateways are checked
    /// after it, and their errors name their path in the tree.
    fn check_options(&self) -> Result<(), String> {
        Ok(())
    }
}

#[diagnostic::do_not_recommend]
impl<S: Strategy> LlmGateway for S {
    fn name(&self) -> &str {
        Strategy::name(self)
    }

    fn chat<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
        Box::pin(async move {
            Strategy::serve(self, call, GatewayRequest::Chat(request))
                .await?
                .into_chat(Strategy::name(self))
        })
    }

    fn chat_stream<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
        Box::pin(async move {
            Strategy::serve(self, call, GatewayRequest::Stream(request))
                .await?
                .into_stream(Strategy::name(self))
        })
    }

    fn embed<'a>(
        &'a self,
        call: &'a CallContext,
        request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
        Box::pin(async move {
            Strategy::serve(self, call, GatewayRequest::Embed(request))
                .await?
                .into_embed(Strategy::name(self))
        })
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Strategy::serve(self, call, request)
    }

    fn node(&self) -> Node<'_> {
        Strategy::node(self)
    }

    /// The piece's options, then each gateway it calls; an error below a
    /// branching node names the target's path (`targets[1]: ...`).
    fn check(&self) -> Result<(), GatewayError> {
        self.check_options()
            .map_err(|message| GatewayError::config(Strategy::name(self), message))?;
        for child in Strategy::node(self).children {
            child.gateway.check().map_err(|error| match child.segment {
                Some(segment) => error.at(segment),
                None => error,
            })?;
        }
        Ok(())
    }
}
