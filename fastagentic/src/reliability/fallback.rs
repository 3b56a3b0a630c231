//! An ordered chain of targets: when one fails in a way the user named, the
//! next one is tried.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::events::{FallbackEvent, GatewayEvent};
use super::first_chunk::first_chunk;
use super::{ErrorFilter, note_target};
use crate::gateway::{BoxFuture, CallContext, GatewayError, LlmGateway};
use crate::llm::{ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse};

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

/// A resolved target: the gateway to call (possibly wrapped in retry, breaker
/// and timeout) and the model to ask it for.
#[derive(Clone)]
pub(crate) struct Arm {
    pub gateway: Arc<dyn LlmGateway>,
    pub model: Option<String>,
    /// Whether the target has its own gateway (embeddings fall back only to those).
    pub own_gateway: bool,
}

/// A gateway that tries an ordered chain of targets: the primary (index 0,
/// the request's own model), then each fallback [`Target`] in turn, moving
/// on when a target fails with an error in `fallback_on` (default
/// [`ErrorFilter::transient`]: 429, 5xx, unreachable) or its circuit is open.
/// Any other error (a 400, a 401) is returned at once: another target
/// would refuse it too. When every target fails, the last error is returned.
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
/// A stream falls back only before its first chunk. Embeddings fall back
/// only to targets with their own gateway, keeping the request's model (a
/// target's model is a chat model).
///
/// ```
/// use fastagentic::DemoGateway;
/// use fastagentic::reliability::{Fallback, Target};
/// let chain = Fallback::new(DemoGateway::new()).then(Target::model("gpt-4o-mini"));
/// # let _ = chain;
/// ```
#[derive(Clone)]
pub struct Fallback {
    arms: Vec<Arm>,
    fallback_on: ErrorFilter,
}

impl std::fmt::Debug for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let targets: Vec<String> = self
            .arms
            .iter()
            .map(|arm| match &arm.model {
                Some(model) => format!("{}/{model}", arm.gateway.name()),
                None => arm.gateway.name().to_owned(),
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
        Self::from_arms(
            vec![Arm {
                gateway: crate::gateway::shared(primary),
                model: None,
                own_gateway: true,
            }],
            ErrorFilter::transient(),
        )
    }

    pub(crate) fn from_arms(arms: Vec<Arm>, fallback_on: ErrorFilter) -> Self {
        Self { arms, fallback_on }
    }

    /// Adds a target after the others.
    pub fn then(mut self, target: Target) -> Self {
        let own_gateway = target.gateway.is_some();
        let gateway = match target.gateway {
            Some(gateway) => gateway,
            None => self.arms[0].gateway.clone(),
        };
        self.arms.push(Arm {
            gateway,
            model: target.model,
            own_gateway,
        });
        self
    }

    /// Sets the failures that move on to the next target (replacing the default).
    pub fn fallback_on(mut self, filter: impl Into<ErrorFilter>) -> Self {
        self.fallback_on = filter.into();
        self
    }

    /// Whether the chain moves on after `error`.
    fn moves_on(&self, error: &GatewayError) -> bool {
        matches!(error, GatewayError::CircuitOpen { .. }) || self.fallback_on.matches(error)
    }

    /// Tries the arms `indices` in order with `op`, asking each for its own
    /// model when `per_target_model`; returns the answer, the index that
    /// answered, the model it was asked for, and the targets that failed.
    async fn run<'a, R: Clone, T>(
        &'a self,
        call: &'a CallContext,
        mut request: R,
        indices: &[usize],
        (model, per_target_model): (fn(&mut R) -> &mut String, bool),
        op: impl Fn(&'a Arm, R) -> BoxFuture<'a, Result<T, GatewayError>>,
    ) -> Result<(T, usize, String, Vec<Value>), GatewayError> {
        let requested = model(&mut request).clone();
        let model_of = |index: usize| match &self.arms[index].model {
            Some(target_model) if per_target_model => target_model.clone(),
            _ => requested.clone(),
        };
        let mut failed = Vec::new();
        for (position, &index) in indices.iter().enumerate() {
            let asked = model_of(index);
            let mut this = request.clone();
            asked.clone_into(model(&mut this));
            let error = match op(&self.arms[index], this).await {
                Ok(answer) => return Ok((answer, index, asked, failed)),
                Err(error) => error,
            };
            let out_of_time = call.deadline().is_some_and(|d| Instant::now() >= d);
            let next = indices.get(position + 1).copied();
            let Some(next) = next.filter(|_| self.moves_on(&error) && !out_of_time) else {
                return Err(error);
            };
            let to_model = model_of(next);
            tracing::warn!(
                from = index,
                to = next,
                model = %to_model,
                "LLM target failed, falling back: {error}"
            );
            failed.push(json!({
                "target_index": index,
                "model": asked,
                "error": error.kind(),
                "status": error.status(),
            }));
            if call.is_observed() {
                let event = FallbackEvent {
                    from_index: index,
                    to_index: next,
                    to_model,
                    error,
                };
                call.report(GatewayEvent::Fallback(event)).await;
            }
        }
        Err(GatewayError::config(
            self.name(),
            "the fallback chain has no target to try",
        ))
    }
}

impl LlmGateway for Fallback {
    fn name(&self) -> &str {
        self.arms[0].gateway.name()
    }

    fn chat<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
        Box::pin(async move {
            let all: Vec<usize> = (0..self.arms.len()).collect();
            let (mut response, index, model, failed) = self
                .run(call, request, &all, (|r| &mut r.model, true), |arm, r| {
                    arm.gateway.chat(call, r)
                })
                .await?;
            note_target(&mut response.gateway_metadata, index, model, failed);
            Ok(response)
        })
    }

    fn chat_stream<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
        Box::pin(async move {
            let all: Vec<usize> = (0..self.arms.len()).collect();
            let (mut stream, index, model, failed) = self
                .run(call, request, &all, (|r| &mut r.model, true), |arm, r| {
                    Box::pin(
                        async move { first_chunk(arm.gateway.chat_stream(call, r).await?).await },
                    )
                })
                .await?;
            note_target(&mut stream.gateway_metadata, index, model, failed);
            Ok(stream)
        })
    }

    fn embed<'a>(
        &'a self,
        call: &'a CallContext,
        request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
        Box::pin(async move {
            let own: Vec<usize> = (0..self.arms.len())
                .filter(|i| *i == 0 || self.arms[*i].own_gateway)
                .collect();
            let (mut response, index, model, failed) = self
                .run(call, request, &own, (|r| &mut r.model, false), |arm, r| {
                    arm.gateway.embed(call, r)
                })
                .await?;
            note_target(&mut response.gateway_metadata, index, model, failed);
            Ok(response)
        })
    }

    fn check(&self) -> Result<(), GatewayError> {
        self.fallback_on
            .check()
            .map_err(|message| GatewayError::config(self.name(), format!("fallback: {message}")))?;
        for (index, arm) in self.arms.iter().enumerate() {
            if index == 0 || arm.own_gateway {
                arm.gateway.check()?;
            }
        }
        Ok(())
    }
}
