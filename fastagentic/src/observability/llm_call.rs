//! Telemetry of one LLM call: its span, its metrics, and (with a dashboard)
//! its record in the log of recent calls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Span;

use super::call_log::{Ending, PendingCall};
use super::gen_ai;
use super::metrics::{EndpointMetrics, ModelMetrics, Operation};
use super::spans::{RequestParams, int, llm_span, record_finish_reasons};
use crate::gateway::{CallContext, GatewayError};
use crate::llm::{ChatRequest, EmbeddingRequest, Extra, Message, Usage};

/// One LLM call in progress. Dropped before it ended (the caller went
/// away), it counts as `cancelled`.
pub(crate) struct LlmCall {
    span: Span,
    started: Instant,
    operation: Operation,
    model: Option<Arc<ModelMetrics>>,
    finished: bool,
    /// The call's record for the dashboard (`None` without one: no cost).
    logged: Option<PendingCall>,
}

impl LlmCall {
    /// Starts a chat call of `gateway` (streamed or not).
    pub(crate) fn chat(
        metrics: Option<&Arc<EndpointMetrics>>,
        call: &CallContext,
        gateway: &str,
        request: &ChatRequest,
    ) -> Self {
        let params = RequestParams {
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            top_p: request.top_p,
        };
        let mut this = Self::start(metrics, Operation::Chat, gateway, &request.model, params);
        this.log(metrics, call, &request.model, &request.messages);
        this
    }

    /// Starts an embeddings call of `gateway`.
    pub(crate) fn embeddings(
        metrics: Option<&Arc<EndpointMetrics>>,
        call: &CallContext,
        gateway: &str,
        request: &EmbeddingRequest,
    ) -> Self {
        let mut this = Self::start(
            metrics,
            Operation::Embeddings,
            gateway,
            &request.model,
            RequestParams::default(),
        );
        this.log(metrics, call, &request.model, &[]);
        this
    }

    fn start(
        metrics: Option<&Arc<EndpointMetrics>>,
        operation: Operation,
        gateway: &str,
        model: &str,
        params: RequestParams,
    ) -> Self {
        Self {
            span: llm_span(operation, gateway, model, params),
            started: Instant::now(),
            operation,
            model: metrics.map(|m| m.model(model)),
            finished: false,
            logged: None,
        }
    }

    /// Starts the call's record, when the endpoint keeps a log of calls.
    fn log(
        &mut self,
        metrics: Option<&Arc<EndpointMetrics>>,
        call: &CallContext,
        model: &str,
        messages: &[Message],
    ) {
        let Some(metrics) = metrics else { return };
        if let Some(log) = metrics.call_log() {
            self.logged = Some(PendingCall::begin(
                log.clone(),
                metrics.name_shared().clone(),
                call,
                self.operation,
                model,
                messages,
            ));
        }
    }

    /// Whether the call's answer text is wanted (the dashboard shows answers).
    pub(crate) fn wants_answer_text(&self) -> bool {
        self.logged.as_ref().is_some_and(PendingCall::wants_text)
    }

    /// The call's span: the gateway's work runs inside it, so retries and
    /// fallbacks become its events.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// How long the call has taken so far.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The call answered: `model` and `id` as the provider sent them, the
    /// usage with its cost filled in, the gateway facts (the route) and,
    /// when [wanted](Self::wants_answer_text), the answer's text.
    pub(crate) fn answered<'a>(
        &mut self,
        model: &str,
        id: &str,
        finish_reasons: impl Iterator<Item = &'a str>,
        usage: Option<&Usage>,
        facts: &Extra,
        text: Option<&str>,
    ) {
        self.finished = true;
        if let Some(logged) = self.logged.take() {
            let ending = Ending::Answered {
                model,
                usage,
                facts,
                text,
            };
            logged.end(self.started.elapsed(), ending);
        }
        if let Some(metrics) = &self.model {
            metrics.call_finished(self.operation, "ok", self.started.elapsed());
            if let Some(usage) = usage {
                metrics.used(usage);
            }
        }
        if self.span.is_disabled() {
            return;
        }
        if !model.is_empty() {
            self.span.record(gen_ai::RESPONSE_MODEL, model);
        }
        if !id.is_empty() {
            self.span.record(gen_ai::RESPONSE_ID, id);
        }
        if let Some(usage) = usage {
            self.span
                .record(gen_ai::USAGE_INPUT_TOKENS, int(usage.input_tokens));
            self.span
                .record(gen_ai::USAGE_OUTPUT_TOKENS, int(usage.output_tokens));
            if let Some(cost) = usage.cost {
                self.span.record(gen_ai::COST_USD, cost);
            }
        }
        record_finish_reasons(&self.span, finish_reasons);
    }

    /// The call failed with `error` (after any retries and fallbacks).
    pub(crate) fn failed(&mut self, error: &GatewayError) {
        self.finished = true;
        self.end_with(error.kind(), error.status(), &error.to_string());
    }

    fn end_with(&mut self, kind: &'static str, status: Option<u16>, message: &str) {
        if let Some(logged) = self.logged.take() {
            logged.end(self.started.elapsed(), Ending::Failed { kind, status });
        }
        if let Some(metrics) = &self.model {
            metrics.call_finished(self.operation, kind, self.started.elapsed());
        }
        self.span.record(gen_ai::ERROR_TYPE, kind);
        self.span.record("otel.status_code", "error");
        self.span.record("otel.status_description", message);
    }
}

impl Drop for LlmCall {
    fn drop(&mut self) {
        if !self.finished {
            self.end_with(
                "cancelled",
                None,
                "the caller went away before the call ended",
            );
        }
    }
}
