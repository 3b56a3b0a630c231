//! `AgentContext`: what an endpoint function receives about its run.

use std::sync::Arc;

use uuid::Uuid;

use crate::gateway::{CallContext, LlmGateway};
use crate::llm::{Extra, LlmClient};

/// The context of one endpoint run: its id, the user, and the LLM client
/// bound to this endpoint's gateway.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use fastagentic::{AgentContext, ChatRequest, DemoGateway};
/// let ctx = AgentContext::standalone(DemoGateway::new());
/// let reply = ctx.llm().chat(ChatRequest::new("gpt-4o-mini").user("hello")).await.unwrap();
/// assert!(reply.text().contains("hello"));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct AgentContext {
    llm: LlmClient,
}

impl AgentContext {
    pub(crate) fn new(llm: LlmClient) -> Self {
        Self { llm }
    }

    /// A context outside any app (scripts, tests, a [`Runnable`](crate::Runnable)
    /// called directly): no hooks, a fresh run id.
    pub fn standalone<G: LlmGateway>(gateway: G) -> Self {
        Self::new(LlmClient::standalone(crate::gateway::shared(gateway)))
    }

    /// The LLM client: every call goes through this endpoint's gateway and the app's hooks.
    pub fn llm(&self) -> &LlmClient {
        &self.llm
    }

    fn call(&self) -> &CallContext {
        self.llm.call_context()
    }

    /// The run's id (also sent to the client as `x-fastagentic-run-id`).
    pub fn run_id(&self) -> Uuid {
        self.call().run_id()
    }

    /// The endpoint's name.
    pub fn endpoint(&self) -> &str {
        self.call().endpoint()
    }

    /// The user, when an `on_request` hook identified one.
    pub fn user_id(&self) -> Option<&str> {
        self.call().user_id()
    }

    /// The request metadata: from the `x-portkey-metadata` or
    /// `x-fastagentic-metadata` header, `on_request` hooks, or
    /// [`set_request_metadata`](Self::set_request_metadata). Gateways read it
    /// (conditional routing, Portkey's and LiteLLM's metadata).
    pub fn request_metadata(&self) -> &Extra {
        self.call().request_metadata()
    }

    /// Sets one entry of the request metadata for the LLM calls made after
    /// it, e.g. `ctx.set_request_metadata("tier", "premium")`.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use fastagentic::{AgentContext, DemoGateway};
    /// let mut ctx = AgentContext::standalone(DemoGateway::new());
    /// ctx.set_request_metadata("tier", "premium");
    /// assert_eq!(ctx.request_metadata()["tier"], "premium");
    /// # });
    /// ```
    pub fn set_request_metadata(
        &mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) {
        self.llm.call_context_mut().set_request_metadata(key, value);
    }

    /// The user as a shared string (for building other contexts).
    pub(crate) fn user_arc(user: Option<String>) -> Option<Arc<str>> {
        user.map(Arc::from)
    }
}
