//! `App`: assembles endpoints, gateways and hooks into a running server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{RawPathParams, Request};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::endpoint::{EndpointRegistration, collect_endpoints};
use crate::error::Error;
use crate::gateway::{DemoGateway, LlmGateway};
use crate::hooks::{Hook, HookContext, HookEvent, HookRegistration, HookSet};
use crate::http::{self, ApiInfo, EndpointRuntime, Readiness};
use crate::llm::PriceTable;
use crate::observability::{CircuitSource, EndpointTelemetry, Metrics};

/// The default limit on request bodies.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// An LLM-agent service: every `#[agent_endpoint]` and `#[hook]` in the
/// program, a default gateway, and the server options.
///
/// ```no_run
/// use fastagentic::prelude::*;
///
/// #[tokio::main]
/// async fn main() -> Result<(), fastagentic::Error> {
///     App::new("My Agent")
///         .llm_gateway(OpenAiGateway::from_env()?)
///         .serve("127.0.0.1:8000")
///         .await
/// }
/// ```
pub struct App {
    info: ApiInfo,
    gateway: Option<Arc<dyn LlmGateway>>,
    hooks: Vec<Arc<dyn Hook>>,
    hook_fns: Vec<&'static HookRegistration>,
    endpoints: Vec<&'static EndpointRegistration>,
    use_inventory: bool,
    body_limit: usize,
    request_timeout: Option<Duration>,
    shutdown_timeout: Duration,
    prices: PriceTable,
    openai_prefix: Option<String>,
    openai_models: Vec<String>,
    metrics: bool,
    /// The default gateway's circuit breakers, for `/metrics`.
    circuits: Option<CircuitSource>,
    retry: Option<crate::reliability::RetryPolicy>,
    rate_limit: Option<crate::reliability::RateLimit>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("title", &self.info.title)
            .field(
                "gateway",
                &self.gateway.as_ref().map(|g| g.name().to_owned()),
            )
            .field("hooks", &self.hooks.len())
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app titled `title` (the OpenAPI title).
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            info: ApiInfo {
                title: title.into(),
                version: "0.1.0".to_owned(),
                description: None,
            },
            gateway: None,
            hooks: Vec::new(),
            hook_fns: Vec::new(),
            endpoints: Vec::new(),
            use_inventory: true,
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: None,
            shutdown_timeout: Duration::from_secs(30),
            prices: PriceTable::default(),
            openai_prefix: None,
            openai_models: Vec::new(),
            metrics: true,
            circuits: None,
            retry: None,
            rate_limit: None,
        }
    }

    /// The API's version (OpenAPI `info.version`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.info.version = version.into();
        self
    }

    /// The API's description (OpenAPI `info.description`).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.info.description = Some(description.into());
        self
    }

    /// The default gateway, for every endpoint that does not name its own.
    /// Without one, the app uses the offline [`DemoGateway`] and says so in the log.
    pub fn llm_gateway<G: LlmGateway>(mut self, gateway: G) -> Self {
        // A `ReliableGateway`'s circuit states are reported on `/metrics`.
        let (gateway, circuits) = crate::observability::share_watching(gateway);
        self.gateway = Some(gateway);
        self.circuits = circuits;
        self
    }

    /// The retry policy of every endpoint that does not set its own
    /// (`#[agent_endpoint(retry = ...)]` overrides it).
    pub fn retry(mut self, policy: crate::reliability::RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// One rate limit shared by every call through the default gateway
    /// (`#[agent_endpoint(rate_limit(...))]` adds an endpoint's own budget).
    pub fn rate_limit(mut self, limit: crate::reliability::RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Serves `GET /metrics` in Prometheus' text format: requests, latency,
    /// LLM calls, tokens, cost, retries, fallbacks, rate-limit rejections
    /// and circuit states, per endpoint and model (on by default; the list
    /// is in [`observability`](crate::observability)). `false` counts nothing.
    pub fn metrics(mut self, enabled: bool) -> Self {
        self.metrics = enabled;
        self
    }

    /// Adds hook objects, run in the order given, before `#[hook]` functions.
    pub fn hooks<I>(mut self, hooks: I) -> Self
    where
        I: IntoIterator,
        I::Item: Hook,
    {
        self.hooks
            .extend(hooks.into_iter().map(|h| Arc::new(h) as Arc<dyn Hook>));
        self
    }

    /// Adds one hook object.
    pub fn hook<H: Hook>(mut self, hook: H) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Adds a `#[hook]` function by hand (`#[hook]` on `fn log` defines
    /// `LOG_HOOK`), for targets where `inventory` does not collect it.
    pub fn hook_fn(mut self, hook: &'static HookRegistration) -> Self {
        self.hook_fns.push(hook);
        self
    }

    /// Adds an endpoint by hand (`#[agent_endpoint]` on `fn triage` defines
    /// `TRIAGE_ENDPOINT`), for targets where `inventory` does not collect it.
    pub fn endpoint(mut self, endpoint: &'static EndpointRegistration) -> Self {
        self.endpoints.push(endpoint);
        self
    }

    /// Serves only the endpoints and hooks added by hand, ignoring those
    /// registered through `inventory` (tests, or several apps in one binary).
    pub fn without_inventory(mut self) -> Self {
        self.use_inventory = false;
        self
    }

    /// Limits request bodies (default 2 MiB); larger ones answer 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Limits how long a request may take until its reply starts; past it, 504.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// How long shutdown waits for in-flight requests to finish (default 30 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Also serves an OpenAI-compatible API under `prefix` (e.g. `"/v1"`):
    /// `POST {prefix}/chat/completions` (streaming too), `POST
    /// {prefix}/embeddings` and `GET {prefix}/models`, through the app's
    /// default gateway and hooks, so OpenAI SDK clients can use the app as
    /// their gateway (`base_url = "http://host:port/v1"`).
    pub fn openai_compatible(mut self, prefix: impl Into<String>) -> Self {
        self.openai_prefix = Some(prefix.into().trim_end_matches('/').to_owned());
        self
    }

    /// The models `GET {prefix}/models` lists (default: every model of the price table).
    pub fn openai_models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.openai_models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the model price table used to fill `usage.cost`.
    pub fn price_table(mut self, prices: PriceTable) -> Self {
        self.prices = prices;
        self
    }

    /// Builds the router, checking everything: endpoint paths unique,
    /// every gateway's configuration. For embedding in an existing axum app;
    /// `on_startup`/`on_shutdown` hooks run only with [`serve`](Self::serve)/[`spawn`](Self::spawn).
    pub fn into_router(self) -> Result<Router, Error> {
        let built = self.build()?;
        built.readiness.set(true);
        Ok(built.router)
    }

    fn build(self) -> Result<Built, Error> {
        let mut explicit = self.endpoints.clone();
        if let Some(prefix) = &self.openai_prefix {
            explicit.extend(crate::openai_compatible::endpoints(prefix));
        }
        let endpoints = collect_endpoints(&explicit, self.use_inventory)?;
        let mut hook_fns = self.hook_fns.clone();
        if self.use_inventory {
            for reg in inventory::iter::<crate::hooks::HookEntry>
                .into_iter()
                .map(|e| e.0)
            {
                if !hook_fns.iter().any(|known| std::ptr::eq(*known, reg)) {
                    hook_fns.push(reg);
                }
            }
        }
        let hooks = Arc::new(HookSet::new(&self.hooks, &hook_fns));
        let prices = Arc::new(self.prices);

        let default_gateway = match self.gateway {
            Some(gateway) => gateway,
            None => {
                tracing::warn!(
                    "no LLM gateway configured: using the offline demo gateway (canned answers); pass one with App::llm_gateway"
                );
                crate::gateway::shared(DemoGateway::new())
            }
        };
        let default_gateway = match self.rate_limit {
            Some(limit) => crate::gateway::shared(
                crate::reliability::ReliableGateway::new(default_gateway).rate_limit(limit),
            ),
            None => default_gateway,
        };
        default_gateway.check().map_err(|source| Error::Gateway {
            context: "the app's default LLM gateway".to_owned(),
            source: Box::new(source),
        })?;

        let metrics = self.metrics.then(Metrics::new);
        if let (Some(metrics), Some(circuits)) = (&metrics, self.circuits) {
            metrics.watch_circuits(circuits);
        }
        let readiness = Readiness::default();
        let openapi = Arc::new(http::openapi_document(&self.info, &endpoints));
        let mut router = Router::new();
        let mut routes = Vec::new();
        for reg in &endpoints {
            let gateway = match reg.gateway {
                Some(factory) => {
                    let gateway = factory();
                    gateway.check().map_err(|source| Error::Gateway {
                        context: format!(
                            "the LLM gateway of endpoint `{}` ({})",
                            reg.name,
                            reg.site()
                        ),
                        source: Box::new(source),
                    })?;
                    gateway
                }
                None => default_gateway.clone(),
            };
            let gateway = with_endpoint_reliability(reg, gateway, self.retry.as_ref())?;
            if let Some(prepare) = reg.prepare {
                prepare();
            }
            let has_path_params = reg.path.contains('{');
            routes.push(format!(
                "POST {} -> {} (gateway: {}{})",
                reg.path,
                reg.name,
                gateway.name(),
                if reg.stream { ", streams" } else { "" }
            ));
            let runtime = Arc::new(EndpointRuntime {
                registration: reg,
                name: Arc::from(reg.name),
                gateway,
                hooks: hooks.clone(),
                prices: prices.clone(),
                body_limit: self.body_limit,
                timeout: reg
                    .timeout
                    .map(|timeout| timeout())
                    .or(self.request_timeout),
                has_path_params,
                telemetry: EndpointTelemetry::new(reg.path, reg.name, metrics.as_ref()),
            });
            let route = if has_path_params {
                post(move |params: RawPathParams, request: Request| {
                    http::serve_endpoint(runtime.clone(), Some(params), request)
                })
            } else {
                post(move |request: Request| http::serve_endpoint(runtime.clone(), None, request))
            };
            router = router.route(reg.path, route.fallback(http::method_not_allowed));
        }
        if let Some(prefix) = &self.openai_prefix {
            let models = Arc::new(crate::openai_compatible::models_body(
                &self.openai_models,
                &prices,
            ));
            routes.push(format!("GET {prefix}/models -> openai_models"));
            router = router.route(
                &format!("{prefix}/models"),
                get(move || async move { crate::openai_compatible::models_response(&models) }),
            );
        }
        if let Some(metrics) = metrics {
            routes.push("GET /metrics -> Prometheus metrics".to_owned());
            router = router.route(
                "/metrics",
                get(move || std::future::ready(crate::observability::metrics_response(&metrics))),
            );
        }
        let openapi_json = axum::Json(openapi.as_ref().clone());
        router = router
            .route("/health", get(http::health))
            .route("/ready", get(http::ready).with_state(readiness.clone()))
            .route(
                "/openapi.json",
                get(move || async move { openapi_json.clone() }),
            )
            .route("/docs", get(http::docs_page))
            .fallback(http::not_found);

        Ok(Built {
            router,
            hooks,
            readiness,
            routes,
            shutdown_timeout: self.shutdown_timeout,
        })
    }

    /// Serves on `addr` until Ctrl-C or SIGTERM, then drains in-flight
    /// requests (up to the shutdown timeout) and runs `on_shutdown` hooks.
    pub async fn serve(self, addr: &str) -> Result<(), Error> {
        let listener = crate::listener::listen(addr).await?;
        self.serve_with_shutdown(listener, shutdown_signal()).await
    }

    /// Serves on `listener` until `signal` completes, then drains like
    /// [`serve`](Self::serve). [`listen`](crate::listen) makes a listener
    /// with the accept queue `serve` uses.
    pub async fn serve_with_shutdown<F>(self, listener: TcpListener, signal: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let built = self.build()?;
        built.run(listener, signal).await
    }

    /// Starts serving on `addr` in the background (port 0 picks a free one)
    /// and returns a handle with the address and a graceful shutdown.
    pub async fn spawn(self, addr: &str) -> Result<ServerHandle, Error> {
        let listener = crate::listener::listen(addr).await?;
        let local = listener.local_addr()?;
        let built = self.build()?;
        built.start_up(local).await;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(built.serve_until(listener, async move {
            let _ = rx.await;
        }));
        Ok(ServerHandle {
            addr: local,
            shutdown: Some(tx),
            task,
        })
    }
}

/// Wraps an endpoint's gateway in its retry policy (its own, else the
/// app's) and its own rate limit (`#[agent_endpoint(retry = .., rate_limit = ..)]`),
/// checked like any gateway.
fn with_endpoint_reliability(
    reg: &EndpointRegistration,
    gateway: Arc<dyn LlmGateway>,
    app_retry: Option<&crate::reliability::RetryPolicy>,
) -> Result<Arc<dyn LlmGateway>, Error> {
    let retry = reg
        .retry
        .map(|retry| retry())
        .or_else(|| app_retry.cloned());
    if retry.is_none() && reg.rate_limit.is_none() {
        return Ok(gateway);
    }
    let mut reliable = crate::reliability::ReliableGateway::new(gateway);
    if let Some(retry) = retry {
        reliable = reliable.retry(retry);
    }
    if let Some(rate_limit) = reg.rate_limit {
        reliable = reliable.rate_limit(rate_limit());
    }
    reliable.check().map_err(|source| Error::Gateway {
        context: format!(
            "the retry or rate limit of endpoint `{}` ({})",
            reg.name,
            reg.site()
        ),
        source: Box::new(source),
    })?;
    Ok(crate::gateway::shared(reliable))
}

struct Built {
    router: Router,
    hooks: Arc<HookSet>,
    readiness: Readiness,
    routes: Vec<String>,
    shutdown_timeout: Duration,
}

impl Built {
    async fn run<F>(self, listener: TcpListener, signal: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.start_up(listener.local_addr()?).await;
        self.serve_until(listener, signal).await
    }

    /// Runs `on_startup` hooks, logs the routes, and marks the server ready.
    async fn start_up(&self, addr: SocketAddr) {
        lifecycle(&self.hooks, HookEvent::OnStartup).await;
        for route in &self.routes {
            tracing::info!("{route}");
        }
        tracing::info!("listening on http://{addr} (docs: http://{addr}/docs)");
        self.readiness.set(true);
    }

    /// Serves until `signal`, drains, runs `on_shutdown` hooks.
    async fn serve_until<F>(self, listener: TcpListener, signal: F) -> Result<(), Error>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Built {
            router,
            hooks,
            readiness,
            shutdown_timeout,
            ..
        } = self;

        let (draining_tx, draining_rx) = oneshot::channel::<()>();
        let graceful = async move {
            signal.await;
            readiness.set(false);
            tracing::info!("shutting down: draining in-flight requests");
            let _ = draining_tx.send(());
        };
        let server = axum::serve(listener, router.into_make_service())
            .with_graceful_shutdown(graceful)
            .into_future();
        let limit = shutdown_timeout;
        let deadline = async move {
            if draining_rx.await.is_ok() {
                tokio::time::sleep(limit).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = server => result?,
            () = deadline => tracing::warn!("in-flight requests still running after {limit:?}; stopping anyway"),
        }
        lifecycle(&hooks, HookEvent::OnShutdown).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Runs `on_startup` or `on_shutdown` hooks.
async fn lifecycle(hooks: &HookSet, event: HookEvent) {
    if hooks.has(event) {
        let mut ctx = HookContext::new(event, uuid::Uuid::new_v4(), "");
        let _ = hooks.run(event, &mut ctx).await;
    }
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A server started by [`App::spawn`].
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), Error>>,
}

impl ServerHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, drains in-flight requests, runs `on_shutdown` hooks, and waits.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(Error::Serve(std::io::Error::other(e))),
        }
    }
}
