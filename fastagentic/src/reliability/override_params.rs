//! Request parameters set by the tree, not the caller: Portkey's
//! `override_params`, and a fallback target's own model.

use serde_json::Value;

use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};
use crate::llm::Extra;

/// A gateway that sets request parameters before calling `inner`: any field
/// of the request as sent upstream (`model`, `temperature`, `max_tokens`,
/// a provider's own field), replacing the caller's value.
///
/// [`Override::model`] sets only the model, and only for chat requests: a
/// chat model cannot answer an embeddings request, so this target answers
/// [`GatewayError::Unsupported`] and a fallback chain moves on past it.
///
/// ```
/// use fastagentic::DemoGateway;
/// use fastagentic::reliability::Override;
/// let params = serde_json::json!({"model": "gpt-4o", "temperature": 0.2});
/// let gateway = Override::new(DemoGateway::new(), params.as_object().unwrap().clone());
/// let cheaper = Override::model(DemoGateway::new(), "gpt-4o-mini");
/// # let _ = (gateway, cheaper);
/// ```
#[derive(Clone, Debug)]
pub struct Override<G> {
    inner: G,
    params: Extra,
    chat_only: bool,
}

impl<G: LlmGateway> Override<G> {
    /// Sets `params` on every request to `inner`.
    pub fn new(inner: G, params: Extra) -> Self {
        Self {
            inner,
            params,
            chat_only: false,
        }
    }

    /// Asks `inner` for `model` on chat requests; embeddings requests are
    /// not served ([`GatewayError::Unsupported`]).
    pub fn model(inner: G, model: impl Into<String>) -> Self {
        let mut params = Extra::new();
        params.insert("model".to_owned(), Value::String(model.into()));
        Self {
            inner,
            params,
            chat_only: true,
        }
    }

    /// The parameters set.
    pub fn params(&self) -> &Extra {
        &self.params
    }

    /// The model this override asks for, if it sets one.
    pub fn model_name(&self) -> Option<&str> {
        self.params.get("model").and_then(Value::as_str)
    }
}

impl<G: LlmGateway> Strategy for Override<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        mut request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(async move {
            if self.chat_only && !request.is_chat() {
                return Err(GatewayError::Unsupported {
                    gateway: format!(
                        "{} (model {})",
                        self.inner.name(),
                        self.model_name().unwrap_or("")
                    ),
                    operation: request.operation().to_owned(),
                });
            }
            request
                .override_params(&self.params)
                .map_err(|message| GatewayError::config(self.inner.name(), message))?;
            let asked = self.model_name().map(|_| request.model().to_owned());
            let mut reply = self.inner.serve(call, request).await?;
            if let Some(model) = asked {
                reply.route.model.get_or_insert(model);
            }
            Ok(reply)
        })
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Override(&self.params), &self.inner)
    }

    fn check_options(&self) -> Result<(), String> {
        match self.params.get("model") {
            Some(Value::String(model)) if model.trim().is_empty() => Err(
                "override_params: the model is blank: name a model, e.g. \"gpt-4o-mini\""
                    .to_owned(),
            ),
            Some(Value::String(_)) | None => Ok(()),
            Some(other) => Err(format!(
                "override_params: the model must be a string, not {other}"
            )),
        }
    }
}

/// The model a target asks for when called with `requested`: the model of
/// the first override on its way down (not past a branching node).
pub(crate) fn asked_model(target: &dyn LlmGateway, requested: &str) -> String {
    let mut found = None;
    crate::gateway::walk(target, &mut |path, kind| {
        if found.is_none()
            && path.is_root()
            && let NodeKind::Override(params) = kind
            && let Some(Value::String(model)) = params.get("model")
        {
            found = Some(model.clone());
        }
    });
    found.unwrap_or_else(|| requested.to_owned())
}
