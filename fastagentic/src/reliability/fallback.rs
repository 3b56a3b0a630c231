//! An ordered chain of targets: when one fails in a way the user named, the
//! next one is tried.

use std::sync::Arc;
use std::time::Instant;

use super::events::{FallbackEvent, GatewayEvent};
use super::override_params::asked_model;
use super::{ErrorFilter, Override};
use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    PassedOver, PathSegment, Strategy,
};

/// One fallback target: a model, a gateway, or both.
///
/// ```
/// use fastagentic::OpenAiGateway;
/// use fastagentic::reliability::Target;
/// // Another model through the chain's own gateway.
/// let cheaper = Target::model("gpt-4o-mini");
/// // Another provider, with its own key and base URL, and its own model name.
/// let other = Target::gateway(OpenAiGateway::new("sk-other").base_url("http://127.0.0.1:4000/v1"))
///     .with_model("claude-3-5-haiku");
/// # let _ = (cheaper, other);
/// ```
#[derive(Clone)]
pub struct Target {
    gateway: Option<Arc<dyn LlmGateway>>,
    model: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field(
                "gateway",
                &self.gateway.as_ref().map(|g| g.name().to_owned()),
            )
            .field("model", &self.model)
            .finish()
    }
}

impl Target {
    /// `model` through the chain's primary gateway.
    pub fn model(model: impl Into<String>) -> Self {
        Self {
            gateway: None,
            model: Some(model.into()),
        }
    }

    /// Another gateway (its own provider, base URL and key), asked for the
    /// request's own model unless [`with_model`](Self::with_model) names one.
    pub fn gateway<G: LlmGateway>(gateway: G) -> Self {
        Self {
            gateway: Some(crate::gateway::shared(gateway)),
            model: None,
        }
    }

    /// Asks this target for `model` instead of the request's model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// The target's own gateway, if it has one.
    pub fn own_gateway(&self) -> Option<&Arc<dyn LlmGateway>> {
        self.gateway.as_ref()
    }

    /// The model the target asks for, if not the request's.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The gateway this target calls: its own or `primary`, asked for its
    /// model when it names one.
    pub(crate) fn resolve(&self, primary: &Arc<dyn LlmGateway>) -> Arc<dyn LlmGateway> {
        let gateway = self.gateway.clone().unwrap_or_else(|| primary.clone());
        match &self.model {
            Some(model) => Arc::new(Override::model(gateway, model.clone())),
            None => gateway,
        }
    }

    pub(crate) fn check(&self, index: usize) -> Result<(), String> {
        match &self.model {
            Some(model) if model.trim().is_empty() => Err(format!(
                "fallback target {index} names a blank model: write a model name, e.g. \
                 `Target::model(\"gpt-4o-mini\")`"
            )),
            None if self.gateway.is_none() => Err(format!(
                "fallback target {index} has neither a model nor a gateway, so it would repeat \
                 the primary: name a model or give it a gateway"
            )),
            _ => Ok(()),
        }
    }
}

/// A gateway that tries an ordered list of targets: the primary (index 0),
/// then each fallback in turn, moving on when a target fails with an error
/// in `fallback_on` (default: 429, 5xx, unreachable and timeouts), answers
/// something unreadable, or its circuit is open. Any other error (a 400, a
/// 401) is returned at once: another target would refuse it too. When every
/// target fails, the last error is returned.
///
/// Timeouts move the chain on by default because another target can still
/// answer in time; a [`RetryPolicy`](super::RetryPolicy) does not retry
/// them on the same target unless told to, since the provider may still be
/// working (and billing) on the call given up.
///
/// The answer says which target answered, in
/// `gateway_metadata["fastagentic"]` (also in `HookContext::metadata` for
/// `on_llm_end`):
///
/// ```json
/// {"target_index": 1, "model": "gpt-4o-mini", "attempts": 1,
///  "failed": [{"target_index": 0, "model": "gpt-4o", "error": "upstream_error", "status": 503}]}
/// ```
///
/// In nested chains, `path` names the whole path (`targets[1].targets[0]`).
/// A stream falls back only before its first chunk. A target that does not
/// serve a kind of request (an embeddings request to a target that only
/// names a chat model) is passed over without counting as a failure.
///
/// ```
/// use fastagentic::DemoGateway;
/// use fastagentic::reliability::{Fallback, Target};
/// let chain = Fallback::new(DemoGateway::new()).then(Target::model("gpt-4o-mini"));
/// # let _ = chain;
/// ```
#[derive(Clone)]
pub struct Fallback {
    primary: Arc<dyn LlmGateway>,
    targets: Vec<Arc<dyn LlmGateway>>,
    fallback_on: ErrorFilter,
}

impl std::fmt::Debug for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let targets: Vec<String> = self
            .targets
            .iter()
            .map(|target| {
                let name = target.name();
                match asked_model(target.as_ref(), "") {
                    model if model.is_empty() => name.to_owned(),
                    model => format!("{name}/{model}"),
                }
            })
            .collect();
        f.debug_struct("Fallback")
            .field("targets", &targets)
            .field("fallback_on", &self.fallback_on)
            .finish()
    }
}

impl Fallback {
    /// A chain whose primary target is `primary` with the request's own model.
    pub fn new<G: LlmGateway>(primary: G) -> Self {
        let primary = crate::gateway::shared(primary);
        Self {
            targets: vec![primary.clone()],
            primary,
            fallback_on: Self::default_filter(),
        }
    }

    /// A chain over `targets`, tried in order (each one a whole gateway,
    /// possibly a tree of its own).
    ///
    /// ```
    /// use fastagentic::{DemoGateway, gateway::shared};
    /// use fastagentic::reliability::{Fallback, Override};
    /// let chain = Fallback::chain([
    ///     shared(DemoGateway::new()),
    ///     shared(Override::model(DemoGateway::new(), "backup")),
    /// ]);
    /// # let _ = chain;
    /// ```
    pub fn chain<I>(targets: I) -> Self
    where
        I: IntoIterator<Item = Arc<dyn LlmGateway>>,
    {
        let targets: Vec<Arc<dyn LlmGateway>> = targets.into_iter().collect();
        let primary = targets
            .first()
            .cloned()
            .unwrap_or_else(|| crate::gateway::shared(crate::DemoGateway::new()));
        Self {
            primary,
            targets,
            fallback_on: Self::default_filter(),
        }
    }

    /// 429, 5xx, unreachable, and timeouts.
    fn default_filter() -> ErrorFilter {
        ErrorFilter::transient().with(super::ErrorClass::Timeout)
    }

    /// Adds a target after the others (a [`Target::model`] goes through the
    /// chain's primary gateway).
    pub fn then(mut self, target: Target) -> Self {
        self.targets.push(target.resolve(&self.primary));
        self
    }

    /// Sets the failures that move on to the next target (replacing the default).
    pub fn fallback_on(mut self, filter: impl Into<ErrorFilter>) -> Self {
        self.fallback_on = filter.into();
        self
    }

    /// The targets, in order.
    pub fn targets(&self) -> &[Arc<dyn LlmGateway>] {
        &self.targets
    }

    /// Whether the chain moves on after `error`.
    fn moves_on(&self, error: &GatewayError) -> bool {
        matches!(
            error,
            GatewayError::CircuitOpen { .. }
                | GatewayError::MalformedResponse { .. }
                | GatewayError::Unsupported { .. }
        ) || self.fallback_on.matches(error)
    }

    async fn run(
        &self,
        call: &CallContext,
        request: GatewayRequest,
    ) -> Result<GatewayReply, GatewayError> {
        let mut failed = Vec::new();
        let mut last_failure: Option<GatewayError> = None;
        let count = self.targets.len();
        for (index, target) in self.targets.iter().enumerate() {
            let error = match target.serve(call, request.clone()).await {
                Ok(mut reply) => {
                    reply.route.branch(index, request.model(), failed);
                    return Ok(reply);
                }
                Err(error) => error,
            };
            let out_of_time = call.deadline().is_some_and(|d| Instant::now() >= d);
            let has_next = index + 1 < count;
            if !has_next || !self.moves_on(&error) || out_of_time {
                return Err(match error {
                    GatewayError::Unsupported { .. } => last_failure.unwrap_or(error),
                    error => error,
                });
            }
            if matches!(error, GatewayError::Unsupported { .. }) {
                continue;
            }
            let asked = asked_model(target.as_ref(), request.model());
            let next = &self.targets[index + 1];
            let to_model = asked_model(next.as_ref(), request.model());
            tracing::warn!(
                from = index,
                to = index + 1,
                model = %to_model,
                "LLM target failed, falling back: {error}"
            );
            failed.push(PassedOver::new(
                PathSegment::Target(index).into(),
                asked,
                &error,
            ));
            if call.is_observed() {
                let event = FallbackEvent {
                    from_index: index,
                    to_index: index + 1,
                    to_model,
                    error: error.clone(),
                };
                call.report(GatewayEvent::Fallback(event)).await;
            }
            last_failure = Some(error);
        }
        Err(GatewayError::config(
            self.primary.name(),
            "the fallback chain has no target to try",
        ))
    }
}

impl Strategy for Fallback {
    fn name(&self) -> &str {
        self.primary.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(self.run(call, request))
    }

    fn node(&self) -> Node<'_> {
        Node::branching(
            NodeKind::Fallback,
            self.targets
                .iter()
                .map(|target| target.as_ref() as &dyn LlmGateway),
        )
    }

    fn check_options(&self) -> Result<(), String> {
        self.fallback_on
            .check()
            .map_err(|message| format!("fallback: {message}"))
    }
}
