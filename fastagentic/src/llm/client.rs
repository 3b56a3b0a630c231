//! `LlmClient`: what `ctx.llm()` returns; runs the LLM hooks around the gateway.

use std::sync::Arc;

use futures_util::{StreamExt, stream};
use tracing::Instrument;

use super::{
    ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse, Extra, PriceTable,
    Usage,
};
use crate::gateway::{BoxFuture, CallContext, GatewayError, LlmGateway};
use crate::hooks::{ErrorInfo, HookContext, HookEvent, HookSet};
use crate::observability::{EndpointMetrics, EndpointTelemetry, LlmCall};
use crate::reliability::{CallObserver, GatewayEvent};

/// A client bound to one endpoint's gateway and one run: every call goes
/// through the gateway, with `on_llm_start`, `on_llm_end` and `on_error`
/// hooks around it and the cost filled from the price table.
#[derive(Clone)]
pub struct LlmClient {
    gateway: Arc<dyn LlmGateway>,
    hooks: Arc<HookSet>,
    prices: Arc<PriceTable>,
    call: CallContext,
    /// The endpoint's LLM metrics (none outside an app or with metrics off).
    metrics: Option<Arc<EndpointMetrics>>,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("gateway", &self.gateway.name())
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    pub(crate) fn new(
        gateway: Arc<dyn LlmGateway>,
        hooks: Arc<HookSet>,
        prices: Arc<PriceTable>,
        call: CallContext,
    ) -> Self {
        // Retries happen below, in the gateway tree: it reports them to the
        // call's observer, which runs the `on_retry` hooks (only installed
        // when there are some).
        let call = if hooks.has(HookEvent::OnRetry) {
            call.with_observer(Arc::new(RetryHooks(hooks.clone())))
        } else {
            call
        };
        Self {
            gateway,
            hooks,
            prices,
            call,
            metrics: None,
        }
    }

    /// Counts this client's calls in the endpoint's metrics and reports
    /// retries and fallbacks as events of each call's span.
    pub(crate) fn with_telemetry(mut self, telemetry: &EndpointTelemetry) -> Self {
        self.metrics = telemetry.metrics().cloned();
        self.call = self.call.with_observer(telemetry.observer().clone());
        self
    }

    /// A client with no hooks, for use outside an app (scripts, tests).
    pub fn standalone(gateway: Arc<dyn LlmGateway>) -> Self {
        Self::new(
            gateway,
            Arc::default(),
            Arc::new(PriceTable::default()),
            CallContext::detached(),
        )
    }

    /// The gateway's name.
    pub fn gateway_name(&self) -> &str {
        self.gateway.name()
    }

    /// The call context every call of this client carries.
    pub fn call_context(&self) -> &CallContext {
        &self.call
    }

    /// The call context, to change what later calls carry.
    pub(crate) fn call_context_mut(&mut self) -> &mut CallContext {
        &mut self.call
    }

    /// One chat completion.
    pub async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, GatewayError> {
        let request = self.before(request).await?;
        let messages = self
            .hooks
            .has(HookEvent::OnLlmEnd)
            .then(|| request.messages.clone());
        let asked_model = request.model.clone();
        let mut telemetry = LlmCall::chat(
            self.metrics.as_ref(),
            &self.call,
            self.gateway.name(),
            &request,
        );
        let span = telemetry.span().clone();
        match self
            .gateway
            .chat(&self.call, request)
            .instrument(span)
            .await
        {
            Ok(mut response) => {
                let model = if response.model.is_empty() {
                    asked_model
                } else {
                    response.model.clone()
                };
                let usage = response.usage.get_or_insert_with(Usage::default);
                self.fill_cost(&model, usage, &mut response.gateway_metadata);
                telemetry.answered(
                    &response.model,
                    &response.id,
                    response
                        .choices
                        .iter()
                        .filter_map(|c| c.finish_reason.as_deref()),
                    response.usage.as_ref(),
                    &response.gateway_metadata,
                    Some(response.text()),
                );
                let Some(messages) = messages else {
                    return Ok(response);
                };
                let mut ctx = self.context(HookEvent::OnLlmEnd);
                ctx.duration = Some(telemetry.elapsed());
                ctx.messages = messages;
                ctx.model = Some(model);
                ctx.usage = response.usage.clone().unwrap_or_default();
                // Lent to the hooks (they only read them) and taken back:
                // no copy; the response as JSON only if a hook reads it.
                let metadata = std::mem::take(&mut response.gateway_metadata);
                ctx.metadata = metadata;
                let shared = Arc::new(response);
                let lent = shared.clone();
                ctx.set_response_with(move || serde_json::to_value(&*lent).ok());
                let mut ended = self.run_end(ctx).await;
                let metadata = std::mem::take(&mut ended.metadata);
                drop(ended);
                // A hook that kept a clone of its context keeps the response
                // alive too: then it is copied.
                let mut response = Arc::try_unwrap(shared).unwrap_or_else(|kept| (*kept).clone());
                response.gateway_metadata = metadata;
                Ok(response)
            }
            Err(error) => {
                telemetry.failed(&error);
                Err(self.failed(error).await)
            }
        }
    }

    /// A streamed chat completion. `on_llm_end` runs when the stream ends,
    /// with the usage of its last chunk and the text it carried.
    pub async fn chat_stream(&self, request: ChatRequest) -> Result<ChatStream, GatewayError> {
        let request = self.before(request).await?;
        let asked_model = request.model.clone();
        let messages = self
            .hooks
            .has(HookEvent::OnLlmEnd)
            .then(|| request.messages.clone());
        let mut telemetry = LlmCall::chat(
            self.metrics.as_ref(),
            &self.call,
            self.gateway.name(),
            &request,
        );
        let span = telemetry.span().clone();
        let upstream = match self
            .gateway
            .chat_stream(&self.call, request)
            .instrument(span)
            .await
        {
            Ok(stream) => stream,
            Err(error) => {
                telemetry.failed(&error);
                return Err(self.failed(error).await);
            }
        };
        let metadata = upstream.gateway_metadata.clone();
        let client = self.clone();
        let observed = Observed {
            upstream,
            client,
            messages,
            model: asked_model,
            usage: None,
            text: String::new(),
            metadata: metadata.clone(),
            finished: false,
            telemetry,
        };
        // Boxed: the state moves in and out of each item's future, and a
        // pointer moves cheaper than the whole `Observed`.
        let chunks = stream::unfold(Box::new(observed), |mut o| async move {
            if o.finished {
                return None;
            }
            match o.upstream.next().await {
                Some(Ok(mut chunk)) => {
                    // The chunk's facts, read without parsing it: it passes
                    // on as the upstream's bytes.
                    let model = chunk.model();
                    if !model.is_empty() && o.model != model {
                        o.model = model.to_owned();
                    }
                    if chunk.usage().is_some() {
                        let prices = &o.client.prices;
                        chunk.fill_cost(|usage| prices.cost(&o.model, usage));
                        o.usage = chunk.usage().cloned();
                    }
                    if o.messages.is_some() || o.telemetry.wants_answer_text() {
                        o.text.push_str(chunk.delta_text());
                    }
                    Some((Ok(chunk), o))
                }
                Some(Err(error)) => {
                    o.finished = true;
                    o.telemetry.failed(&error);
                    let error = o.client.failed(error).await;
                    Some((Err(error), o))
                }
                None => {
                    o.finished = true;
                    let usage = o.usage.as_ref();
                    let (facts, text) = (&o.metadata, Some(o.text.as_str()));
                    o.telemetry
                        .answered(&o.model, "", std::iter::empty(), usage, facts, text);
                    o.end().await;
                    None
                }
            }
        });
        let mut stream = ChatStream::new(chunks);
        stream.gateway_metadata = metadata;
        Ok(stream)
    }

    /// Embeddings.
    pub async fn embed(
        &self,
        request: EmbeddingRequest,
    ) -> Result<EmbeddingResponse, GatewayError> {
        let mut telemetry = LlmCall::embeddings(
            self.metrics.as_ref(),
            &self.call,
            self.gateway.name(),
            &request,
        );
        let span = telemetry.span().clone();
        match self
            .gateway
            .embed(&self.call, request)
            .instrument(span)
            .await
        {
            Ok(mut response) => {
                if let Some(usage) = response.usage.as_mut() {
                    self.fill_cost(
                        &response.model.clone(),
                        usage,
                        &mut response.gateway_metadata,
                    );
                }
                let usage = response.usage.as_ref();
                let facts = &response.gateway_metadata;
                telemetry.answered(&response.model, "", std::iter::empty(), usage, facts, None);
                Ok(response)
            }
            Err(error) => {
                telemetry.failed(&error);
                Err(self.failed(error).await)
            }
        }
    }

    fn context(&self, event: HookEvent) -> HookContext {
        HookContext::for_call(event, &self.call)
    }

    /// Runs `on_llm_start`, which may replace or reject the request.
    async fn before(&self, request: ChatRequest) -> Result<ChatRequest, GatewayError> {
        if !self.hooks.has(HookEvent::OnLlmStart) {
            return Ok(request);
        }
        let mut ctx = self.context(HookEvent::OnLlmStart);
        ctx.model = Some(request.model.clone());
        ctx.messages = request.messages.clone();
        // The request as JSON only if a hook reads it.
        let shared = Arc::new(request);
        let lent = shared.clone();
        ctx.set_request_with(move || serde_json::to_value(&*lent).ok());
        if let Err(rejection) = self.hooks.run(HookEvent::OnLlmStart, &mut ctx).await {
            return Err(GatewayError::Rejected {
                status: rejection.status,
                message: rejection.message,
            });
        }
        let changed = ctx.replaced_request();
        drop(ctx);
        let request = Arc::try_unwrap(shared).unwrap_or_else(|kept| (*kept).clone());
        match changed {
            Some(changed) if serde_json::to_value(&request).ok().as_ref() != Some(&changed) => serde_json::from_value(changed).map_err(|e| {
                GatewayError::config(self.gateway.name(), format!("an on_llm_start hook returned a request that is not a chat request: {e}"))
            }),
            _ => Ok(request),
        }
    }

    fn fill_cost(&self, model: &str, usage: &mut Usage, metadata: &mut Extra) {
        if usage.total_tokens == 0 {
            usage.total_tokens = usage.input_tokens + usage.output_tokens;
        }
        if usage.cost.is_none() {
            usage.cost = self.prices.cost(model, usage);
        }
        // An answer from a cache cost nothing; say what it saved.
        let mut saved = None;
        if let Some(serde_json::Value::Object(section)) =
            metadata.get_mut(crate::reliability::METADATA_KEY)
            && matches!(
                section.get("cache_status").and_then(|s| s.as_str()),
                Some("HIT" | "SEMANTIC HIT")
            )
        {
            saved = Some(usage.cost.unwrap_or(0.0));
            section.insert("saved_cost".to_owned(), serde_json::json!(saved));
            usage.cost = Some(0.0);
        }
        // The gateway's own section (e.g. `portkey`) says the same.
        if let (Some(cost), Some(serde_json::Value::Object(section))) =
            (usage.cost, metadata.get_mut(self.gateway.name()))
        {
            section.entry("cost").or_insert(serde_json::json!(cost));
            if let Some(saved) = saved {
                section
                    .entry("saved_cost")
                    .or_insert(serde_json::json!(saved));
            }
        }
    }

    /// Runs `on_llm_end` and hands the context back.
    async fn run_end(&self, mut ctx: HookContext) -> HookContext {
        // on_llm_end cannot reject: the call has happened and been paid for.
        let _ = self.hooks.run(HookEvent::OnLlmEnd, &mut ctx).await;
        ctx
    }

    /// Runs `on_error` and hands the error back.
    pub(crate) async fn failed(&self, error: GatewayError) -> GatewayError {
        if self.hooks.has(HookEvent::OnError) {
            let mut ctx = self.context(HookEvent::OnError);
            ctx.error = Some(ErrorInfo {
                kind: error.kind().to_owned(),
                message: error.to_string(),
                status: crate::error::gateway_status(&error),
            });
            let _ = self.hooks.run(HookEvent::OnError, &mut ctx).await;
        }
        error
    }
}

/// Runs `on_retry` hooks for the retries the gateway tree reports.
struct RetryHooks(Arc<HookSet>);

impl CallObserver for RetryHooks {
    fn on_event<'a>(&'a self, call: &'a CallContext, event: &'a GatewayEvent) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let GatewayEvent::Retry(retry) = event else {
                return;
            };
            let mut ctx = HookContext::for_call(HookEvent::OnRetry, call);
            ctx.model = Some(retry.model.clone());
            ctx.attempt = retry.attempt;
            ctx.retry_count = retry.attempt;
            ctx.next_delay = Some(retry.delay);
            ctx.error = Some(ErrorInfo {
                kind: retry.error.kind().to_owned(),
                message: retry.error.to_string(),
                status: crate::error::gateway_status(&retry.error),
            });
            // A retry cannot be rejected: the hooks observe it.
            let _ = self.0.run(HookEvent::OnRetry, &mut ctx).await;
        })
    }
}

/// A stream being watched for its usage and text, for `on_llm_end`.
struct Observed {
    upstream: ChatStream,
    client: LlmClient,
    messages: Option<Vec<super::Message>>,
    model: String,
    usage: Option<Usage>,
    text: String,
    metadata: Extra,
    finished: bool,
    /// The call's span and metrics, ended with the stream.
    telemetry: LlmCall,
}

impl Drop for Observed {
    /// A stream dropped before its end was cancelled (the client went away):
    /// `on_error` hooks hear of it as `cancelled`, off the dropping task.
    fn drop(&mut self) {
        if self.finished || !self.client.hooks.has(HookEvent::OnError) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.client.clone();
        runtime.spawn(async move {
            let mut ctx = client.context(HookEvent::OnError);
            ctx.error = Some(ErrorInfo {
                kind: "cancelled".to_owned(),
                message: "the client went away before the stream ended; the upstream request was cancelled".to_owned(),
                status: 499,
            });
            let _ = client.hooks.run(HookEvent::OnError, &mut ctx).await;
        });
    }
}

impl Observed {
    async fn end(&mut self) {
        let Some(messages) = self.messages.take() else {
            return;
        };
        let mut ctx = self.client.context(HookEvent::OnLlmEnd);
        ctx.duration = Some(self.telemetry.elapsed());
        ctx.messages = messages;
        ctx.model = Some(self.model.clone());
        let mut usage = self.usage.take().unwrap_or_default();
        let mut metadata = std::mem::take(&mut self.metadata);
        self.client
            .fill_cost(&self.model, &mut usage, &mut metadata);
        ctx.usage = usage;
        ctx.metadata = metadata;
        let (model, text) = (self.model.clone(), std::mem::take(&mut self.text));
        ctx.set_response_with(move || Some(serde_json::json!({"model": model, "text": text})));
        self.client.run_end(ctx).await;
    }
}
