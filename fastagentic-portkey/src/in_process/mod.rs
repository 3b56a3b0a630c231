//! Portkey configs run in-process: [`InProcessPortkey`] compiles a
//! [`PortkeyConfig`](crate::PortkeyConfig) (with the builder's options
//! merged in) into a tree of the core's gateway pieces and calls the
//! providers directly, with Portkey's meaning and no Portkey server.

mod facts;
mod keys;
mod label;
mod providers;
mod query;
mod status;
mod transport;
mod tree;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fastagentic::cache::semantic::Embedder;
use fastagentic::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy, shared,
};
use fastagentic::reliability::Timeout;
use serde_json::{Map, Value};

pub use keys::{VIRTUAL_KEYS_ENV, VirtualKey, VirtualKeys};
pub(crate) use label::{LAST_TRIED, TriedTarget};
pub use providers::{ADAPTED_PROVIDERS, OPENAI_COMPATIBLE};

use fastagentic_rules::portkey::DEFAULT_TRUSTED_CUSTOM_HOSTS;

use crate::compiled::merged_config;
use crate::settings::{NAME, Settings};

/// Portkey's first retry wait; later ones double (1, 2, 4, 8, 16 s).
pub const PORTKEY_RETRY_BASE_DELAY: Duration = Duration::from_secs(1);

/// A [`PortkeyGateway`](crate::PortkeyGateway)'s config and options run in
/// this process: made by [`PortkeyGateway::in_process`](crate::PortkeyGateway::in_process).
///
/// The config is compiled once, at start-up ([`check`](LlmGateway::check)
/// names the path of any problem, e.g. `config.targets[1].provider: ...`),
/// into `Fallback`, `LoadBalance`, `Conditional`, `Override`, `ExactCache`,
/// `Retry`, `CircuitBreaker` and timeout pieces over `OpenAiGateway`s and
/// the adapters of `fastagentic-providers` (`anthropic`, `azure-openai`,
/// `google`: [`ADAPTED_PROVIDERS`]). Hooks see
/// `metadata["portkey"]` as the remote gateway reports it: `cache_status`,
/// `last_used_option_index`, `retry_attempts`, `provider`, `trace_id`, and
/// `cost` from the app's price table.
///
/// ```
/// use fastagentic::LlmGateway;
/// use fastagentic_portkey::{PortkeyGateway, VirtualKey, VirtualKeys, portkey_config};
///
/// let keys = VirtualKeys::new()
///     .insert("openai-key", VirtualKey::new("openai", "sk-..."))
///     .insert("groq-key", VirtualKey::new("groq", "gsk-..."));
/// let gateway = PortkeyGateway::new()
///     .config(portkey_config!({
///         "strategy": {"mode": "fallback", "on_status_codes": [429, 503]},
///         "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "groq-key"}]
///     }))
///     .in_process(keys);
/// assert!(gateway.check().is_ok());
/// ```
pub struct InProcessPortkey {
    settings: Settings,
    keys: VirtualKeys,
    retry_base_delay: Duration,
    trusted_hosts: Vec<String>,
    embedder: Option<Arc<dyn Embedder>>,
    tree: OnceLock<Result<Arc<dyn LlmGateway>, String>>,
}

impl std::fmt::Debug for InProcessPortkey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessPortkey")
            .field("config", &self.settings.config)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl InProcessPortkey {
    pub(crate) fn new(settings: Settings, keys: VirtualKeys) -> Self {
        Self {
            settings,
            keys,
            retry_base_delay: PORTKEY_RETRY_BASE_DELAY,
            trusted_hosts: DEFAULT_TRUSTED_CUSTOM_HOSTS
                .iter()
                .map(|host| (*host).to_owned())
                .collect(),
            embedder: None,
            tree: OnceLock::new(),
        }
    }

    /// The embedder `cache.mode: "semantic"` compares prompts with. Without
    /// one, the semantic cache loads all-MiniLM-L6-v2 from the folder named
    /// by `FASTAGENTIC_EMBEDDING_MODEL_DIR` (feature `local-embeddings`),
    /// and start-up fails naming the variable when it cannot.
    pub fn embedder(mut self, embedder: impl Embedder) -> Self {
        self.embedder = Some(Arc::new(embedder));
        self.tree = OnceLock::new();
        self
    }

    /// The embedder for `cache.mode: "semantic"`: the one given, else the
    /// local model from the environment; loaded once per compile.
    fn semantic_embedder(&self) -> Result<Arc<dyn Embedder>, String> {
        if let Some(embedder) = &self.embedder {
            return Ok(embedder.clone());
        }
        local_embedder()
    }

    /// The first retry's wait instead of Portkey's 1 s (later ones double,
    /// up to 16 times it): for tests, or to retry sooner than Portkey.
    pub fn retry_base_delay(mut self, delay: Duration) -> Self {
        self.retry_base_delay = delay;
        self.tree = OnceLock::new();
        self
    }

    /// Lets these hosts (exact host names or addresses) through the SSRF
    /// guard on `custom_host` and virtual-key base URLs, besides public hosts
    /// and loopback, as Portkey's `TRUSTED_CUSTOM_HOSTS` does: for a provider
    /// on a private address in development. Every other private, link-local
    /// or cloud-metadata address stays refused, as do other schemes and
    /// credentials in the URL.
    pub fn trusted_custom_hosts<I, S>(self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let hosts: Vec<String> = hosts.into_iter().map(Into::into).collect();
        self.trust_hosts(&hosts)
    }

    /// Also lets these hosts through the custom-host SSRF guard (besides
    /// public hosts and loopback), as Portkey's `TRUSTED_CUSTOM_HOSTS` does.
    pub(crate) fn trust_hosts(mut self, hosts: &[String]) -> Self {
        self.trusted_hosts.extend(hosts.iter().cloned());
        self.tree = OnceLock::new();
        self
    }

    /// The compiled tree, or every problem of the config.
    fn tree(&self) -> Result<&Arc<dyn LlmGateway>, &str> {
        self.tree
            .get_or_init(|| self.compile())
            .as_ref()
            .map_err(String::as_str)
    }

    fn compile(&self) -> Result<Arc<dyn LlmGateway>, String> {
        let settings = &self.settings;
        let mut problems = fastagentic::gateway::ConfigProblems::new(NAME);
        if settings.config_id.is_some() {
            return Err(
                "`.config_id(..)` names a config saved in hosted Portkey, which cannot \
                        run in-process: give the config itself with `.config(..)`"
                    .to_owned(),
            );
        }
        let config = merged_config(settings, &mut problems);
        if let Some(error) = problems.into_error() {
            return Err(error.to_string());
        }
        let mut root: Map<String, Value> = config
            .as_ref()
            .and_then(|c| c.as_json().as_object().cloned())
            .unwrap_or_default();
        let routed = ["targets", "provider", "virtual_key"]
            .iter()
            .any(|key| root.contains_key(*key));
        if !routed {
            // The request-level provider, as `x-portkey-provider` and
            // `x-portkey-virtual-key` give it.
            if let Some(virtual_key) = &settings.virtual_key {
                root.insert("virtual_key".into(), virtual_key.expose().into());
            } else if let Some(provider) = &settings.provider {
                root.insert("provider".into(), provider.as_str().into());
                if let Some(key) = &settings.provider_api_key {
                    root.insert("api_key".into(), key.expose().into());
                }
            } else {
                return Err(
                    "nothing says which provider to call: give a config with `targets` \
                            or `provider`, `.provider(..)` with `.provider_api_key(..)`, or \
                            `.virtual_key(..)` of the key store"
                        .to_owned(),
                );
            }
        }
        let mut inherited = tree::Inherited::default();
        if let Some(timeout) = settings.request_timeout {
            inherited.request_timeout =
                Some(u64::try_from(timeout.as_millis().max(1)).unwrap_or(u64::MAX));
        }
        let trusted: Vec<&str> = self.trusted_hosts.iter().map(String::as_str).collect();
        let embedder = OnceLock::new();
        let embedder = || embedder.get_or_init(|| self.semantic_embedder()).clone();
        let env = tree::Env {
            embedder: &embedder,
            trusted_hosts: &trusted,
            keys: &self.keys,
            http: settings.http.as_ref(),
            retry_base_delay: self.retry_base_delay,
            custom_host: settings.custom_host.as_deref(),
        };
        let mut found = Vec::new();
        let gateway = tree::compile(&Value::Object(root), "config", &inherited, &env, &mut found);
        match gateway {
            Some(gateway) if found.is_empty() => Ok(match settings.timeout {
                Some(limit) => shared(Timeout::new(gateway, limit)),
                None => gateway,
            }),
            _ => Err(format!(
                "the Portkey config cannot run in-process:\n  - {}",
                found.join("\n  - ")
            )),
        }
    }

    /// The call as the config's routing sees it: the builder's metadata
    /// over the request's, and its cache options.
    fn call_for(&self, call: &CallContext) -> Option<CallContext> {
        let settings = &self.settings;
        let cache = settings.cache_force_refresh || settings.cache_namespace.is_some();
        if settings.metadata.is_empty() && settings.metadata_with.is_empty() && !cache {
            return None;
        }
        let mut local = call.clone();
        for (key, value) in &settings.metadata {
            local.set_request_metadata(key.clone(), value.clone());
        }
        for (key, value) in settings.metadata_with.values(call) {
            local.set_request_metadata(key, value);
        }
        if cache {
            let mut control = call.cache_control().clone();
            control.force_refresh |= settings.cache_force_refresh;
            if let Some(namespace) = &settings.cache_namespace {
                control.namespace = Some(namespace.as_str().into());
            }
            local = local.with_cache_control(control);
        }
        Some(local)
    }
}

/// all-MiniLM-L6-v2 from `FASTAGENTIC_EMBEDDING_MODEL_DIR`.
#[cfg(feature = "local-embeddings")]
fn local_embedder() -> Result<Arc<dyn Embedder>, String> {
    fastagentic::cache::semantic::MiniLmEmbedder::from_env()
        .map(|embedder| Arc::new(embedder) as Arc<dyn Embedder>)
        .map_err(|error| error.to_string())
}

/// Without the local model compiled in, an embedder must be given.
#[cfg(not(feature = "local-embeddings"))]
fn local_embedder() -> Result<Arc<dyn Embedder>, String> {
    Err(format!(
        "the semantic cache needs an embedding model: enable the feature `local-embeddings` of \
         fastagentic-portkey and set {} to a folder holding all-MiniLM-L6-v2 (see \
         docs/caching.md), or give one with `.embedder(..)`",
        fastagentic::cache::semantic::MODEL_DIR_ENV
    ))
}

impl Strategy for InProcessPortkey {
    fn name(&self) -> &str {
        NAME
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(async move {
            let tree = self
                .tree()
                .map_err(|problem| GatewayError::config(NAME, problem))?;
            let local = self.call_for(call);
            let call = local.as_ref().unwrap_or(call);
            let mut reply = tree.serve(call, request).await?;
            let trace_id = self
                .settings
                .trace_id_with
                .as_ref()
                .map(|make| make.get(call));
            facts::fill(&mut reply, trace_id);
            Ok(reply)
        })
    }

    fn node(&self) -> Node<'_> {
        match self.tree() {
            Ok(tree) => Node::wrapping(NodeKind::Strategy("portkey_in_process"), tree.as_ref()),
            Err(_) => Node::leaf(NAME),
        }
    }

    fn check_options(&self) -> Result<(), String> {
        self.tree().map(|_| ()).map_err(str::to_owned)
    }
}
