//! Retries and fallbacks, as span events on the LLM call's span and as counters.

use std::sync::Arc;

use super::gen_ai;
use super::metrics::EndpointMetrics;
use super::spans::int;
use crate::gateway::{BoxFuture, CallContext};
use crate::reliability::{CallObserver, GatewayEvent, millis};

/// Installed on every call of an endpoint's LLM client. The reliability
/// layer reports from inside the call's span, so the events land on it.
pub(crate) struct TelemetryObserver {
    metrics: Option<Arc<EndpointMetrics>>,
}

impl TelemetryObserver {
    pub(crate) fn new(metrics: Option<Arc<EndpointMetrics>>) -> Self {
        Self { metrics }
    }
}

impl CallObserver for TelemetryObserver {
    fn on_event<'a>(
        &'a self,
        _call: &'a CallContext,
        event: &'a GatewayEvent,
    ) -> BoxFuture<'a, ()> {
        match event {
            GatewayEvent::Retry(retry) => {
                if let Some(metrics) = &self.metrics {
                    metrics.model(&retry.model).retried();
                }
                tracing::info!(
                    target: "fastagentic::llm",
                    {
                        { gen_ai::RETRY_ATTEMPT } = i64::from(retry.attempt),
                        { gen_ai::RETRY_DELAY_MS } = int(millis(retry.delay)),
                        { gen_ai::REQUEST_MODEL } = retry.model.as_str(),
                        { gen_ai::ERROR_TYPE } = retry.error.kind(),
                        { gen_ai::UPSTREAM_STATUS } = retry.error.status().map(i64::from),
                    },
                    "{}",
                    gen_ai::RETRY_EVENT,
                );
            }
            GatewayEvent::Fallback(fallback) => {
                if let Some(metrics) = &self.metrics {
                    metrics.fell_back(&fallback.to_model);
                }
                tracing::info!(
                    target: "fastagentic::llm",
                    {
                        { gen_ai::FALLBACK_FROM_INDEX } = int(fallback.from_index),
                        { gen_ai::FALLBACK_TO_INDEX } = int(fallback.to_index),
                        { gen_ai::FALLBACK_TO_MODEL } = fallback.to_model.as_str(),
                        { gen_ai::ERROR_TYPE } = fallback.error.kind(),
                        { gen_ai::UPSTREAM_STATUS } = fallback.error.status().map(i64::from),
                    },
                    "{}",
                    gen_ai::FALLBACK_EVENT,
                );
            }
        }
        Box::pin(std::future::ready(()))
    }
}
