//! Assembling an [`App`]: endpoints collected and checked, one gateway tree
//! per endpoint, hooks, routes, OpenAPI, metrics.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawPathParams, Request};
use axum::routing::{get, post};

use super::App;
use super::endpoint_gateway::AppReliability;
use super::mount::{MountedRuntime, RouteServices, route_shape, serve_mounted};
use super::server::Built;
use crate::endpoint::collect_endpoints;
use crate::error::Error;
use crate::gateway::{DemoGateway, LlmGateway};
use crate::hooks::HookSet;
use crate::http::{self, EndpointRuntime, Readiness, StreamCutoff};
use crate::observability::{EndpointTelemetry, Metrics};
use crate::reliability::RateLimiter;

impl App {
    /// Checks everything and builds the router, for an app bound to
    /// `bound` (`None`: not known, as with `into_router`).
    pub(super) fn build(self, bound: Option<SocketAddr>) -> Result<Built, Error> {
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
        let shared_store = self.shared_store;
        let app_limit = self.rate_limit.map(|limit| {
            let limiter = RateLimiter::new(default_gateway.clone(), limit);
            if shared_store.is_local() {
                limiter
            } else {
                limiter.shared(shared_store.clone(), "app")
            }
        });
        let checked: Arc<dyn LlmGateway> = match &app_limit {
            Some(limited) => Arc::new(limited.clone()),
            None => default_gateway.clone(),
        };
        checked.check().map_err(|source| Error::Gateway {
            context: "the app's default LLM gateway".to_owned(),
            source: Box::new(source),
        })?;
        let reliability = AppReliability {
            default_gateway,
            app_limit,
            retry: self.retry,
        };

        // The dashboard reads the metrics too, and has endpoints record each
        // LLM call in its log; `/metrics` is served only when asked for.
        let metrics = match &self.dashboard {
            Some(dashboard) => Some(Metrics::with_call_log(dashboard.call_log())),
            None => self.metrics.then(Metrics::new),
        };
        if let Some(metrics) = &metrics {
            metrics.watch_store(&shared_store);
        }
        let readiness = Readiness::default();
        let stream_cutoff = StreamCutoff::default();
        let openapi = Arc::new(http::openapi_document(&self.info, &endpoints));
        let mut router = Router::new();
        let mut routes = Vec::new();
        let mut paths = PathOwners::default();
        for reg in &endpoints {
            paths.claim(
                reg.path,
                format!("endpoint `{}` ({})", reg.name, reg.site()),
            )?;
            let gateway = reliability.endpoint_gateway(reg)?;
            crate::store::bind_shared_store(gateway.as_ref(), &shared_store, reg.name);
            if let Some(metrics) = &metrics {
                metrics.watch_tree(reg.name, gateway.clone());
            }
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
                stream_cutoff: stream_cutoff.clone(),
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
            let path = format!("{prefix}/models");
            paths.claim(
                &path,
                "the OpenAI-compatible route's `GET {prefix}/models`".replace("{prefix}", prefix),
            )?;
            routes.push(format!("GET {prefix}/models -> openai_models"));
            router = router.route(
                &format!("{prefix}/models"),
                get(move || async move { crate::openai_compatible::models_response(&models) }),
            );
        }
        for builtin in BUILT_IN_PATHS {
            if self.metrics || builtin != "/metrics" {
                paths.claim(builtin, format!("the built-in `GET {builtin}`"))?;
            }
        }
        if self.dashboard.is_some() {
            for path in crate::dashboard::PATHS {
                paths.claim(path, format!("the dashboard's `{path}`"))?;
            }
        }
        let services = Arc::new(RouteServices {
            hooks: hooks.clone(),
            prices: prices.clone(),
            body_limit: self.body_limit,
            timeout: self.request_timeout,
            stream_cutoff: stream_cutoff.clone(),
        });
        for set in &self.mounts {
            let mounted = set.routes().map_err(|message| Error::Gateway {
                context: format!("the mounted route set `{}`", set.name()),
                source: Box::new(crate::GatewayError::config(set.name(), message)),
            })?;
            for route in mounted {
                paths.claim(
                    route.path(),
                    format!(
                        "route `{}` of the mounted route set `{}`",
                        route.name(),
                        set.name()
                    ),
                )?;
                routes.push(format!(
                    "POST {} -> {} (mounted: {})",
                    route.path(),
                    route.name(),
                    set.name()
                ));
                let (path, runtime) = MountedRuntime::new(route, services.clone(), |path, name| {
                    EndpointTelemetry::new(path, name, metrics.as_ref())
                });
                router = router.route(
                    &path,
                    post(move |request: Request| serve_mounted(runtime.clone(), request))
                        .fallback(http::method_not_allowed),
                );
            }
        }
        if let (Some(dashboard), Some(metrics)) = (self.dashboard, &metrics) {
            let state =
                dashboard.prepare(bound, &self.info.title, metrics.clone(), readiness.clone())?;
            routes.push("GET /dashboard -> dashboard".to_owned());
            router = router.merge(crate::dashboard::router(state));
        }
        if let Some(metrics) = metrics.filter(|_| self.metrics) {
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
            stream_cutoff,
            routes,
            drain_delay: self.drain_delay,
            shutdown_timeout: self.shutdown_timeout,
        })
    }
}

/// The routes every app serves besides its endpoints (`/metrics` only with metrics on).
const BUILT_IN_PATHS: [&str; 5] = ["/metrics", "/health", "/ready", "/openapi.json", "/docs"];

/// Which route claimed each path, so a second claim names both.
#[derive(Default)]
struct PathOwners(Vec<(String, String)>);

impl PathOwners {
    fn claim(&mut self, path: &str, owner: String) -> Result<(), Error> {
        let shape = route_shape(path);
        if let Some((_, first)) = self.0.iter().find(|(known, _)| *known == shape) {
            return Err(Error::RouteClash {
                path: path.to_owned(),
                first: first.clone(),
                second: owner,
            });
        }
        self.0.push((shape, owner));
        Ok(())
    }
}
