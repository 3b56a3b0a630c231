//! The in-run baseline: the minimal hand-written axum + reqwest service
//! making the same single upstream call as the FastAgentic endpoint.
//!
//! What a careful engineer writes without a framework: one shared
//! `reqwest::Client`, the headers and URL built once, typed bodies, and for
//! streams the upstream's bytes passed straight through.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::workload::{MODEL, SYSTEM_PROMPT, Ticket, Triage};

struct Upstream {
    http: reqwest::Client,
    url: reqwest::Url,
    headers: HeaderMap,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AssistantMessage,
}

#[derive(Deserialize)]
struct AssistantMessage {
    #[serde(default)]
    content: String,
}

/// Serves `POST /triage` (JSON) and `POST /stream` (SSE) on `listener`,
/// calling the OpenAI-compatible API at `upstream_v1`.
pub async fn serve(listener: TcpListener, upstream_v1: &str) -> std::io::Result<()> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("Bearer sk-test"),
    );
    let url = reqwest::Url::parse(&format!(
        "{}/chat/completions",
        upstream_v1.trim_end_matches('/')
    ))
    .map_err(std::io::Error::other)?;
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .map_err(std::io::Error::other)?;
    let state = Arc::new(Upstream { http, url, headers });
    let app = axum::Router::new()
        .route("/triage", post(triage))
        .route("/stream", post(stream))
        .with_state(state);
    axum::serve(listener, app).await
}

fn request(upstream: &Upstream, text: &str, stream: bool) -> reqwest::RequestBuilder {
    let body = ChatRequest {
        model: MODEL,
        messages: [
            Message {
                role: "system",
                content: SYSTEM_PROMPT,
            },
            Message {
                role: "user",
                content: text,
            },
        ],
        stream: stream.then_some(true),
    };
    upstream
        .http
        .post(upstream.url.clone())
        .headers(upstream.headers.clone())
        .body(serde_json::to_vec(&body).unwrap_or_default())
}

async fn triage(
    State(upstream): State<Arc<Upstream>>,
    Json(ticket): Json<Ticket>,
) -> Result<Json<Triage>, (StatusCode, String)> {
    let response = request(&upstream, &ticket.text, false)
        .send()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
    if !response.status().is_success() {
        return Err((StatusCode::BAD_GATEWAY, response.status().to_string()));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
    let completion: Completion =
        serde_json::from_slice(&bytes).map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
    let label = completion
        .choices
        .into_iter()
        .next()
        .map(|c| c.message.content)
        .unwrap_or_default();
    Ok(Json(Triage { label }))
}

async fn stream(State(upstream): State<Arc<Upstream>>, Json(ticket): Json<Ticket>) -> Response {
    match request(&upstream, &ticket.text, true).send().await {
        Ok(response) if response.status().is_success() => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            )],
            Body::from_stream(response.bytes_stream()),
        )
            .into_response(),
        Ok(response) => (StatusCode::BAD_GATEWAY, response.status().to_string()).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
