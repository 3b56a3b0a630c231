//! Observability: spans, metrics and Langfuse.
//!
//! ## Spans
//! Every request gets a span and every LLM call a child span, named and
//! attributed after OpenTelemetry's HTTP and GenAI semantic conventions
//! (attribute names in [`gen_ai`]):
//!
//! ```text
//! POST /triage            kind server   http.request.method, http.route, http.response.status_code,
//!                                       fastagentic.endpoint, fastagentic.run_id, error.type
//! └─ chat gpt-4o-mini     kind client   gen_ai.operation.name, gen_ai.system, gen_ai.provider.name,
//!                                       gen_ai.request.model (.max_tokens, .temperature, .top_p),
//!                                       gen_ai.response.model, gen_ai.response.id,
//!                                       gen_ai.response.finish_reasons, gen_ai.usage.input_tokens,
//!                                       gen_ai.usage.output_tokens, fastagentic.usage.cost_usd, error.type
//!      events: retry     (fastagentic.retry.attempt, .delay_ms, error.type, fastagentic.upstream.status)
//!              fallback  (fastagentic.fallback.from_index, .to_index, .to_model, error.type, ...)
//! ```
//!
//! They are `tracing` spans: free when nothing listens, context for log
//! lines with a log subscriber, exported over OTLP/HTTP with
//! [`Telemetry::from_env`]`().init()` when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set (feature `otlp`, on by default). A request's span lasts until its
//! response body ends (a stream: its last event); a failed call's span has
//! status error and `error.type`.
//!
//! ## Metrics
//! `GET /metrics` serves Prometheus' text format (on by default;
//! [`App::metrics(false)`](crate::App::metrics) turns it off). Counters and
//! histograms are atomics held by each endpoint, so recording takes no lock.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `fastagentic_requests_total` | counter | `endpoint`, `status` |
//! | `fastagentic_requests_in_flight` | gauge | `endpoint` |
//! | `fastagentic_request_duration_seconds` | histogram | `endpoint` |
//! | `fastagentic_llm_calls_total` | counter | `endpoint`, `model`, `operation` (`chat`, `embeddings`), `outcome` (`ok` or the error type) |
//! | `fastagentic_llm_call_duration_seconds` | histogram | `endpoint`, `model`, `operation` |
//! | `fastagentic_llm_tokens_total` | counter | `endpoint`, `model`, `type` (`input`, `output`) |
//! | `fastagentic_llm_cost_usd_total` | counter | `endpoint`, `model` |
//! | `fastagentic_llm_retries_total` | counter | `endpoint`, `model` |
//! | `fastagentic_llm_fallbacks_total` | counter | `endpoint`, `to_model` |
//! | `fastagentic_rate_limit_rejections_total` | counter | `endpoint`, `model` |
//! | `fastagentic_circuit_state` | gauge (1 = current state) | `target`, `state` (`closed`, `open`, `half_open`) |
//! | `fastagentic_rate_limit_per_minute` | gauge | `node` (`<endpoint>: <gateway> at <path>`), `unit` (`requests`, `tokens`) |
//! | `fastagentic_cache_lookups_total` | counter | `node`, `outcome` (`hit`, `miss`, `refresh`) |
//! | `fastagentic_cache_stores_total` | counter | `node` |
//! | `fastagentic_semantic_cache_lookups_total` | counter | `node`, `cache_status` (`SEMANTIC HIT`, `SEMANTIC MISS`) |
//! | `fastagentic_semantic_cache_guard_refusals_total` | counter | `node`, `guard` (`numbers`, `negation`, ... as `Guard::name`) |
//!
//! `model` is the model the call asked for (after `on_llm_start` hooks);
//! at most 64 per endpoint are tracked, later ones count as `other`.
//! Circuit states come from every circuit breaker in the app's gateway
//! trees (the default gateway's and each endpoint's own), wherever it sits.
//!
//! ## The dashboard
//! [`App::dashboard`](crate::App::dashboard) shows the same metrics and a
//! log of recent calls as a live page (see [`dashboard`](crate::dashboard)).
//! The log is kept only when the app has a dashboard.
//!
//! ## Langfuse
//! [`LangfuseHook`] sends each request as a Langfuse trace and each LLM
//! call as a generation in it, batched, from a background task (feature
//! `langfuse`, on by default).

// Without `otlp` or `langfuse` the docs above name items that are not built.
#![cfg_attr(
    not(all(feature = "otlp", feature = "langfuse")),
    allow(rustdoc::broken_intra_doc_links)
)]

pub(crate) mod call_log;
mod gateway_trees;
pub mod gen_ai;
mod histogram;
#[cfg(feature = "langfuse")]
mod langfuse;
mod llm_call;
mod metrics;
mod observer;
#[cfg(feature = "otlp")]
mod otlp;
#[cfg(feature = "otlp")]
mod otlp_http;
mod prometheus;
mod request;
mod spans;

#[cfg(feature = "langfuse")]
pub use langfuse::{DEFAULT_HOST as LANGFUSE_DEFAULT_HOST, LangfuseConfigError, LangfuseHook};
#[cfg(feature = "otlp")]
pub use otlp::{Telemetry, TelemetryError, TelemetryGuard};

pub(crate) use gateway_trees::{GatewayTrees, TreeReport};
pub(crate) use llm_call::LlmCall;
pub(crate) use metrics::{EndpointMetrics, Metrics};
pub(crate) use prometheus::metrics_response;
pub(crate) use request::EndpointTelemetry;
