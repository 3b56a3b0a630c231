//! [`Labelled`]: a target records which provider answered, for
//! `metadata["portkey"]["provider"]`.

use fastagentic::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};
use serde_json::{Map, Value};

use crate::settings::NAME;

/// One target of the config, named by its provider slug.
pub(crate) struct Labelled {
    pub(crate) inner: std::sync::Arc<dyn LlmGateway>,
    pub(crate) provider: String,
}

impl Strategy for Labelled {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(async move {
            let mut reply = self.inner.serve(call, request).await?;
            let section = reply
                .gateway_metadata_mut()
                .entry(NAME)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(section) = section {
                section
                    .entry("provider")
                    .or_insert_with(|| Value::from(self.provider.as_str()));
            }
            Ok(reply)
        })
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Strategy("target"), self.inner.as_ref())
    }
}
