//! `App::mount`: a set of extra routes an integration serves in the app
//! (Portkey's drop-in gateway surface, for one), served the way the
//! OpenAI-compatible route is: the app's body limit, content-type check,
//! request timeout, run id header, request span and metrics, `on_error`
//! hooks, and LLM clients bound to the app's hooks and price table.
//!
//! A mounted path that clashes with an endpoint, a built-in route or
//! another mounted route stops start-up, naming both.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header};
use serde::Serialize;
use tracing::Instrument;
use uuid::Uuid;

use crate::endpoint::{AgentStream, IntoAgentStream};
use crate::error::AgentError;
use crate::gateway::{BoxFuture, CallContext, LlmGateway};
use crate::hooks::HookSet;
use crate::http::{check_content_type, notify_error, read_body, request_metadata, sse_response};
use crate::llm::{LlmClient, PriceTable};
use crate::observability::EndpointTelemetry;

/// A set of extra routes to serve in an app ([`App::mount`](crate::App::mount)):
/// what an integration implements to add an HTTP surface of its own.
///
/// ```
/// use fastagentic::App;
/// use fastagentic::mount::{MountedRoute, RouteReply, RouteSet};
///
/// struct Echo;
///
/// impl RouteSet for Echo {
///     fn name(&self) -> &str {
///         "echo"
///     }
///     fn routes(&self) -> Result<Vec<MountedRoute>, String> {
///         Ok(vec![MountedRoute::post("/echo", "echo", |request| async move {
///             Ok(RouteReply::bytes(request.body().clone(), "application/json"))
///         })])
///     }
/// }
///
/// let router = App::new("demo").without_inventory().mount(Echo).into_router();
/// assert!(router.is_ok());
/// ```
pub trait RouteSet: Send + Sync + 'static {
    /// A short name, for the start-up log and errors (`portkey_drop_in`).
    fn name(&self) -> &str;

    /// The routes, built once at start-up; `Err` stops start-up with the
    /// message (a misconfiguration, named with its fix).
    fn routes(&self) -> Result<Vec<MountedRoute>, String>;
}

type Handler =
    Arc<dyn Fn(RouteRequest) -> BoxFuture<'static, Result<RouteReply, AgentError>> + Send + Sync>;

/// One `POST` route of a [`RouteSet`].
pub struct MountedRoute {
    path: String,
    name: String,
    handler: Handler,
}

impl std::fmt::Debug for MountedRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MountedRoute")
            .field("path", &self.path)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl MountedRoute {
    /// `POST path`, named `name` in logs, spans and metrics (like an
    /// endpoint's name), answered by `handler`. An `Err` answers in the
    /// app's JSON error shape; a handler wanting its own error shape
    /// returns a [`RouteReply`] with an error status.
    pub fn post<F, Fut>(path: impl Into<String>, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(RouteRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RouteReply, AgentError>> + Send + 'static,
    {
        Self {
            path: path.into(),
            name: name.into(),
            handler: Arc::new(move |request| Box::pin(handler(request))),
        }
    }

    /// The path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What the app serves a mounted route with, shared by every route of the app.
pub(super) struct RouteServices {
    pub(super) hooks: Arc<HookSet>,
    pub(super) prices: Arc<PriceTable>,
    pub(super) body_limit: usize,
    pub(super) timeout: Option<Duration>,
    /// Ends open streams when shutdown's drain timeout runs out.
    pub(super) stream_cutoff: crate::http::StreamCutoff,
}

/// One request to a mounted route: its headers and body (read within the
/// app's body limit), its run, and LLM clients bound to the app.
pub struct RouteRequest {
    headers: HeaderMap,
    body: Bytes,
    call: CallContext,
    runtime: Arc<MountedRuntime>,
}

impl std::fmt::Debug for RouteRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteRequest")
            .field("route", &self.runtime.name)
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

impl RouteRequest {
    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The request body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The run id (also sent back in `x-fastagentic-run-id`).
    pub fn run_id(&self) -> Uuid {
        self.call.run_id()
    }

    /// The call context LLM calls of this request carry: run id, the
    /// route's name as endpoint, the request metadata of
    /// `x-portkey-metadata` / `x-fastagentic-metadata`, the app's deadline.
    pub fn call_context(&self) -> &CallContext {
        &self.call
    }

    /// A client calling `gateway` with `call` (usually a changed copy of
    /// [`call_context`](Self::call_context)), running the app's LLM hooks,
    /// filling cost from its price table and counted in the route's metrics.
    pub fn llm(&self, gateway: Arc<dyn LlmGateway>, call: CallContext) -> LlmClient {
        let services = &self.runtime.services;
        LlmClient::new(
            gateway,
            services.hooks.clone(),
            services.prices.clone(),
            call,
        )
        .with_telemetry(&self.runtime.telemetry)
    }
}

enum ReplyBody {
    Bytes(Bytes),
    Stream(AgentStream),
}

/// What a mounted route answers: a status, headers, and a JSON body, raw
/// bytes or server-sent events.
pub struct RouteReply {
    status: StatusCode,
    headers: HeaderMap,
    body: ReplyBody,
}

impl std::fmt::Debug for RouteReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteReply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl RouteReply {
    /// 200 with `value` as JSON (a value that cannot be encoded answers 500).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, AgentError> {
        let body = serde_json::to_vec(value).map_err(AgentError::internal)?;
        Ok(Self::bytes(body, "application/json"))
    }

    /// 200 with `body` as it is, of type `content_type`.
    pub fn bytes(body: impl Into<Bytes>, content_type: &'static str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Self {
            status: StatusCode::OK,
            headers,
            body: ReplyBody::Bytes(body.into()),
        }
    }

    /// 200 with server-sent events: each event's JSON as `data:`, `[DONE]`
    /// at the end, an `event: error` frame after a failure.
    pub fn stream(events: impl IntoAgentStream) -> Self {
        Self {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: ReplyBody::Stream(events.into_agent_stream()),
        }
    }

    /// This reply with another status (a status outside 100..=999 is ignored).
    pub fn with_status(mut self, status: u16) -> Self {
        if let Ok(status) = StatusCode::from_u16(status) {
            self.status = status;
        }
        self
    }

    /// This reply with a header (a value that is not a valid header value is left out).
    pub fn with_header(mut self, name: &'static str, value: impl AsRef<str>) -> Self {
        if let Ok(value) = HeaderValue::from_str(value.as_ref()) {
            self.headers.insert(HeaderName::from_static(name), value);
        }
        self
    }

    /// The headers, to change them.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    fn into_response(self, services: &RouteServices) -> Response {
        let mut response = match self.body {
            ReplyBody::Bytes(bytes) => bytes.into_response(),
            ReplyBody::Stream(events) => sse_response(events, services.stream_cutoff.watch()),
        };
        *response.status_mut() = self.status;
        response.headers_mut().extend(self.headers);
        response
    }
}

/// Everything a mounted route needs per request, built once at start-up.
pub(super) struct MountedRuntime {
    name: Arc<str>,
    handler: Handler,
    services: Arc<RouteServices>,
    telemetry: EndpointTelemetry,
}

impl MountedRuntime {
    pub(super) fn new(
        route: MountedRoute,
        services: Arc<RouteServices>,
        telemetry: impl FnOnce(&'static str, &str) -> EndpointTelemetry,
    ) -> (String, Arc<Self>) {
        let path: &'static str = Box::leak(route.path.clone().into_boxed_str());
        let telemetry = telemetry(path, &route.name);
        (
            route.path,
            Arc::new(Self {
                name: Arc::from(route.name),
                handler: route.handler,
                services,
                telemetry,
            }),
        )
    }
}

const RUN_ID_HEADER: &str = "x-fastagentic-run-id";

/// Serves one request of a mounted route.
pub(super) async fn serve_mounted(
    runtime: Arc<MountedRuntime>,
    request: Request<Body>,
) -> Response {
    let run_id = Uuid::new_v4();
    let telemetry = runtime.telemetry.start(run_id, request.headers());
    let timeout = runtime.services.timeout;
    let work = run(runtime.clone(), run_id, request).instrument(telemetry.span().clone());
    let result = match timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(AgentError::new(
                504,
                "request_timeout",
                format!("the request took longer than {limit:?}"),
            ))
        }),
        None => work.await,
    };
    let mut response = match result {
        Ok(reply) => reply.into_response(&runtime.services),
        Err(error) => {
            telemetry.failed(error.kind());
            notify_error(&runtime.services.hooks, &runtime.name, run_id, &error).await;
            error.into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&run_id.to_string()) {
        response.headers_mut().insert(RUN_ID_HEADER, value);
    }
    telemetry.finish(response)
}

async fn run(
    runtime: Arc<MountedRuntime>,
    run_id: Uuid,
    request: Request<Body>,
) -> Result<RouteReply, AgentError> {
    check_content_type(&request)?;
    let metadata = request_metadata(request.headers())?;
    let (parts, body) = request.into_parts();
    let body = read_body(body, runtime.services.body_limit).await?;
    let mut call = CallContext::new(run_id, runtime.name.clone())
        .with_deadline(runtime.services.timeout.map(|t| Instant::now() + t));
    if let Some(metadata) = metadata {
        call = call.with_request_metadata(metadata);
    }
    let handler = runtime.handler.clone();
    handler(RouteRequest {
        headers: parts.headers,
        body,
        call,
        runtime,
    })
    .await
}

/// A path as the router matches it: every `{param}` alike.
pub(super) fn route_shape(path: &str) -> String {
    let mut shape = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.trim_end_matches('/').chars() {
        match (c, in_param) {
            ('{', _) => {
                in_param = true;
                shape.push_str("{}");
            }
            ('}', _) => in_param = false,
            (_, true) => {}
            (c, false) => shape.push(c),
        }
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::route_shape;

    #[test]
    fn parameters_are_alike_in_a_route_shape() {
        assert_eq!(route_shape("/a/{id}/b"), route_shape("/a/{name}/b"));
        assert_eq!(route_shape("/v1/chat/"), "/v1/chat");
        assert_ne!(route_shape("/a/{id}"), route_shape("/a/b"));
    }
}
