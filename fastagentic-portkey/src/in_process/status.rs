//! [`AsPortkeyStatus`]: a timed-out call answers 408, as Portkey's
//! `request_timeout` does, so the strategy above decides by status.

use std::time::Duration;

use fastagentic::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};
use fastagentic::reliability::Timeout;

/// `request_timeout` of one target: each attempt bounded, a timeout turned
/// into an upstream 408 (not a default retry code; a fallback without
/// `on_status_codes` moves on, one with them only when 408 is listed).
pub(crate) struct RequestTimeout<G: LlmGateway> {
    inner: Timeout<G>,
}

impl<G: LlmGateway> RequestTimeout<G> {
    pub(crate) fn new(inner: G, limit: Duration) -> Self {
        Self {
            inner: Timeout::new(inner, limit),
        }
    }
}

impl<G: LlmGateway> Strategy for RequestTimeout<G> {
    fn name(&self) -> &str {
        LlmGateway::name(&self.inner)
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(async move {
            LlmGateway::serve(&self.inner, call, request)
                .await
                .map_err(|error| match error {
                    GatewayError::Timeout { provider, after } => GatewayError::Upstream {
                        provider,
                        status: 408,
                        message: format!(
                            "request_timeout: no answer within {} ms",
                            after.as_millis()
                        ),
                        body: String::new(),
                        retry_after: None,
                    },
                    other => other,
                })
        })
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Strategy("request_timeout"), &self.inner)
    }
}
