//! Telemetry of one request: its span and its metrics, ended with the
//! response body (so a stream counts until its last event).

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, HttpBody as _};
use axum::response::Response;
use http::HeaderMap;
use http_body_util::BodyExt;
use tracing::Span;
use uuid::Uuid;

use super::gen_ai;
use super::metrics::{EndpointMetrics, Metrics};
use super::observer::TelemetryObserver;
use super::spans::request_span;
use crate::reliability::CallObserver;

/// An endpoint's telemetry, built once at start-up.
pub(crate) struct EndpointTelemetry {
    span_name: Box<str>,
    route: &'static str,
    endpoint: Box<str>,
    metrics: Option<Arc<EndpointMetrics>>,
    observer: Arc<dyn CallObserver>,
}

impl EndpointTelemetry {
    /// Telemetry for the endpoint `endpoint` served at `route`, counted in
    /// `metrics` when the app has metrics.
    pub(crate) fn new(route: &'static str, endpoint: &str, metrics: Option<&Metrics>) -> Self {
        let metrics = metrics.map(|m| m.endpoint(endpoint));
        Self {
            span_name: format!("POST {route}").into(),
            route,
            endpoint: endpoint.into(),
            observer: Arc::new(TelemetryObserver::new(metrics.clone())),
            metrics,
        }
    }

    /// Opens the request's span and counts it in flight.
    pub(crate) fn start(&self, run_id: Uuid, headers: &HeaderMap) -> RequestTelemetry {
        if let Some(metrics) = &self.metrics {
            metrics.request_started();
        }
        RequestTelemetry {
            span: request_span(&self.span_name, self.route, &self.endpoint, run_id, headers),
            started: Instant::now(),
            metrics: self.metrics.clone(),
            status: CLIENT_CLOSED_REQUEST,
        }
    }

    /// The endpoint's LLM metrics, for its LLM client.
    pub(crate) fn metrics(&self) -> Option<&Arc<EndpointMetrics>> {
        self.metrics.as_ref()
    }

    /// Hears the retries and fallbacks of the endpoint's LLM calls.
    pub(crate) fn observer(&self) -> &Arc<dyn CallObserver> {
        &self.observer
    }
}

/// The status counted for a request whose client went away before it was
/// answered (nginx's convention).
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// One request being served; dropping it ends its span and counts it.
pub(crate) struct RequestTelemetry {
    span: Span,
    started: Instant,
    metrics: Option<Arc<EndpointMetrics>>,
    status: u16,
}

impl RequestTelemetry {
    /// The request's span: the work of the request runs inside it.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// The request failed with an error of type `kind`.
    pub(crate) fn failed(&self, kind: &str) {
        self.span.record(gen_ai::ERROR_TYPE, kind);
    }

    /// Records the response's status and ends with its body: at once for
    /// a body already complete, with its last byte for a stream.
    pub(crate) fn finish(mut self, response: Response) -> Response {
        self.status = response.status().as_u16();
        self.span
            .record(gen_ai::HTTP_RESPONSE_STATUS_CODE, i64::from(self.status));
        if self.status >= 500 {
            self.span.record("otel.status_code", "error");
        }
        if response.body().size_hint().exact().is_some() {
            return response;
        }
        let (parts, body) = response.into_parts();
        let body = body.map_frame(move |frame| {
            let _until_the_body_ends = &self;
            frame
        });
        Response::from_parts(parts, Body::new(body))
    }
}

impl Drop for RequestTelemetry {
    fn drop(&mut self) {
        if let Some(metrics) = &self.metrics {
            metrics.request_finished(self.status, self.started.elapsed());
        }
    }
}
