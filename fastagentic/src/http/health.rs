//! `GET /health` (the process is up) and `GET /ready` (it takes requests).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

/// Whether the server takes requests: false before start-up ends and while draining.
#[derive(Clone, Debug, Default)]
pub(crate) struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub(crate) fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

pub(crate) async fn health() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

pub(crate) async fn ready(State(readiness): State<Readiness>) -> Response {
    if readiness.get() {
        axum::Json(json!({"status": "ready"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "not_ready"})),
        )
            .into_response()
    }
}
