//! The `x-portkey-*` headers: what a client sends ([`Incoming`]) and what
//! the gateway answers with ([`answer_headers`]).

use std::time::Duration;

use fastagentic::Secret;
use fastagentic::mount::{RouteReply, RouteRequest};
use serde_json::Value;

use super::reply::PortkeyFailure;

/// `x-portkey-config`: a routing config as JSON.
pub(crate) const CONFIG: &str = "x-portkey-config";
/// `x-portkey-provider`: the provider slug, when no config routes.
pub(crate) const PROVIDER: &str = "x-portkey-provider";
/// `x-portkey-custom-host`: the provider's base URL, for every target.
pub(crate) const CUSTOM_HOST: &str = "x-portkey-custom-host";
/// `x-portkey-trace-id`: echoed back.
pub(crate) const TRACE_ID: &str = "x-portkey-trace-id";
/// `x-portkey-cache-force-refresh`: `true` skips the cached answer.
pub(crate) const CACHE_FORCE_REFRESH: &str = "x-portkey-cache-force-refresh";
/// `x-portkey-cache-namespace`: a cache partition.
pub(crate) const CACHE_NAMESPACE: &str = "x-portkey-cache-namespace";
/// `x-portkey-request-timeout`: milliseconds per target call (408 after).
pub(crate) const REQUEST_TIMEOUT: &str = "x-portkey-request-timeout";

/// `x-portkey-last-used-option-index`: the answering target's path.
pub(crate) const LAST_USED_OPTION_INDEX: &str = "x-portkey-last-used-option-index";
/// `x-portkey-retry-attempt-count`: retries made; -1 when they ran out.
pub(crate) const RETRY_ATTEMPT_COUNT: &str = "x-portkey-retry-attempt-count";
/// `x-portkey-cache-status`: `HIT`, `MISS`, `REFRESH` or `DISABLED`.
pub(crate) const CACHE_STATUS: &str = "x-portkey-cache-status";

/// What one request's `x-portkey-*` headers (and `Authorization`) ask for.
/// `x-portkey-metadata` is read by the app into the call's request metadata;
/// `x-portkey-api-key` is accepted and not checked, as on a self-hosted gateway.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    /// The config's JSON text, as sent.
    pub(crate) config: Option<String>,
    pub(crate) provider: Option<String>,
    pub(crate) custom_host: Option<String>,
    /// The provider's key: `Authorization: Bearer <key>`.
    pub(crate) provider_key: Option<Secret>,
    pub(crate) trace_id: Option<String>,
    pub(crate) cache_force_refresh: bool,
    pub(crate) cache_namespace: Option<String>,
    pub(crate) request_timeout: Option<Duration>,
}

impl Incoming {
    /// Reads the headers; a header that is not what Portkey expects answers
    /// 400 naming it.
    pub(crate) fn read(request: &RouteRequest) -> Result<Self, PortkeyFailure> {
        let text = |name: &str| {
            request
                .header(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let request_timeout = match text(REQUEST_TIMEOUT) {
            Some(ms) => match ms.parse::<u64>() {
                Ok(ms) if ms > 0 => Some(Duration::from_millis(ms)),
                _ => {
                    return Err(PortkeyFailure::invalid(format!(
                        "`{REQUEST_TIMEOUT}` must be a positive number of milliseconds, not `{ms}`"
                    )));
                }
            },
            None => None,
        };
        let provider_key = request
            .header("authorization")
            .map(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .unwrap_or(value)
                    .trim()
            })
            .filter(|key| !key.is_empty())
            .map(Secret::new);
        Ok(Self {
            config: text(CONFIG),
            provider: text(PROVIDER),
            custom_host: text(CUSTOM_HOST),
            provider_key,
            trace_id: text(TRACE_ID),
            cache_force_refresh: text(CACHE_FORCE_REFRESH).is_some_and(|v| v == "true"),
            cache_namespace: text(CACHE_NAMESPACE),
            request_timeout,
        })
    }
}

/// The answer's `x-portkey-*` headers from `metadata["portkey"]` of an
/// in-process answer: the path, retries, cache status, provider, and the
/// trace id echoed (empty when none was sent, as Portkey does).
pub(crate) fn answer_headers(
    reply: RouteReply,
    facts: Option<&Value>,
    trace_id: &str,
) -> RouteReply {
    let fact = |key: &str| facts.and_then(|facts| facts.get(key));
    let mut reply = reply.with_header(TRACE_ID, trace_id);
    if let Some(index) = fact("last_used_option_index").and_then(Value::as_str) {
        reply = reply.with_header(LAST_USED_OPTION_INDEX, index);
    }
    if let Some(retries) = fact("retry_attempts").and_then(Value::as_i64) {
        reply = reply.with_header(RETRY_ATTEMPT_COUNT, retries.to_string());
    }
    if let Some(status) = fact("cache_status").and_then(Value::as_str) {
        reply = reply.with_header(CACHE_STATUS, status);
    }
    if let Some(provider) = fact("provider").and_then(Value::as_str) {
        reply = reply.with_header(PROVIDER, provider);
    }
    reply
}
