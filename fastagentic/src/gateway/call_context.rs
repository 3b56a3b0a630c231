//! What a gateway knows about the call it is serving.

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use uuid::Uuid;

use crate::cache::CacheControl;
use crate::llm::Extra;
use crate::reliability::{CallObserver, GatewayEvent};

/// The per-call context every gateway method receives: which run, which
/// endpoint, which user, the request metadata, the deadline, and who hears
/// about retries and fallbacks ([`CallObserver`]).
///
/// *Request metadata* is what the caller says about the request (a tier,
/// a tenant, a feature flag): from the `x-portkey-metadata` or
/// `x-fastagentic-metadata` header (a JSON object), an `on_request` hook
/// ([`HookResult::SetRequestMetadata`](crate::HookResult::SetRequestMetadata))
/// or the endpoint's code ([`AgentContext::set_request_metadata`](crate::AgentContext::set_request_metadata)).
/// Conditional routing reads it, and gateways send it on (Portkey's
/// `x-portkey-metadata`, LiteLLM's `metadata`). It is not the *gateway
/// facts* an answer brings back (`HookContext::metadata`).
///
/// Cheap to clone (shared strings). Gateways read it for per-request options,
/// e.g. Portkey's `metadata_with("_user", |ctx| ctx.user_id())`.
#[derive(Clone, Debug)]
pub struct CallContext {
    run_id: Uuid,
    endpoint: Arc<str>,
    user_id: Option<Arc<str>>,
    request_metadata: Arc<Extra>,
    deadline: Option<Instant>,
    cache_control: CacheControl,
    observer: Observer,
}

/// One shared empty map: a request without metadata allocates none.
pub(crate) fn no_request_metadata() -> Arc<Extra> {
    static NONE: LazyLock<Arc<Extra>> = LazyLock::new(|| Arc::new(Extra::new()));
    NONE.clone()
}

/// The optional observer, printed without its contents.
#[derive(Clone, Default)]
struct Observer(Option<Arc<dyn CallObserver>>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

impl CallContext {
    /// A context for one run of `endpoint`.
    pub fn new(run_id: Uuid, endpoint: impl Into<Arc<str>>) -> Self {
        Self {
            run_id,
            endpoint: endpoint.into(),
            user_id: None,
            request_metadata: no_request_metadata(),
            deadline: None,
            cache_control: CacheControl::default(),
            observer: Observer::default(),
        }
    }

    /// A context outside any endpoint (scripts, tests), with a fresh run id.
    pub fn detached() -> Self {
        Self::new(Uuid::new_v4(), "")
    }

    /// Sets the user.
    pub fn with_user(mut self, user_id: Option<Arc<str>>) -> Self {
        self.user_id = user_id;
        self
    }

    /// Sets the request metadata.
    pub fn with_request_metadata(mut self, metadata: Arc<Extra>) -> Self {
        self.request_metadata = metadata;
        self
    }

    /// Sets one entry of the request metadata.
    pub fn set_request_metadata(
        &mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) {
        Arc::make_mut(&mut self.request_metadata).insert(key.into(), value.into());
    }

    /// Sets what this call asks of the caches (refresh, namespace).
    pub fn with_cache_control(mut self, control: CacheControl) -> Self {
        self.cache_control = control;
        self
    }

    /// What this call asks of the caches.
    pub fn cache_control(&self) -> &CacheControl {
        &self.cache_control
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Adds an observer of the reliability layer's retries and fallbacks
    /// during this call; one already set keeps hearing them, first.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Observer(Some(match self.observer.0.take() {
            Some(first) => Arc::new(crate::reliability::Both(first, observer)),
            None => observer,
        }));
        self
    }

    /// Whether an observer listens (when none does, gateways skip building events).
    pub fn is_observed(&self) -> bool {
        self.observer.0.is_some()
    }

    /// Reports `event` to the observer, if any, and waits for it.
    pub async fn report(&self, event: GatewayEvent) {
        if let Some(observer) = &self.observer.0 {
            observer.on_event(self, &event).await;
        }
    }

    /// The run this call belongs to (one per endpoint request).
    pub fn run_id(&self) -> Uuid {
        self.run_id
    }

    /// The endpoint's name ("" outside an endpoint).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The user the request runs as, when an auth layer or an `on_request`
    /// hook identified one.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The request metadata (empty when the request has none).
    pub fn request_metadata(&self) -> &Extra {
        &self.request_metadata
    }

    /// The request metadata, shared.
    pub fn request_metadata_shared(&self) -> &Arc<Extra> {
        &self.request_metadata
    }

    /// When the whole request must be done, if it has a timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}
