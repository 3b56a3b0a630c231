//! The two spans: one per request (server) and one per LLM call (client),
//! named and attributed after OpenTelemetry's HTTP and GenAI conventions.
//!
//! They are `tracing` spans at `INFO` (targets `fastagentic::request` and
//! `fastagentic::llm`): with no subscriber interested they are never built,
//! with a log subscriber they give log lines their context, and with
//! [`Telemetry`](super::Telemetry) set up for OTLP they are exported.
//! `otel.name`, `otel.kind` and `otel.status_code` are read by
//! `tracing-opentelemetry` as the span's name, kind and status.
//!
//! Integers are recorded as `i64` ([`int`]): `tracing-opentelemetry` exports
//! unsigned values as strings.

use http::HeaderMap;
#[cfg(feature = "otlp")]
use opentelemetry::propagation::TextMapPropagator;
#[cfg(feature = "otlp")]
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing::field::Empty;
#[cfg(feature = "otlp")]
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

use super::gen_ai;
use super::metrics::Operation;

/// The span of one request: `POST /triage`, kind server. A W3C
/// `traceparent` header makes it a child of the caller's span.
pub(crate) fn request_span(
    span_name: &str,
    route: &str,
    endpoint: &str,
    run_id: Uuid,
    headers: &HeaderMap,
) -> Span {
    let span = tracing::info_span!(
        target: "fastagentic::request",
        "request",
        otel.name = span_name,
        otel.kind = "server",
        { gen_ai::HTTP_REQUEST_METHOD } = "POST",
        { gen_ai::HTTP_ROUTE } = route,
        { gen_ai::ENDPOINT } = endpoint,
        { gen_ai::RUN_ID } = %run_id,
        { gen_ai::REQUEST_METADATA } = Empty,
        { gen_ai::HTTP_RESPONSE_STATUS_CODE } = Empty,
        { gen_ai::ERROR_TYPE } = Empty,
        otel.status_code = Empty,
    );
    join_caller_trace(&span, headers);
    span
}

/// Makes `span` a child of the caller's span named by a W3C `traceparent`.
#[cfg(feature = "otlp")]
fn join_caller_trace(span: &Span, headers: &HeaderMap) {
    if !span.is_disabled() && headers.contains_key("traceparent") {
        let parent =
            TraceContextPropagator::new().extract(&opentelemetry_http::HeaderExtractor(headers));
        // Without an OpenTelemetry layer there is no parent to set: fine.
        let _ = span.set_parent(parent);
    }
}

/// Without span export (feature `otlp`) there is no trace to join.
#[cfg(not(feature = "otlp"))]
fn join_caller_trace(_: &Span, _: &HeaderMap) {}

/// `value` as the signed integer OpenTelemetry attributes hold.
pub(crate) fn int(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

/// The parameters of a chat request that the conventions name.
#[derive(Clone, Copy, Default)]
pub(crate) struct RequestParams {
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
}

/// The span of one LLM call: `chat gpt-4o-mini`, kind client, a child of
/// the request's span. Response fields are recorded when the call ends.
pub(crate) fn llm_span(
    operation: Operation,
    system: &str,
    request_model: &str,
    params: RequestParams,
) -> Span {
    tracing::info_span!(
        target: "fastagentic::llm",
        "llm",
        otel.name = format_args!("{} {}", operation.as_str(), request_model),
        otel.kind = "client",
        { gen_ai::OPERATION_NAME } = operation.as_str(),
        { gen_ai::SYSTEM } = system,
        { gen_ai::PROVIDER_NAME } = system,
        { gen_ai::REQUEST_MODEL } = request_model,
        { gen_ai::REQUEST_MAX_TOKENS } = params.max_tokens.map(int),
        { gen_ai::REQUEST_TEMPERATURE } = params.temperature,
        { gen_ai::REQUEST_TOP_P } = params.top_p,
        { gen_ai::RESPONSE_MODEL } = Empty,
        { gen_ai::RESPONSE_ID } = Empty,
        { gen_ai::USAGE_INPUT_TOKENS } = Empty,
        { gen_ai::USAGE_OUTPUT_TOKENS } = Empty,
        { gen_ai::COST_USD } = Empty,
        { gen_ai::ERROR_TYPE } = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty,
    )
}

/// Records `gen_ai.response.finish_reasons` as the string array the
/// conventions ask for (an OpenTelemetry-only attribute: logs do not show it).
#[cfg(feature = "otlp")]
pub(crate) fn record_finish_reasons<'a>(span: &Span, reasons: impl Iterator<Item = &'a str>) {
    if span.is_disabled() {
        return;
    }
    let reasons: Vec<opentelemetry::StringValue> = reasons.map(|r| r.to_owned().into()).collect();
    if !reasons.is_empty() {
        span.set_attribute(
            gen_ai::RESPONSE_FINISH_REASONS,
            opentelemetry::Value::Array(reasons.into()),
        );
    }
}

/// Without span export (feature `otlp`) the attribute has no reader.
#[cfg(not(feature = "otlp"))]
pub(crate) fn record_finish_reasons<'a>(_: &Span, _: impl Iterator<Item = &'a str>) {}
