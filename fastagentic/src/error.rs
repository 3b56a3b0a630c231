//! Errors: [`Error`] stops an app at start-up; [`AgentError`] fails one request.

use std::borrow::Cow;
use std::time::Duration;

use serde_json::{Value, json};

use crate::gateway::GatewayError;

/// Why an app could not start or keep serving. Every message names the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required environment variable is missing.
    #[error("environment variable {var} is not set: {hint}")]
    MissingEnv {
        /// The variable.
        var: &'static str,
        /// How to fix it.
        hint: &'static str,
    },
    /// Two endpoints share a path.
    #[error(
        "two endpoints use the path `{path}`: `{first}` at {first_site} and `{second}` at {second_site}; give one of them another path"
    )]
    DuplicatePath {
        /// The path.
        path: String,
        /// The first endpoint's name.
        first: String,
        /// Where it is defined.
        first_site: String,
        /// The second endpoint's name.
        second: String,
        /// Where it is defined.
        second_site: String,
    },
    /// Two routes of the app match the same path (a mounted route set's
    /// route and an endpoint, a built-in route or another mounted route).
    #[error(
        "two routes use the path `{path}`: {first} and {second}; give one of them another path (or the route set another prefix)"
    )]
    RouteClash {
        /// The path.
        path: String,
        /// The first route: what it is and where it comes from.
        first: String,
        /// The second route.
        second: String,
    },
    /// An endpoint's definition is invalid (found at start-up for endpoints
    /// registered by hand; the macro catches the same at compile time).
    #[error("endpoint `{endpoint}` at {site}: {message}")]
    InvalidEndpoint {
        /// The endpoint's name.
        endpoint: String,
        /// Where it is defined.
        site: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A gateway's configuration failed its start-up check.
    #[error("{context}: {source}")]
    Gateway {
        /// Which gateway: the app default or an endpoint's.
        context: String,
        /// The check's verdict.
        source: Box<GatewayError>,
    },
    /// The address could not be used.
    #[error("cannot listen on `{addr}`: {message}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        message: String,
    },
    /// The dashboard cannot be served as configured (bound off loopback
    /// without a token, for one); the message names the fix.
    #[error("dashboard: {message}")]
    Dashboard {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The server failed while running.
    #[error("the server stopped with an error: {0}")]
    Serve(#[from] std::io::Error),
}

/// The HTTP status a gateway error answers with.
pub(crate) fn gateway_status(error: &GatewayError) -> u16 {
    match error {
        GatewayError::Timeout { .. } => 504,
        GatewayError::Rejected { status, .. } => *status,
        GatewayError::Config { .. } => 500,
        GatewayError::RateLimited { .. } => 429,
        GatewayError::CircuitOpen { .. } => 503,
        GatewayError::Unsupported { .. } => 501,
        _ => 502,
    }
}

/// A failed request, answered as `{"error": {"type", "message", "details"}}`
/// with its HTTP status.
///
/// `?` converts gateway errors: an upstream failure answers 502 with the
/// provider's status and message in `details`, a timeout 504, a local rate
/// limit 429 and an open circuit 503 (both with `Retry-After`).
///
/// ```
/// use fastagentic::AgentError;
/// let e = AgentError::bad_request("the ticket is empty").with_details(serde_json::json!({"field": "text"}));
/// assert_eq!(e.status(), 400);
/// assert_eq!(e.kind(), "bad_request");
/// ```
#[derive(Debug)]
pub struct AgentError {
    status: u16,
    kind: Cow<'static, str>,
    message: String,
    details: Option<Value>,
    /// OpenAI's `param`: the request field at fault (OpenAI-compatible route).
    param: Option<Box<str>>,
    retry_after: Option<Duration>,
    hooks_notified: bool,
}

impl AgentError {
    /// An error with any status, stable type name and message.
    pub fn new(
        status: u16,
        kind: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind: kind.into(),
            message: message.into(),
            details: None,
            param: None,
            retry_after: None,
            hooks_notified: false,
        }
    }

    /// Names the request field at fault as OpenAI's error shape does
    /// (`"param"` beside `"type"` and `"message"`), for clients written for OpenAI.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into().into_boxed_str());
        self
    }

    /// 400: the request cannot be served as sent.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }

    /// 404: what the request names does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    /// 500: the agent failed.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(500, "internal_error", message.to_string())
    }

    /// Attaches structured details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Asks the client to wait before retrying (`Retry-After`).
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The stable error type.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The details, if any.
    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }

    /// How long the client should wait, if set.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The JSON body: `{"error": {"type", "message", "details"}}`.
    pub fn to_json(&self) -> Value {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(details) = &self.details {
            error["details"] = details.clone();
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param.as_ref());
            error["code"] = Value::Null;
        }
        json!({ "error": error })
    }

    /// Whether `on_error` hooks already saw this error (the LLM client runs them for gateway errors).
    pub(crate) fn hooks_notified(&self) -> bool {
        self.hooks_notified
    }
}

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.kind, self.status, self.message)
    }
}

impl std::error::Error for AgentError {}

impl From<GatewayError> for AgentError {
    fn from(error: GatewayError) -> Self {
        let details = match &error {
            GatewayError::Upstream {
                provider,
                status,
                message,
                ..
            } => Some(json!({"provider": provider, "status": status, "message": message})),
            GatewayError::Connection { provider, .. }
            | GatewayError::Timeout { provider, .. }
            | GatewayError::MalformedResponse { provider, .. } => {
                Some(json!({"provider": provider}))
            }
            GatewayError::StreamInterrupted {
                provider, chunks, ..
            } => Some(json!({"provider": provider, "chunks": chunks})),
            GatewayError::RateLimited { limit, retry_after } => {
                Some(json!({"limit": limit, "retry_after_ms": retry_after.as_millis() as u64}))
            }
            GatewayError::CircuitOpen {
                target,
                retry_after,
            } => Some(json!({"target": target, "retry_after_ms": retry_after.as_millis() as u64})),
            _ => None,
        };
        let message = match &error {
            GatewayError::Config { .. } => {
                "the LLM gateway is misconfigured; see the server log".to_owned()
            }
            GatewayError::Rejected { message, .. } => message.clone(),
            other => other.to_string(),
        };
        if let GatewayError::Config { .. } = &error {
            tracing::error!("{error}");
        }
        Self {
            status: gateway_status(&error),
            kind: Cow::Borrowed(error.kind()),
            message,
            details,
            param: None,
            retry_after: error.retry_after(),
            hooks_notified: true,
        }
    }
}
