//! What a hook decides.

use serde_json::Value;

/// A hook's decision.
#[derive(Clone, Debug, PartialEq)]
pub enum HookResult {
    /// Go on.
    Proceed,
    /// Replace the JSON this event carries: the endpoint's input
    /// (`on_request`), its output (`on_response`) or the chat request
    /// (`on_llm_start`). Later hooks see the replacement.
    Modify(Value),
    /// Go on, but run no further hooks for this event.
    Skip,
    /// Fail the request with this 4xx status and message.
    Reject {
        /// The HTTP status (4xx).
        status: u16,
        /// Shown to the client.
        message: String,
    },
    /// Go on, running the request as this user (`on_request`): gateways see
    /// it in [`CallContext::user_id`](crate::CallContext::user_id).
    SetUser(String),
    /// Go on, adding these entries to the request metadata (`on_request`):
    /// gateways see them in
    /// [`CallContext::request_metadata`](crate::CallContext::request_metadata)
    /// (conditional routing, Portkey's and LiteLLM's metadata).
    SetRequestMetadata(crate::llm::Extra),
}

impl HookResult {
    /// Rejects with 403 Forbidden.
    pub fn reject(message: impl Into<String>) -> Self {
        HookResult::Reject {
            status: 403,
            message: message.into(),
        }
    }

    /// Rejects with another status (clamped into 400-499).
    pub fn reject_with(status: u16, message: impl Into<String>) -> Self {
        HookResult::Reject {
            status: status.clamp(400, 499),
            message: message.into(),
        }
    }
}

/// What a `#[hook]` function may return: `()`, a [`HookResult`], or a
/// `Result<(), E>` whose error is logged as a hook failure (the request goes on).
#[diagnostic::on_unimplemented(
    message = "a hook must return `()`, `HookResult` or `Result<(), E>`, not `{Self}`",
    label = "change the hook's return type to `()`, `HookResult` or `Result<(), E>`"
)]
pub trait IntoHookResult {
    /// The decision.
    fn into_hook_result(self) -> Result<HookResult, String>;
}

impl IntoHookResult for () {
    fn into_hook_result(self) -> Result<HookResult, String> {
        Ok(HookResult::Proceed)
    }
}

impl IntoHookResult for HookResult {
    fn into_hook_result(self) -> Result<HookResult, String> {
        Ok(self)
    }
}

impl<T: IntoHookResult, E: std::fmt::Display> IntoHookResult for Result<T, E> {
    fn into_hook_result(self) -> Result<HookResult, String> {
        match self {
            Ok(inner) => inner.into_hook_result(),
            Err(e) => Err(e.to_string()),
        }
    }
}
