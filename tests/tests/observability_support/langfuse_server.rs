//! A stand-in for Langfuse's ingestion endpoint on loopback: checks the
//! basic auth and every batch against Langfuse's published schema
//! (`tests/fixtures/langfuse_ingestion_schema.json`), records what came, and
//! answers 207 as Langfuse does.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::openapi::Spec;

/// The published schema, trimmed to the ingestion endpoint (source in its `x-source`).
pub const SCHEMA: &str = include_str!("../../fixtures/langfuse_ingestion_schema.json");

/// One POST received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The body.
    pub body: Value,
    /// Schema mismatches of the body (empty when it is valid).
    pub errors: Vec<String>,
    /// The status answered.
    pub status: u16,
}

/// How the server answers the next batch, when scripted.
#[derive(Clone, Copy, Debug)]
pub enum Scripted {
    /// This status, with an error body (the batch is not taken).
    Status(u16),
    /// 207 with the batch's first event in `errors`, the rest in `successes`.
    RejectFirst,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    delay: Mutex<Duration>,
    script: Mutex<VecDeque<Scripted>>,
}

/// The server; it stops when dropped.
pub struct LangfuseServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl LangfuseServer {
    /// Starts on a free loopback port.
    pub async fn start() -> Self {
        Self::start_with_delay(Duration::ZERO).await
    }

    /// Starts a server that waits `delay` before answering each batch.
    pub async fn start_with_delay(delay: Duration) -> Self {
        let shared = Arc::new(Shared::default());
        *shared.delay.lock().unwrap() = delay;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/api/public/ingestion", post(ingest))
            // Langfuse takes batches up to 3.5 MB; axum's default is 2 MB.
            .layer(axum::extract::DefaultBodyLimit::max(4 * 1024 * 1024))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            addr,
            shared,
            _stop: stop,
        }
    }

    /// `http://127.0.0.1:<port>`, the `LANGFUSE_HOST`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers the next batches (one per POST, retries included) as given;
    /// after them, 207 with every event taken.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.shared.script.lock().unwrap().extend(answers);
    }

    /// Every POST so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Every event of every batch so far.
    pub fn events(&self) -> Vec<Value> {
        self.received()
            .iter()
            .filter(|r| r.status == 207)
            .flat_map(|r| r.body["batch"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

async fn ingest(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let delay = *shared.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let spec = Spec::new(SCHEMA);
    let (body, errors) = match serde_json::from_str::<Value>(&body) {
        Ok(value) => {
            let errors = spec.check(spec.schema("requestBody"), &value);
            (value, errors)
        }
        Err(e) => (Value::Null, vec![format!("not JSON: {e}")]),
    };
    let ids: Vec<Value> = body["batch"]
        .as_array()
        .map(|b| b.iter().map(|e| e["id"].clone()).collect())
        .unwrap_or_default();
    let scripted = shared.script.lock().unwrap().pop_front();
    let (status, answer) = match scripted {
        Some(Scripted::Status(status)) => (
            status,
            json!({"message": "scripted failure", "error": "scripted"}),
        ),
        Some(Scripted::RejectFirst) => (
            207,
            json!({
                "successes": ids.iter().skip(1).map(|id| json!({"id": id, "status": 201})).collect::<Vec<_>>(),
                "errors": ids.iter().take(1).map(|id| json!({"id": id, "status": 400, "message": "scripted rejection"})).collect::<Vec<_>>(),
            }),
        ),
        None => (
            207,
            json!({
                "successes": ids.iter().map(|id| json!({"id": id, "status": 201})).collect::<Vec<_>>(),
                "errors": [],
            }),
        ),
    };
    if status == 207 {
        assert!(spec.check(spec.schema("response207"), &answer).is_empty());
    }
    shared.received.lock().unwrap().push(Received {
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
        errors,
        status,
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(answer)).into_response()
}
