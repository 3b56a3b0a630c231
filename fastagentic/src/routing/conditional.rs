//! Picking a target per request by what the request says: its metadata, its
//! parameters, its path (Portkey's `conditional` strategy).

use std::sync::Arc;

use serde_json::Value;

use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};
use crate::llm::Extra;

/// What a condition reads about one request.
pub struct RouteQuery<'a> {
    /// The request metadata ([`CallContext::request_metadata`]).
    pub metadata: &'a Extra,
    /// The request's parameters as sent upstream (`model`, `temperature`, ...).
    pub params: &'a Value,
    /// The API path the request stands for: `/v1/chat/completions` or `/v1/embeddings`.
    pub path: &'a str,
}

/// A test on a [`RouteQuery`].
pub type Condition = Arc<dyn Fn(&RouteQuery<'_>) -> bool + Send + Sync>;

/// A gateway that sends each request to the target of the first condition
/// it meets, else to the default; with neither, the request fails with 400
/// (as Portkey answers "Query router did not resolve to any valid target").
///
/// ```
/// use std::sync::Arc;
/// use fastagentic::DemoGateway;
/// use fastagentic::gateway::shared;
/// use fastagentic::routing::Conditional;
/// let router = Conditional::new([shared(DemoGateway::new()), shared(DemoGateway::new())])
///     .when(Arc::new(|q| q.metadata.get("tier").and_then(|t| t.as_str()) == Some("premium")), 0)
///     .default_target(1);
/// # let _ = router;
/// ```
pub struct Conditional {
    targets: Vec<Arc<dyn LlmGateway>>,
    routes: Vec<(Condition, usize)>,
    default: Option<usize>,
    reads_params: bool,
}

impl std::fmt::Debug for Conditional {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conditional")
            .field("targets", &self.targets.len())
            .field("conditions", &self.routes.len())
            .field("default", &self.default)
            .finish()
    }
}

impl Conditional {
    /// A router over `targets` (`targets[0]`, `targets[1]`, ...), with no condition yet.
    pub fn new<I>(targets: I) -> Self
    where
        I: IntoIterator<Item = Arc<dyn LlmGateway>>,
    {
        Self {
            targets: targets.into_iter().collect(),
            routes: Vec::new(),
            default: None,
            reads_params: true,
        }
    }

    /// Sends requests meeting `condition` to target `index` (conditions are
    /// tried in the order added).
    pub fn when(mut self, condition: Condition, index: usize) -> Self {
        self.routes.push((condition, index));
        self
    }

    /// Sends requests meeting no condition to target `index`.
    pub fn default_target(mut self, index: usize) -> Self {
        self.default = Some(index);
        self
    }

    /// Whether conditions read the request's parameters (default yes); when
    /// none does, requests are not turned into JSON to route them.
    pub fn reads_params(mut self, reads: bool) -> Self {
        self.reads_params = reads;
        self
    }

    /// The target for `request` under `call`.
    fn resolve(&self, call: &CallContext, request: &GatewayRequest) -> Option<usize> {
        let params = if self.reads_params {
            match request {
                GatewayRequest::Chat(r) | GatewayRequest::Stream(r) => serde_json::to_value(r),
                GatewayRequest::Embed(r) => serde_json::to_value(r),
            }
            .unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        let query = RouteQuery {
            metadata: call.request_metadata(),
            params: &params,
            path: if request.is_chat() {
                "/v1/chat/completions"
            } else {
                "/v1/embeddings"
            },
        };
        self.routes
            .iter()
            .find(|(condition, _)| condition(&query))
            .map(|(_, index)| *index)
            .or(self.default)
    }
}

impl Strategy for Conditional {
    fn name(&self) -> &str {
        self.targets
            .first()
            .map_or("conditional", |target| target.name())
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(async move {
            let Some(index) = self
                .resolve(call, &request)
                .filter(|&i| i < self.targets.len())
            else {
                return Err(GatewayError::Rejected {
                    status: 400,
                    message: "no routing condition matched the request and there is no default \
                              target (Portkey: \"Query router did not resolve to any valid target\")"
                        .to_owned(),
                });
            };
            let model = request.model().to_owned();
            let mut reply = self.targets[index].serve(call, request).await?;
            reply.route.branch(index, &model, Vec::new());
            Ok(reply)
        })
    }

    fn node(&self) -> Node<'_> {
        Node::branching(
            NodeKind::Conditional,
            self.targets.iter().map(|target| target.as_ref()),
        )
    }

    fn check_options(&self) -> Result<(), String> {
        let count = self.targets.len();
        if let Some((_, bad)) = self.routes.iter().find(|(_, index)| *index >= count) {
            return Err(format!(
                "a condition names target {bad}, but there are only {count}"
            ));
        }
        if let Some(bad) = self.default.filter(|&index| index >= count) {
            return Err(format!(
                "the default names target {bad}, but there are only {count}"
            ));
        }
        Ok(())
    }
}
