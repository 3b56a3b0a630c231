//! What can go wrong in a gateway.

use std::time::Duration;

/// A failed LLM call, typed so callers can tell a provider's answer from a
/// broken connection or a bad configuration.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The provider answered with a non-success status.
    #[error("{provider} answered {status}: {message}")]
    Upstream {
        /// Who answered.
        provider: String,
        /// The HTTP status.
        status: u16,
        /// The provider's own error message.
        message: String,
        /// The start of the response body, for diagnosis.
        body: String,
        /// How long the provider asked us to wait (`Retry-After`, `retry-after-ms`).
        retry_after: Option<Duration>,
    },
    /// The provider could not be reached.
    #[error("could not reach {provider}: {message}")]
    Connection {
        /// Who we tried to reach.
        provider: String,
        /// What failed.
        message: String,
    },
    /// No answer in time.
    #[error("{provider} did not answer within {after:?}")]
    Timeout {
        /// Who was slow.
        provider: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The provider answered 2xx with a body that is not what the API promises.
    #[error("{provider} sent a response FastAgentic could not read: {message}")]
    MalformedResponse {
        /// Who sent it.
        provider: String,
        /// What was wrong.
        message: String,
        /// The start of the body.
        body: String,
    },
    /// A stream failed after it had started.
    #[error("the stream from {provider} broke after {chunks} chunk(s): {message}")]
    StreamInterrupted {
        /// Who was streaming.
        provider: String,
        /// How many chunks arrived before the failure.
        chunks: usize,
        /// What happened.
        message: String,
    },
    /// The gateway is misconfigured; the message names the fix.
    #[error("gateway `{gateway}` is misconfigured: {message}")]
    Config {
        /// Which gateway.
        gateway: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A hook rejected the call before it was made.
    #[error("the LLM call was rejected: {message}")]
    Rejected {
        /// The HTTP status to answer with.
        status: u16,
        /// Why.
        message: String,
    },
    /// A local rate limit ([`RateLimiter`](crate::reliability::RateLimiter))
    /// refused the call: it fails fast, or waiting would have taken longer
    /// than allowed. Answers 429 with `Retry-After`.
    #[error("rate limit reached ({limit}); try again in {} ms", retry_after.as_millis())]
    RateLimited {
        /// Which limit, e.g. `60 requests per minute`.
        limit: String,
        /// When the limit lets a call through again.
        retry_after: Duration,
    },
    /// The gateway does not serve this kind of request (an embeddings call
    /// to a chat-only target). A fallback chain moves on past it without
    /// counting a failure. Answers 501.
    #[error("{gateway} does not serve {operation} requests")]
    Unsupported {
        /// Which gateway.
        gateway: String,
        /// `chat`, `stream` or `embed`.
        operation: String,
    },
    /// A target's [circuit breaker](crate::reliability::CircuitBreaker) is
    /// open: the target failed too often and is not called until its
    /// cool-down ends. Answers 503 with `Retry-After`.
    #[error(
        "the circuit for {target} is open after repeated failures; next probe in {} ms",
        retry_after.as_millis()
    )]
    CircuitOpen {
        /// Which target.
        target: String,
        /// When the breaker lets a probe call through.
        retry_after: Duration,
    },
}

impl GatewayError {
    /// A stable, machine-readable name for the kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            GatewayError::Upstream { .. } => "upstream_error",
            GatewayError::Connection { .. } => "upstream_unreachable",
            GatewayError::Timeout { .. } => "upstream_timeout",
            GatewayError::MalformedResponse { .. } => "upstream_malformed",
            GatewayError::StreamInterrupted { .. } => "stream_interrupted",
            GatewayError::Config { .. } => "gateway_config",
            GatewayError::Rejected { .. } => "rejected",
            GatewayError::RateLimited { .. } => "rate_limited",
            GatewayError::CircuitOpen { .. } => "circuit_open",
            GatewayError::Unsupported { .. } => "unsupported",
        }
    }

    /// The provider's HTTP status, when it answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GatewayError::Upstream { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the provider (or a local rate limit or circuit breaker)
    /// asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GatewayError::Upstream { retry_after, .. } => *retry_after,
            GatewayError::RateLimited { retry_after, .. }
            | GatewayError::CircuitOpen { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// This error, found at `segment` below a branching node: a
    /// configuration error's message starts with the path (`targets[1]: ...`).
    pub fn at(self, segment: super::PathSegment) -> Self {
        match self {
            GatewayError::Config { gateway, message } => GatewayError::Config {
                gateway,
                message: format!("{segment}: {message}"),
            },
            other => other,
        }
    }

    /// A configuration error of `gateway`.
    pub fn config(gateway: impl Into<String>, message: impl Into<String>) -> Self {
        GatewayError::Config {
            gateway: gateway.into(),
            message: message.into(),
        }
    }
}
