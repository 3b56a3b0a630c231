//! Every error leaves as `{"error": {"type", "message", "details"}}`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::error::AgentError;

impl IntoResponse for AgentError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.to_json())).into_response();
        if let Some(wait) = self.retry_after() {
            let secs = wait.as_secs_f64().ceil() as u64;
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// 404 for any path no route serves.
pub(crate) async fn not_found(method: http::Method, uri: http::Uri) -> Response {
    AgentError::not_found(format!(
        "no route for {method} {}; GET /openapi.json lists the endpoints",
        uri.path()
    ))
    .into_response()
}

/// 405 for a known path with the wrong method.
pub(crate) async fn method_not_allowed(method: http::Method, uri: http::Uri) -> Response {
    AgentError::new(
        405,
        "method_not_allowed",
        format!(
            "{} does not accept {method}; endpoints take POST with a JSON body",
            uri.path()
        ),
    )
    .into_response()
}
