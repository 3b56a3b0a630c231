//! Failures answered the way the Portkey gateway answers them: its own
//! refusals as `{"status": "failure", "message": ..}` (with an `errors`
//! list for an invalid config), a provider's error with the provider's
//! status as `{"error": {"message": "<provider> error: ..", ..}, "provider": ..}`,
//! a `request_timeout` as 408 `timeout_error`; and the retry count of a
//! failed call (`-1` when retries ran out).

use std::sync::{Arc, Mutex};

use fastagentic::gateway::{BoxFuture, CallContext};
use fastagentic::mount::RouteReply;
use fastagentic::reliability::{CallObserver, GatewayEvent};
use fastagentic::{AgentError, GatewayError};
use serde_json::{Value, json};

use super::headers::{
    CACHE_STATUS, LAST_USED_OPTION_INDEX, PROVIDER, RETRY_ATTEMPT_COUNT, TRACE_ID,
};
use crate::in_process::TriedTarget;

/// A refusal by the gateway itself, before any provider is called.
#[derive(Debug)]
pub(crate) struct PortkeyFailure {
    status: u16,
    message: String,
    errors: Vec<String>,
}

impl PortkeyFailure {
    /// 400: the request cannot be read.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// 400 `Invalid config passed`, with every problem in `errors`.
    pub(crate) fn invalid_config(errors: Vec<String>) -> Self {
        Self {
            status: 400,
            message: "Invalid config passed".to_owned(),
            errors,
        }
    }

    /// 403: the drop-in is not allowed to do what the client asks.
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self {
            status: 403,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// The answer.
    pub(crate) fn reply(self) -> Result<RouteReply, AgentError> {
        let mut body = json!({"status": "failure", "message": self.message});
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        Ok(RouteReply::json(&body)?.with_status(self.status))
    }
}

/// Hears a call's retries and fallbacks, to tell a failed call's retry
/// count as Portkey does: the retries of the last target tried, `-1` when
/// they ran out (its last failure was one it retries on).
#[derive(Default)]
pub(crate) struct RetryWatch {
    /// Retries since the last move to another target, and the statuses retried on.
    state: Mutex<(i64, Vec<u16>)>,
}

impl CallObserver for RetryWatch {
    fn on_event<'a>(
        &'a self,
        _call: &'a CallContext,
        event: &'a GatewayEvent,
    ) -> BoxFuture<'a, ()> {
        if let Ok(mut state) = self.state.lock() {
            match event {
                GatewayEvent::Retry(retry) => {
                    state.0 += 1;
                    if let Some(status) = retry.error.status() {
                        state.1.push(status);
                    }
                }
                GatewayEvent::Fallback(_) => *state = (0, Vec::new()),
                _ => {}
            }
        }
        Box::pin(std::future::ready(()))
    }
}

impl RetryWatch {
    /// The `x-portkey-retry-attempt-count` of a call that failed with `error`.
    fn count_after(&self, error: &GatewayError) -> i64 {
        let Ok(state) = self.state.lock() else {
            return 0;
        };
        let (retries, statuses) = &*state;
        match error.status() {
            Some(status) if *retries > 0 && statuses.contains(&status) => -1,
            _ => *retries,
        }
    }
}

/// The answer to a call that failed with `error`.
pub(crate) fn gateway_failure(
    error: &GatewayError,
    watch: &Arc<RetryWatch>,
    target: Option<TriedTarget>,
    asked_provider: Option<&str>,
    trace_id: &str,
) -> Result<RouteReply, AgentError> {
    let provider = target
        .as_ref()
        .map(|target| &*target.provider)
        .or(asked_provider)
        .unwrap_or("openai");
    let (status, body) = match error {
        GatewayError::Upstream {
            status: 408,
            message,
            ..
        } if message.starts_with("request_timeout") => {
            let ms: String = message.chars().filter(char::is_ascii_digit).collect();
            (
                408,
                json!({"error": {
                    "message": format!("Request exceeded the timeout sent in the request: {ms}ms"),
                    "type": "timeout_error", "param": null, "code": null
                }}),
            )
        }
        GatewayError::Upstream {
            status,
            message,
            body,
            ..
        } => {
            // The provider's own error object, its message prefixed as Portkey does.
            let upstream = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|b| b.get("error").cloned())
                .filter(Value::is_object);
            let mut inner =
                upstream.unwrap_or_else(|| json!({"type": null, "param": null, "code": null}));
            inner["message"] = json!(format!("{provider} error: {message}"));
            (*status, json!({"error": inner, "provider": provider}))
        }
        GatewayError::Rejected { status: 400, .. } => {
            // Portkey answers this before any target, without `x-portkey-*` headers.
            let body = json!({"status": "failure",
                              "message": "Query router did not resolve to any valid target"});
            return Ok(RouteReply::json(&body)?.with_status(400));
        }
        other => {
            let agent = AgentError::from(other.clone());
            (
                agent.status(),
                json!({"status": "failure", "message": agent.message()}),
            )
        }
    };
    let mut reply = RouteReply::json(&body)?
        .with_status(status)
        .with_header(TRACE_ID, trace_id)
        .with_header(RETRY_ATTEMPT_COUNT, watch.count_after(error).to_string());
    if let Some(target) = target {
        // The target tried last, as Portkey names it on a failure too.
        reply = reply
            .with_header(LAST_USED_OPTION_INDEX, &*target.path)
            .with_header(PROVIDER, &*target.provider)
            .with_header(
                CACHE_STATUS,
                if target.cached { "MISS" } else { "DISABLED" },
            );
    }
    Ok(reply)
}
