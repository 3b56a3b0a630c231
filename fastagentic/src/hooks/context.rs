//! What a hook sees.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use super::HookEvent;
use super::lazy_json::LazyJson;
use crate::gateway::CallContext;
use crate::llm::{Extra, Message, Usage};

/// A failure, as hooks see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorInfo {
    /// The stable error type (`upstream_error`, `validation_error`, ...).
    pub kind: String,
    /// The message.
    pub message: String,
    /// The HTTP status the request fails with.
    pub status: u16,
}

/// Everything a hook can read about the moment it runs.
///
/// Fields not relevant to an event are empty: `usage` is filled for
/// `on_llm_end`, [`request`](Self::request) for `on_request` and
/// `on_llm_start`, and so on. The request and response as JSON are built
/// only when a hook reads them.
#[derive(Clone, Debug)]
pub struct HookContext {
    /// The event being handled.
    pub event: HookEvent,
    /// The run (one per endpoint request); the same across all hooks of a request.
    pub run_id: Uuid,
    /// The endpoint's name ("" for `on_startup`/`on_shutdown`).
    pub endpoint: String,
    /// The user the request runs as, if known.
    pub user_id: Option<String>,
    /// See [`request`](Self::request).
    request: LazyJson,
    /// See [`response`](Self::response).
    response: LazyJson,
    /// The chat messages of the LLM call.
    pub messages: Vec<Message>,
    /// The model asked for (`on_llm_start`) or that answered (`on_llm_end`).
    pub model: Option<String>,
    /// Tokens and cost of the LLM call.
    pub usage: Usage,
    /// Facts from the gateway, one section per gateway (`metadata["portkey"]`,
    /// `metadata["litellm"]`, `metadata["demo"]`, and `metadata["fastagentic"]`
    /// for the route through FastAgentic's own strategies).
    pub metadata: Extra,
    /// The request metadata (a JSON object from the `x-portkey-metadata` or
    /// `x-fastagentic-metadata` header, `on_request` hooks, or the endpoint's
    /// code); not to be confused with the gateway facts in `metadata`.
    pub request_metadata: Arc<Extra>,
    /// The failure, for `on_error`.
    pub error: Option<ErrorInfo>,
    /// How many times the LLM call was retried so far; for `on_retry`, the
    /// number of the retry about to happen (1 for the first).
    pub retry_count: u32,
    /// For `on_retry`: the attempt that failed (1 for the first call); the
    /// next attempt is `attempt + 1`. `error` says why it failed.
    pub attempt: u32,
    /// For `on_retry`: how long the gateway waits before the next attempt
    /// (the backoff, or the provider's `Retry-After`).
    pub next_delay: Option<Duration>,
    /// For `on_llm_end`: how long the LLM call took through the gateway
    /// (retries and fallbacks included; a stream until its last chunk).
    pub duration: Option<Duration>,
}

impl HookContext {
    /// An empty context for `event` in run `run_id` of `endpoint`.
    pub fn new(event: HookEvent, run_id: Uuid, endpoint: impl Into<String>) -> Self {
        Self {
            event,
            run_id,
            endpoint: endpoint.into(),
            user_id: None,
            request: LazyJson::default(),
            response: LazyJson::default(),
            messages: Vec::new(),
            model: None,
            usage: Usage::default(),
            metadata: Extra::new(),
            request_metadata: crate::gateway::no_request_metadata(),
            error: None,
            retry_count: 0,
            attempt: 0,
            next_delay: None,
            duration: None,
        }
    }

    /// The endpoint's input (`on_request`) or the chat request
    /// (`on_llm_start`), as JSON; built when first read.
    pub fn request(&self) -> Option<&Value> {
        self.request.get()
    }

    /// The endpoint's output (`on_response`) or the chat response
    /// (`on_llm_end`; for a stream `{"model", "text"}`), as JSON; built when
    /// first read.
    pub fn response(&self) -> Option<&Value> {
        self.response.get()
    }

    /// Sets what [`request`](Self::request) returns (hooks change it by
    /// returning [`HookResult::Modify`](super::HookResult::Modify)).
    pub fn set_request(&mut self, request: Option<Value>) {
        self.request.set(request);
    }

    /// Sets what [`response`](Self::response) returns.
    pub fn set_response(&mut self, response: Option<Value>) {
        self.response.set(response);
    }

    /// Makes [`request`](Self::request) build its value with `build` when
    /// first read.
    pub(crate) fn set_request_with(
        &mut self,
        build: impl Fn() -> Option<Value> + Send + Sync + 'static,
    ) {
        self.request = LazyJson::lazy(build);
    }

    /// Makes [`response`](Self::response) build its value with `build`
    /// when first read.
    pub(crate) fn set_response_with(
        &mut self,
        build: impl Fn() -> Option<Value> + Send + Sync + 'static,
    ) {
        self.response = LazyJson::lazy(build);
    }

    /// A hook's `Modify` of the request or response (for `event`).
    pub(crate) fn modify(&mut self, value: Value) {
        match self.event {
            HookEvent::OnResponse => self.response.replace(value),
            _ => self.request.replace(value),
        }
    }

    /// The request a hook replaced, if one did.
    pub(crate) fn replaced_request(&mut self) -> Option<Value> {
        if self.request.replaced() {
            self.request.take()
        } else {
            None
        }
    }

    /// Takes the request out.
    pub(crate) fn take_request(&mut self) -> Option<Value> {
        self.request.take()
    }

    /// Takes the response out.
    pub(crate) fn take_response(&mut self) -> Option<Value> {
        self.response.take()
    }

    /// A context for `event` during an LLM call: its run, endpoint, user
    /// and request metadata.
    pub(crate) fn for_call(event: HookEvent, call: &CallContext) -> Self {
        let mut ctx = Self::new(event, call.run_id(), call.endpoint());
        ctx.user_id = call.user_id().map(str::to_owned);
        ctx.request_metadata = call.request_metadata_shared().clone();
        ctx
    }
}
