//! `App`: assembles endpoints, gateways and hooks into a running server.
//!
//! The builder is here; `assemble` builds the router, `endpoint_gateway`
//! each endpoint's reliability tree, and `server` runs it.

mod assemble;
mod connections;
mod endpoint_gateway;
pub(crate) mod mount;
mod server;

pub use server::{ServerHandle, shutdown_signal};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::endpoint::EndpointRegistration;
use crate::error::Error;
use crate::gateway::LlmGateway;
use crate::hooks::{Hook, HookRegistration};
use crate::http::ApiInfo;
use crate::llm::PriceTable;

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
    drain_delay: Duration,
    shutdown_timeout: Duration,
    prices: PriceTable,
    openai_prefix: Option<String>,
    openai_models: Vec<String>,
    metrics: bool,
    retry: Option<crate::reliability::RetryPolicy>,
    rate_limit: Option<crate::reliability::RateLimit>,
    shared_store: crate::store::SharedStore,
    mounts: Vec<Arc<dyn mount::RouteSet>>,
    dashboard: Option<crate::dashboard::Dashboard>,
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
            drain_delay: Duration::ZERO,
            shutdown_timeout: Duration::from_secs(30),
            prices: PriceTable::default(),
            openai_prefix: None,
            openai_models: Vec::new(),
            metrics: true,
            retry: None,
            rate_limit: None,
            shared_store: crate::store::SharedStore::Local,
            mounts: Vec::new(),
            dashboard: None,
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
        self.gateway = Some(crate::gateway::shared(gateway));
        self
    }

    /// The retry policy of every endpoint that does not set its own
    /// (`#[agent_endpoint(retry = ...)]` overrides it) and whose gateway
    /// does not retry already (retries never stack: a gateway that retries
    /// keeps its own policy alone).
    pub fn retry(mut self, policy: crate::reliability::RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// One rate limit shared by every call through the default gateway
    /// (`#[agent_endpoint(rate_limit(...))]` adds an endpoint's own budget).
    /// It sits outside every retry: a call counts once, however often it is
    /// retried.
    pub fn rate_limit(mut self, limit: crate::reliability::RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Where every cache, rate limit and circuit breaker in every gateway
    /// tree keeps its state, unless it was given its own: in each process
    /// (the default), or shared by every replica through Redis
    /// (`SharedStore::from_env()` reads `REDIS_URL`). The app's own rate
    /// limit is shared under the name `app`, an endpoint's limits under
    /// `<endpoint> at <path>`, breakers under their target's name. See
    /// `docs/scale-out.md`.
    pub fn shared_store(mut self, store: crate::store::SharedStore) -> Self {
        self.shared_store = store;
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

    /// Serves the built-in dashboard at `GET /dashboard` (off by default):
    /// a live view of requests, LLM calls, latency, cost, caches, errors,
    /// retries, fallbacks and the health of every gateway target, from
    /// memory (see [`dashboard`](crate::dashboard)). Off loopback it
    /// requires a token, and start-up fails without one.
    ///
    /// ```no_run
    /// use fastagentic::{App, Dashboard};
    /// # async fn run() -> Result<(), fastagentic::Error> {
    /// App::new("My Agent").dashboard(Dashboard::new()).serve("127.0.0.1:8000").await
    /// # }
    /// ```
    pub fn dashboard(mut self, dashboard: crate::dashboard::Dashboard) -> Self {
        self.dashboard = Some(dashboard);
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

    /// How long shutdown waits for in-flight requests to finish (default
    /// 30 s). Streams still open when it runs out end with an SSE `error`
    /// event (`shutting_down`) rather than a cut connection; other requests
    /// still running are stopped.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How long the app keeps accepting connections after the shutdown
    /// signal, with `GET /ready` answering 503, before it stops accepting and
    /// drains (default zero: it stops accepting at once). Set it to the
    /// time your load balancer needs to see the 503 and stop sending
    /// traffic (a Kubernetes readiness probe's period times its failure
    /// threshold), so no client meets a refused connection.
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.drain_delay = delay;
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

    /// Serves a set of extra routes (an integration's HTTP surface, e.g.
    /// `fastagentic_portkey::PortkeyDropIn`) the way the OpenAI-compatible
    /// route is served: the app's body limit, request timeout, run ids,
    /// spans, metrics and `on_error` hooks, and LLM calls through the app's
    /// LLM hooks and price table. A path that clashes with another route
    /// stops start-up, naming both.
    pub fn mount<R: mount::RouteSet>(mut self, routes: R) -> Self {
        self.mounts.push(Arc::new(routes));
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
    ///
    /// The address is not known here, so a [dashboard](Self::dashboard)
    /// needs a token.
    pub fn into_router(self) -> Result<Router, Error> {
        let built = self.build(None)?;
        built.readiness.set(true);
        Ok(built.router)
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
        let built = self.build(listener.local_addr().ok())?;
        built.run(listener, signal).await
    }

    /// Starts serving on `addr` in the background (port 0 picks a free one)
    /// and returns a handle with the address and a graceful shutdown.
    pub async fn spawn(self, addr: &str) -> Result<ServerHandle, Error> {
        let listener = crate::listener::listen(addr).await?;
        let local = listener.local_addr()?;
        let built = self.build(Some(local))?;
        built.start_up(local).await;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(built.serve_until(listener, async move {
            let _ = rx.await;
        }));
        Ok(ServerHandle::new(local, tx, task))
    }
}
