//! [`Telemetry`]: logs always, and span export over OTLP/HTTP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` says where.

use std::io::IsTerminal;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::otlp_http::BlockingHttp;

/// The variables that switch span export on (either is enough).
const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// How long one export may take before it is abandoned.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sets up the process's `tracing` subscriber: log lines to stderr
/// (filtered by `RUST_LOG`, default `info`) and, when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
/// is set, every span exported over OTLP/HTTP: the request and LLM call
/// spans described in [`observability`](super).
///
/// The exporter follows the standard variables: `OTEL_EXPORTER_OTLP_PROTOCOL`
/// (`http/protobuf`, the default, or `http/json`; gRPC is not built in),
/// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`,
/// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, and the batch
/// processor's `OTEL_BSP_*`. Spans are batched and sent from a background
/// thread, never on the request path. An incoming W3C `traceparent` header
/// makes the request's span part of the caller's trace.
///
/// ```no_run
/// use fastagentic::observability::Telemetry;
/// use fastagentic::prelude::*;
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // Keep the guard: dropping it flushes the spans still queued.
///     let _telemetry = Telemetry::from_env().service_name("my-agent").init()?;
///     App::new("My Agent").serve("127.0.0.1:8000").await?;
///     Ok(())
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Telemetry {
    service_name: Option<String>,
    log_filter: String,
}

impl Telemetry {
    /// Reads the configuration from the environment when [`init`](Self::init) runs.
    pub fn from_env() -> Self {
        Self {
            service_name: None,
            log_filter: "info".to_owned(),
        }
    }

    /// The service name spans carry when `OTEL_SERVICE_NAME` is not set.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// The log filter when `RUST_LOG` is not set (default `info`; the
    /// spans are at `info`, so a filter that drops `info` for the
    /// `fastagentic` target also drops them from the export).
    pub fn log_filter(mut self, directives: impl Into<String>) -> Self {
        self.log_filter = directives.into();
        self
    }

    /// Installs the subscriber for the whole process. Fails when the
    /// exporter's settings are invalid or a global subscriber is already set.
    pub fn init(self) -> Result<TelemetryGuard, TelemetryError> {
        let filter = EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(&self.log_filter))
            .map_err(|e| TelemetryError::Config(format!("log filter: {e}")))?;
        let provider = if exporting_requested() {
            Some(self.provider()?)
        } else {
            None
        };
        let otel_layer = provider.as_ref().map(|provider| {
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("fastagentic"))
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
        });
        tracing_subscriber::registry()
            .with(filter)
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            .with(otel_layer)
            .try_init()
            .map_err(|e| TelemetryError::AlreadyInitialized(e.to_string()))?;
        if let Some(provider) = &provider {
            opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
            opentelemetry::global::set_tracer_provider(provider.clone());
            tracing::info!("exporting spans over OTLP/HTTP");
        }
        Ok(TelemetryGuard { provider })
    }

    fn provider(&self) -> Result<SdkTracerProvider, TelemetryError> {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_http_client(BlockingHttp::new(EXPORT_TIMEOUT))
            .build()
            .map_err(|e| TelemetryError::Config(format!("OTLP exporter: {e}")))?;
        let mut resource = Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none()
            && let Some(name) = &self.service_name
        {
            resource = resource.with_service_name(name.clone());
        }
        Ok(SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build())
    }
}

fn exporting_requested() -> bool {
    ENDPOINT_VARS
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()))
}

/// Keeps the span exporter running; dropping it sends the spans still
/// queued and stops the exporter.
#[must_use = "dropping the guard stops the span export"]
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Whether spans are exported over OTLP (`false`: logs only).
    pub fn exports_spans(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends the spans queued so far and waits for the export. It blocks:
    /// from async code, call it in `tokio::task::spawn_blocking`.
    pub fn flush(&self) -> Result<(), TelemetryError> {
        match &self.provider {
            Some(provider) => provider
                .force_flush()
                .map_err(|e| TelemetryError::Export(e.to_string())),
            None => Ok(()),
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("fastagentic: stopping the span export failed: {e}");
        }
    }
}

/// Setting up or flushing telemetry failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// A setting is invalid; the message names it.
    #[error("telemetry is misconfigured: {0}")]
    Config(String),
    /// The process already has a global `tracing` subscriber.
    #[error("a tracing subscriber is already installed: {0}")]
    AlreadyInitialized(String),
    /// Spans could not be exported.
    #[error("exporting spans failed: {0}")]
    Export(String),
}
