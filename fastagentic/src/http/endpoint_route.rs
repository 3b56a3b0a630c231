//! Serving one endpoint: body, input, hooks, the function, the reply.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::RawPathParams;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use tracing::Instrument;
use uuid::Uuid;

use super::sse::sse_body;
use crate::context::AgentContext;
use crate::endpoint::{EndpointRegistration, EndpointReply, InputBody};
use crate::error::AgentError;
use crate::gateway::{CallContext, LlmGateway};
use crate::hooks::{ErrorInfo, HookContext, HookEvent, HookSet};
use crate::llm::{LlmClient, PriceTable};
use crate::observability::EndpointTelemetry;

/// Everything an endpoint needs per request, built once at start-up.
pub(crate) struct EndpointRuntime {
    pub registration: &'static EndpointRegistration,
    pub name: Arc<str>,
    pub gateway: Arc<dyn LlmGateway>,
    pub hooks: Arc<HookSet>,
    pub prices: Arc<PriceTable>,
    pub body_limit: usize,
    pub timeout: Option<Duration>,
    pub has_path_params: bool,
    /// The request span, metrics and LLM-call telemetry (see `observability`).
    pub telemetry: EndpointTelemetry,
    /// Ends the endpoint's open streams when shutdown's drain timeout runs out.
    pub stream_cutoff: super::StreamCutoff,
}

const RUN_ID_HEADER: &str = "x-fastagentic-run-id";

/// Runs one request of an endpoint.
pub(crate) async fn serve_endpoint(
    runtime: Arc<EndpointRuntime>,
    params: Option<RawPathParams>,
    request: Request<Body>,
) -> Response {
    let run_id = Uuid::new_v4();
    let started = Instant::now();
    // The request's span and metrics end with the response body (see `finish` below).
    let telemetry = runtime.telemetry.start(run_id, request.headers());
    let work = run(&runtime, run_id, params, request).instrument(telemetry.span().clone());
    let result = match runtime.timeout {
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
        Ok(response) => response,
        Err(error) => {
            telemetry.failed(error.kind());
            notify_error(&runtime.hooks, &runtime.name, run_id, &error).await;
            tracing::debug!(endpoint = %runtime.name, %run_id, status = error.status(), "{error}");
            error.into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&run_id.to_string()) {
        response.headers_mut().insert(RUN_ID_HEADER, value);
    }
    tracing::trace!(endpoint = %runtime.name, %run_id, elapsed_us = started.elapsed().as_micros() as u64, "served");
    telemetry.finish(response)
}

async fn run(
    runtime: &EndpointRuntime,
    run_id: Uuid,
    params: Option<RawPathParams>,
    request: Request<Body>,
) -> Result<Response, AgentError> {
    check_content_type(&request)?;
    let mut request_metadata = super::request_metadata::from_headers(request.headers())?;
    let bytes = read_body(request.into_body(), runtime.body_limit).await?;

    let mut user_id = None;
    let input = if runtime.has_path_params || runtime.hooks.has(HookEvent::OnRequest) {
        let mut value = crate::endpoint::parse_json_body(&bytes)?;
        if let (Some(params), Value::Object(object)) = (&params, &mut value) {
            for (name, param) in params {
                object.insert(name.to_owned(), Value::String(param.to_owned()));
            }
        }
        if runtime.hooks.has(HookEvent::OnRequest) {
            let mut ctx = HookContext::new(HookEvent::OnRequest, run_id, &*runtime.name);
            ctx.set_request(Some(value));
            if let Some(metadata) = &request_metadata {
                ctx.request_metadata = metadata.clone();
            }
            runtime
                .hooks
                .run(HookEvent::OnRequest, &mut ctx)
                .await
                .map_err(|r| {
                    AgentError::new(r.status, "rejected", r.message)
                        .with_details(serde_json::json!({"hook": r.hook}))
                })?;
            value = ctx.take_request().unwrap_or(Value::Null);
            user_id = ctx.user_id;
            if !ctx.request_metadata.is_empty() {
                request_metadata = Some(ctx.request_metadata);
            }
        }
        InputBody::Json(value)
    } else {
        InputBody::Bytes(bytes)
    };

    let mut call = CallContext::new(run_id, runtime.name.clone())
        .with_user(AgentContext::user_arc(user_id.clone()))
        .with_deadline(runtime.timeout.map(|t| Instant::now() + t));
    if let Some(metadata) = &request_metadata {
        tracing::Span::current().record(
            crate::observability::gen_ai::REQUEST_METADATA,
            Value::Object(metadata.as_ref().clone()).to_string(),
        );
        call = call.with_request_metadata(metadata.clone());
    }
    let llm = LlmClient::new(
        runtime.gateway.clone(),
        runtime.hooks.clone(),
        runtime.prices.clone(),
        call,
    )
    .with_telemetry(&runtime.telemetry);
    let ctx = AgentContext::new(llm);

    let reply = AssertUnwindSafe((runtime.registration.handler)(ctx, input))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!(endpoint = %runtime.name, %run_id, "the endpoint function panicked");
            Err(AgentError::internal(
                "the endpoint failed unexpectedly (it panicked); see the server log",
            ))
        })?;

    match reply {
        EndpointReply::Json(output) => {
            let body = if runtime.hooks.has(HookEvent::OnResponse) {
                let mut ctx = HookContext::new(HookEvent::OnResponse, run_id, &*runtime.name);
                ctx.user_id = user_id;
                if let Some(metadata) = request_metadata {
                    ctx.request_metadata = metadata;
                }
                ctx.set_response(Some(output.to_json_value().map_err(AgentError::internal)?));
                runtime
                    .hooks
                    .run(HookEvent::OnResponse, &mut ctx)
                    .await
                    .map_err(|r| {
                        AgentError::new(r.status, "rejected", r.message)
                            .with_details(serde_json::json!({"hook": r.hook}))
                    })?;
                serde_json::to_vec(&ctx.take_response().unwrap_or(Value::Null))
                    .map_err(AgentError::internal)?
            } else {
                output.to_json_bytes().map_err(AgentError::internal)?
            };
            Ok((
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response())
        }
        EndpointReply::Stream(events) => Ok(sse_response(events, runtime.stream_cutoff.watch())),
    }
}

/// Runs the `on_error` hooks for a failed request (unless the failure's
/// own hooks ran already).
pub(crate) async fn notify_error(hooks: &HookSet, name: &str, run_id: Uuid, error: &AgentError) {
    if !error.hooks_notified() && hooks.has(HookEvent::OnError) {
        let mut ctx = HookContext::new(HookEvent::OnError, run_id, name);
        ctx.error = Some(ErrorInfo {
            kind: error.kind().to_owned(),
            message: error.message().to_owned(),
            status: error.status(),
        });
        let _ = hooks.run(HookEvent::OnError, &mut ctx).await;
    }
}

/// 200 with `events` as server-sent events, unbuffered by proxies.
pub(crate) fn sse_response(
    events: crate::endpoint::AgentStream,
    cutoff: tokio::sync::watch::Receiver<bool>,
) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                http::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        sse_body(events, cutoff),
    )
        .into_response()
}

pub(crate) fn check_content_type(request: &Request<Body>) -> Result<(), AgentError> {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let mime = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || mime.ends_with("+json") {
        Ok(())
    } else {
        Err(AgentError::new(
            415,
            "unsupported_media_type",
            format!("send the body as JSON with `Content-Type: application/json`, not `{mime}`"),
        ))
    }
}

pub(crate) async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, AgentError> {
    let too_large = || {
        AgentError::new(
            413,
            "payload_too_large",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
        .with_details(serde_json::json!({"limit": limit}))
    };
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(AgentError::new(
            400,
            "bad_request",
            format!("could not read the request body: {e}"),
        )),
    }
}
