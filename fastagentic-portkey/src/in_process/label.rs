//! [`Labelled`]: a target records which provider answered, for
//! `metadata["portkey"]["provider"]`, and, where a caller asks for it
//! ([`LAST_TRIED`]), which target a call tried last, for the headers of a
//! failed call.

use std::sync::{Arc, Mutex};

use fastagentic::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};
use serde_json::{Map, Value};

use crate::settings::NAME;

/// A target of the config as Portkey's headers name it.
#[derive(Clone, Debug)]
pub(crate) struct TriedTarget {
    /// `config.targets[1]`: `x-portkey-last-used-option-index`.
    pub(crate) path: Arc<str>,
    /// The provider slug.
    pub(crate) provider: Arc<str>,
    /// Whether the target caches (a failed call is then a `MISS`).
    pub(crate) cached: bool,
}

tokio::task_local! {
    /// The last target the calls of a task tried, when the task scopes a
    /// slot (the drop-in route does, per request; a failed call carries no
    /// route, so this is how its headers name the target).
    pub(crate) static LAST_TRIED: Arc<Mutex<Option<TriedTarget>>>;
}

/// One target of the config, named by its provider slug.
pub(crate) struct Labelled {
    pub(crate) inner: Arc<dyn LlmGateway>,
    pub(crate) provider: String,
    pub(crate) tried: TriedTarget,
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
            let _ = LAST_TRIED.try_with(|slot| {
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(self.tried.clone());
                }
            });
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
