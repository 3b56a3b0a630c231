//! A stand-in for Langfuse's ingestion endpoint on loopback: checks the
//! basic auth and every batch against Langfuse's published schema
//! (`tests/fixtures/langfuse_ingestion_schema.json`), records what came, and
//! answers 207 as Langfuse does.

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
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    delay: Mutex<Duration>,
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

    /// Every POST so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Every event of every batch so far.
    pub fn events(&self) -> Vec<Value> {
        self.received()
            .iter()
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
    let answer = json!({
        "successes": ids.iter().map(|id| json!({"id": id, "status": 201})).collect::<Vec<_>>(),
        "errors": [],
    });
    assert!(spec.check(spec.schema("response207"), &answer).is_empty());
    shared.received.lock().unwrap().push(Received {
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
        errors,
    });
    (StatusCode::MULTI_STATUS, axum::Json(answer)).into_response()
}
