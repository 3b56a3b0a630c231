//! The OpenAI-compatible route: `POST {prefix}/chat/completions` (streaming
//! too), `POST {prefix}/embeddings` and `GET {prefix}/models`, served through
//! the app's default gateway and hooks, so existing OpenAI SDK clients can
//! use a FastAgentic app as their gateway.
//!
//! The two POST routes are ordinary endpoints: they get the same body
//! limit, error shape, hooks, run ids, timeouts and OpenAPI entries as
//! `#[agent_endpoint]` functions.

use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::context::AgentContext;
use crate::endpoint::{
    EndpointRegistration, EndpointReply, InputBody, IntoAgentStream, decode_input,
};
use crate::error::AgentError;
use crate::gateway::BoxFuture;
use crate::llm::{ChatRequest, EmbeddingRequest, PriceTable};

/// A request the route cannot read, in OpenAI's terms: 400
/// `invalid_request_error` with the field in `param`, which the official
/// SDKs raise as `BadRequestError` (a 422 would be `UnprocessableEntityError`,
/// which code written for OpenAI does not catch).
fn invalid_request(error: AgentError) -> AgentError {
    let path = error
        .details()
        .and_then(|details| details.get("path"))
        .and_then(|path| path.as_str());
    // A missing field is reported on the body ("."); name the field itself.
    let missing = error
        .message()
        .split_once("missing field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(field, _)| field);
    let param = match (path, missing) {
        (Some("."), Some(field)) => Some(field.to_owned()),
        (Some(path), _) if path != "." => Some(path.to_owned()),
        _ => None,
    };
    let mut openai = AgentError::new(400, "invalid_request_error", error.message().to_owned());
    if let Some(details) = error.details() {
        openai = openai.with_details(details.clone());
    }
    match param {
        Some(param) => openai.with_param(param),
        None => openai,
    }
}

fn chat_handler(
    ctx: AgentContext,
    body: InputBody,
) -> BoxFuture<'static, Result<EndpointReply, AgentError>> {
    Box::pin(async move {
        let request: ChatRequest = decode_input(body).map_err(invalid_request)?;
        if request.stream == Some(true) {
            let stream = ctx.llm().chat_stream(request).await?;
            Ok(EndpointReply::Stream(stream.into_agent_stream()))
        } else {
            let response = ctx.llm().chat(request).await?;
            Ok(EndpointReply::Json(Box::new(response)))
        }
    })
}

fn embeddings_handler(
    ctx: AgentContext,
    body: InputBody,
) -> BoxFuture<'static, Result<EndpointReply, AgentError>> {
    Box::pin(async move {
        let request: EmbeddingRequest = decode_input(body).map_err(invalid_request)?;
        let response = ctx.llm().embed(request).await?;
        Ok(EndpointReply::Json(Box::new(response)))
    })
}

fn chat_request_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "An OpenAI chat-completion request; unknown fields pass through to the gateway",
        "required": ["model", "messages"],
        "properties": {
            "model": {"type": "string"},
            "messages": {"type": "array", "items": {"type": "object", "required": ["role"]}},
            "stream": {"type": "boolean", "description": "Answer with server-sent chat.completion.chunk events"}
        }
    })
}

fn chat_response_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object", "description": "An OpenAI chat.completion (or, streamed, chat.completion.chunk events)"})
}

fn embeddings_request_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "An OpenAI embeddings request",
        "required": ["model", "input"],
        "properties": {"model": {"type": "string"}, "input": {}}
    })
}

fn embeddings_response_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "object", "description": "An OpenAI embeddings list"})
}

/// The two POST endpoints under `prefix`. Built once per app (their paths
/// are computed, so the records are leaked: a few hundred bytes per app).
pub(crate) fn endpoints(prefix: &str) -> [&'static EndpointRegistration; 2] {
    let path =
        |tail: &str| -> &'static str { Box::leak(format!("{prefix}{tail}").into_boxed_str()) };
    let chat = EndpointRegistration {
        path: path("/chat/completions"),
        name: "openai_chat_completions",
        description: "OpenAI-compatible chat completions (streams when the request says `\"stream\": true`), through the app's gateway and hooks.",
        stream: false,
        handler: chat_handler,
        input_schema: Some(chat_request_schema),
        output_schema: chat_response_schema,
        gateway: None,
        retry: None,
        rate_limit: None,
        timeout: None,
        prepare: None,
        module: module_path!(),
        file: file!(),
        line: line!(),
    };
    let embeddings = EndpointRegistration {
        path: path("/embeddings"),
        name: "openai_embeddings",
        description: "OpenAI-compatible embeddings, through the app's gateway and hooks.",
        stream: false,
        handler: embeddings_handler,
        input_schema: Some(embeddings_request_schema),
        output_schema: embeddings_response_schema,
        gateway: None,
        retry: None,
        rate_limit: None,
        timeout: None,
        prepare: None,
        module: module_path!(),
        file: file!(),
        line: line!(),
    };
    [Box::leak(Box::new(chat)), Box::leak(Box::new(embeddings))]
}

/// The body of `GET {prefix}/models`: the configured models, or every model
/// of the price table when none were configured.
pub(crate) fn models_body(models: &[String], prices: &PriceTable) -> serde_json::Value {
    let names: Vec<String> = if models.is_empty() {
        prices.models()
    } else {
        models.to_vec()
    };
    let data: Vec<serde_json::Value> = names
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "fastagentic"}))
        .collect();
    json!({"object": "list", "data": data})
}

/// `GET {prefix}/models`.
pub(crate) fn models_response(body: &serde_json::Value) -> Response {
    axum::Json(body.clone()).into_response()
}
