//! [`PortkeyDropIn`]: the Portkey gateway's own HTTP surface, served by a
//! FastAgentic app and run by the in-process engine, so the official
//! Portkey SDKs and any client written for a self-hosted Portkey gateway
//! can point at the app instead.

mod headers;
mod reply;

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastagentic::cache::CacheControl;
use fastagentic::gateway::LlmGateway;
use fastagentic::mount::{MountedRoute, RouteReply, RouteRequest, RouteSet};
use fastagentic::{AgentError, ChatRequest, EmbeddingRequest, GatewayError};
use fastagentic_rules::portkey::{DEFAULT_TRUSTED_CUSTOM_HOSTS, check_custom_host};
use serde_json::Value;
use sha2::{Digest, Sha256};

use self::headers::{Incoming, answer_headers};
use self::reply::{PortkeyFailure, RetryWatch, gateway_failure};
use crate::in_process::{LAST_TRIED, PORTKEY_RETRY_BASE_DELAY};
use crate::settings::NAME;
use crate::{PortkeyConfig, PortkeyGateway, VirtualKeys};

/// How many compiled configs the drop-in keeps (each distinct
/// `x-portkey-config` text, provider, key, custom host and timeout is one).
pub const COMPILED_CONFIGS_CAPACITY: u64 = 1024;

/// The Portkey gateway's HTTP surface, opt-in: mount it with
/// [`App::mount`](fastagentic::App::mount) and `POST {prefix}/chat/completions`
/// (streaming too) and `POST {prefix}/embeddings` answer as a self-hosted
/// Portkey gateway does, run in-process.
///
/// It reads `x-portkey-config` (JSON), `x-portkey-provider`,
/// `x-portkey-custom-host`, `Authorization` (the provider's key),
/// `x-portkey-metadata`, `x-portkey-trace-id`, `x-portkey-cache-force-refresh`,
/// `x-portkey-cache-namespace` and `x-portkey-request-timeout` (ms), and
/// answers with `x-portkey-last-used-option-index` (`config.targets[1]`),
/// `x-portkey-retry-attempt-count`, `x-portkey-cache-status`,
/// `x-portkey-trace-id` and `x-portkey-provider`.
///
/// A client's config chooses upstreams and keys, so the drop-in is closed
/// by default: without [`client_configs`](Self::client_configs) only the
/// [`default_config`](Self::default_config) (or a provider named by
/// `x-portkey-provider`) routes, without
/// [`client_custom_hosts`](Self::client_custom_hosts) no client picks a
/// host, and every custom host passes the SSRF guard.
///
/// ```
/// use fastagentic::App;
/// use fastagentic_portkey::{PortkeyDropIn, VirtualKey, VirtualKeys, portkey_config};
///
/// let keys = VirtualKeys::new()
///     .insert("openai-key", VirtualKey::new("openai", "sk-..."))
///     .insert("groq-key", VirtualKey::new("groq", "gsk-..."));
/// let drop_in = PortkeyDropIn::new(keys).default_config(portkey_config!({
///     "retry": {"attempts": 2},
///     "strategy": {"mode": "fallback"},
///     "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "groq-key"}]
/// }));
/// let router = App::new("gateway").without_inventory().mount(drop_in).into_router();
/// assert!(router.is_ok());
/// ```
pub struct PortkeyDropIn {
    state: Arc<DropInState>,
}

impl std::fmt::Debug for PortkeyDropIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = &self.state;
        f.debug_struct("PortkeyDropIn")
            .field("prefix", &state.prefix)
            .field("default_config", &state.default_config)
            .field("client_configs", &state.client_configs)
            .field("client_custom_hosts", &state.client_custom_hosts)
            .field("allowed_providers", &state.allowed_providers)
            .field("trusted_custom_hosts", &state.trusted_custom_hosts)
            .finish_non_exhaustive()
    }
}

struct DropInState {
    keys: VirtualKeys,
    prefix: String,
    default_config: Option<PortkeyConfig>,
    client_configs: bool,
    client_custom_hosts: bool,
    allowed_providers: Option<Vec<String>>,
    trusted_custom_hosts: Vec<String>,
    retry_base_delay: Duration,
    http: Option<reqwest::Client>,
    /// Compiled gateways by a hash of what they were compiled from.
    compiled: moka::sync::Cache<[u8; 32], Arc<dyn LlmGateway>>,
}

impl PortkeyDropIn {
    /// The drop-in, under `/v1`, resolving `virtual_key`s from `keys`; no
    /// default config, client configs and custom hosts refused.
    pub fn new(keys: VirtualKeys) -> Self {
        Self {
            state: Arc::new(DropInState {
                keys,
                prefix: "/v1".to_owned(),
                default_config: None,
                client_configs: false,
                client_custom_hosts: false,
                allowed_providers: None,
                trusted_custom_hosts: Vec::new(),
                retry_base_delay: PORTKEY_RETRY_BASE_DELAY,
                http: None,
                compiled: moka::sync::Cache::new(COMPILED_CONFIGS_CAPACITY),
            }),
        }
    }

    fn edit(mut self, change: impl FnOnce(&mut DropInState)) -> Self {
        if let Some(state) = Arc::get_mut(&mut self.state) {
            change(state);
            state.compiled.invalidate_all();
        }
        self
    }

    /// Serves under `prefix` instead of `/v1` (e.g. `/portkey/v1`, beside
    /// the app's OpenAI-compatible route).
    pub fn prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into().trim_end_matches('/').to_owned();
        self.edit(|state| state.prefix = prefix)
    }

    /// The config of requests that send no `x-portkey-config`.
    pub fn default_config(self, config: PortkeyConfig) -> Self {
        self.edit(|state| state.default_config = Some(config))
    }

    /// Whether a client's `x-portkey-config` is used (off by default: it
    /// chooses upstreams and keys; a refused one answers 403).
    pub fn client_configs(self, allowed: bool) -> Self {
        self.edit(|state| state.client_configs = allowed)
    }

    /// Whether a client may name a provider's host, in
    /// `x-portkey-custom-host` or a config's `custom_host` (off by default;
    /// when on, every host still passes the SSRF guard).
    pub fn client_custom_hosts(self, allowed: bool) -> Self {
        self.edit(|state| state.client_custom_hosts = allowed)
    }

    /// The only provider slugs a client may name (`x-portkey-provider`, a
    /// client config's `provider`s); by default every slug the in-process
    /// engine calls. The app's own virtual keys are always allowed.
    pub fn allowed_providers<I, S>(self, providers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let providers = providers.into_iter().map(Into::into).collect();
        self.edit(|state| state.allowed_providers = Some(providers))
    }

    /// Hosts the SSRF guard lets through besides public hosts and loopback
    /// (`localhost`, `127.0.0.1`, `::1`, `host.docker.internal` are trusted
    /// by default, as on Portkey's gateway), e.g. a private address of your
    /// own model server.
    pub fn trusted_custom_hosts<I, S>(self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let hosts = hosts.into_iter().map(Into::into).collect();
        self.edit(|state| state.trusted_custom_hosts = hosts)
    }

    /// The first retry's wait instead of Portkey's 1 s (later ones double).
    pub fn retry_base_delay(self, delay: Duration) -> Self {
        self.edit(|state| state.retry_base_delay = delay)
    }

    /// Calls providers with this `reqwest::Client` instead of the shared pool.
    pub fn http_client(self, http: reqwest::Client) -> Self {
        self.edit(|state| state.http = Some(http))
    }
}

impl RouteSet for PortkeyDropIn {
    fn name(&self) -> &str {
        "portkey_drop_in"
    }

    fn routes(&self) -> Result<Vec<MountedRoute>, String> {
        let state = &self.state;
        if let Some(config) = &state.default_config {
            // A default config that cannot run stops start-up.
            state
                .compile(&Incoming::default(), Some(config.clone()))
                .map_err(|error| format!("the default config cannot run in-process: {error}"))?;
        }
        let chat_state = state.clone();
        let embed_state = state.clone();
        Ok(vec![
            MountedRoute::post(
                format!("{}/chat/completions", state.prefix),
                "portkey_chat_completions",
                move |request| serve(chat_state.clone(), request, Operation::Chat),
            ),
            MountedRoute::post(
                format!("{}/embeddings", state.prefix),
                "portkey_embeddings",
                move |request| serve(embed_state.clone(), request, Operation::Embed),
            ),
        ])
    }
}

#[derive(Clone, Copy)]
enum Operation {
    Chat,
    Embed,
}

async fn serve(
    state: Arc<DropInState>,
    request: RouteRequest,
    operation: Operation,
) -> Result<RouteReply, AgentError> {
    let incoming = match Incoming::read(&request) {
        Ok(incoming) => incoming,
        Err(failure) => return failure.reply(),
    };
    let config = match state.config_for(&incoming) {
        Ok(config) => config,
        Err(failure) => return failure.reply(),
    };
    let gateway = match state.gateway(&incoming, config.as_deref()) {
        Ok(gateway) => gateway,
        Err(failure) => return failure.reply(),
    };
    let trace_id = incoming.trace_id.clone().unwrap_or_default();
    let watch = Arc::new(RetryWatch::default());
    let mut call = request.call_context().clone().with_observer(watch.clone());
    if incoming.cache_force_refresh || incoming.cache_namespace.is_some() {
        call = call.with_cache_control(CacheControl {
            force_refresh: incoming.cache_force_refresh,
            namespace: incoming.cache_namespace.as_deref().map(Arc::from),
        });
    }
    let llm = request.llm(gateway, call);
    let tried = Arc::new(Mutex::new(None));
    let failed = |error: GatewayError| {
        let target = tried.lock().ok().and_then(|slot| slot.clone());
        gateway_failure(
            &error,
            &watch,
            target,
            incoming.provider.as_deref(),
            &trace_id,
        )
    };
    let invalid_body = |error: serde_json::Error| {
        PortkeyFailure::invalid(format!("the request body is not a valid request: {error}")).reply()
    };
    match operation {
        Operation::Chat => {
            let chat: ChatRequest = match serde_json::from_slice(request.body()) {
                Ok(chat) => chat,
                Err(error) => return invalid_body(error),
            };
            if chat.stream == Some(true) {
                match LAST_TRIED.scope(tried.clone(), llm.chat_stream(chat)).await {
                    Ok(stream) => {
                        let facts = stream.gateway_metadata.get(NAME).cloned();
                        Ok(answer_headers(
                            RouteReply::stream(stream),
                            facts.as_ref(),
                            &trace_id,
                        ))
                    }
                    Err(error) => failed(error),
                }
            } else {
                match LAST_TRIED.scope(tried.clone(), llm.chat(chat)).await {
                    Ok(response) => json_answer(&response, &response.gateway_metadata, &trace_id),
                    Err(error) => failed(error),
                }
            }
        }
        Operation::Embed => {
            let embed: EmbeddingRequest = match serde_json::from_slice(request.body()) {
                Ok(embed) => embed,
                Err(error) => return invalid_body(error),
            };
            match LAST_TRIED.scope(tried.clone(), llm.embed(embed)).await {
                Ok(response) => json_answer(&response, &response.gateway_metadata, &trace_id),
                Err(error) => failed(error),
            }
        }
    }
}

/// A JSON answer (a chat completion or embeddings) with the `x-portkey-*`
/// headers its gateway facts give.
fn json_answer(
    response: &impl serde::Serialize,
    metadata: &fastagentic::llm::Extra,
    trace_id: &str,
) -> Result<RouteReply, AgentError> {
    Ok(answer_headers(
        RouteReply::json(response)?,
        metadata.get(NAME),
        trace_id,
    ))
}

impl DropInState {
    /// The config a request runs: the client's (when allowed), else the default.
    fn config_for(
        &self,
        incoming: &Incoming,
    ) -> Result<Option<Cow<'_, PortkeyConfig>>, PortkeyFailure> {
        if let Some(provider) = &incoming.provider {
            self.check_provider(provider)?;
        }
        if let Some(host) = &incoming.custom_host {
            self.check_custom_host(host, "x-portkey-custom-host")?;
        }
        let Some(text) = &incoming.config else {
            return Ok(self.default_config.as_ref().map(Cow::Borrowed));
        };
        if !self.client_configs {
            return Err(PortkeyFailure::refused(
                "this gateway does not accept client configs (`x-portkey-config`): its routing \
                 is set by the app (PortkeyDropIn::client_configs(true) accepts them)",
            ));
        }
        let config = PortkeyConfig::from_json(text).map_err(|error| {
            PortkeyFailure::invalid_config(error.to_string().lines().map(str::to_owned).collect())
        })?;
        self.check_client_config(config.as_json(), "config")?;
        Ok(Some(Cow::Owned(config)))
    }

    fn check_provider(&self, provider: &str) -> Result<(), PortkeyFailure> {
        match &self.allowed_providers {
            Some(allowed) if !allowed.iter().any(|p| p == provider) => {
                Err(PortkeyFailure::refused(format!(
                    "provider `{provider}` is not allowed here (allowed: {})",
                    allowed.join(", ")
                )))
            }
            _ => Ok(()),
        }
    }

    fn check_custom_host(&self, host: &str, at: &str) -> Result<(), PortkeyFailure> {
        if !self.client_custom_hosts {
            return Err(PortkeyFailure::refused(format!(
                "{at}: this gateway does not let clients choose the provider's host \
                 (PortkeyDropIn::client_custom_hosts(true) does)"
            )));
        }
        let mut trusted: Vec<&str> = DEFAULT_TRUSTED_CUSTOM_HOSTS.to_vec();
        trusted.extend(self.trusted_custom_hosts.iter().map(String::as_str));
        check_custom_host(host, &trusted)
            .map_err(|problem| PortkeyFailure::invalid(format!("{at}: {problem}")))
    }

    /// Every provider and custom host of a client's config, checked.
    fn check_client_config(&self, node: &Value, path: &str) -> Result<(), PortkeyFailure> {
        if let Some(provider) = node.get("provider").and_then(Value::as_str) {
            self.check_provider(provider)?;
        }
        if let Some(host) = node.get("custom_host").and_then(Value::as_str) {
            self.check_custom_host(host, &format!("{path}.custom_host"))?;
        }
        if let Some(Value::Array(targets)) = node.get("targets") {
            for (i, target) in targets.iter().enumerate() {
                self.check_client_config(target, &format!("{path}.targets[{i}]"))?;
            }
        }
        Ok(())
    }

    /// The compiled gateway for this request's routing, from the cache or
    /// compiled now (and kept when it compiles).
    fn gateway(
        &self,
        incoming: &Incoming,
        config: Option<&PortkeyConfig>,
    ) -> Result<Arc<dyn LlmGateway>, PortkeyFailure> {
        let key = compile_key(incoming, config);
        if let Some(gateway) = self.compiled.get(&key) {
            return Ok(gateway);
        }
        let gateway = self
            .compile(incoming, config.cloned())
            .map_err(|error| match error {
                GatewayError::Config { message, .. } => PortkeyFailure::invalid_config(
                    message
                        .lines()
                        .map(|line| line.trim().trim_start_matches("- ").to_owned())
                        .filter(|line| !line.is_empty() && !line.ends_with("in-process:"))
                        .collect(),
                ),
                other => PortkeyFailure::invalid(other.to_string()),
            })?;
        self.compiled.insert(key, gateway.clone());
        Ok(gateway)
    }

    fn compile(
        &self,
        incoming: &Incoming,
        config: Option<PortkeyConfig>,
    ) -> Result<Arc<dyn LlmGateway>, GatewayError> {
        let mut gateway = PortkeyGateway::new();
        if let Some(config) = config {
            gateway = gateway.config(config);
        }
        if let Some(provider) = &incoming.provider {
            gateway = gateway.provider(provider.clone());
        }
        if let Some(key) = &incoming.provider_key {
            gateway = gateway.provider_api_key(key.clone());
        }
        if let Some(host) = &incoming.custom_host {
            gateway = gateway.custom_host(host.clone());
        }
        if let Some(timeout) = incoming.request_timeout {
            gateway = gateway.request_timeout(timeout);
        }
        if let Some(http) = &self.http {
            gateway = gateway.http_client(http.clone());
        }
        let engine = gateway
            .in_process(self.keys.clone())
            .retry_base_delay(self.retry_base_delay)
            .trust_hosts(&self.trusted_custom_hosts);
        engine.check()?;
        Ok(Arc::new(engine))
    }
}

/// What a compiled gateway depends on, hashed (the provider key among it).
fn compile_key(incoming: &Incoming, config: Option<&PortkeyConfig>) -> [u8; 32] {
    let mut hash = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    match (&incoming.config, config) {
        (Some(text), _) => part(text.as_bytes()),
        (None, Some(_)) => part(b"\0default"),
        (None, None) => part(b"\0none"),
    }
    part(incoming.provider.as_deref().unwrap_or_default().as_bytes());
    part(
        incoming
            .provider_key
            .as_ref()
            .map(|key| key.expose())
            .unwrap_or_default()
            .as_bytes(),
    );
    part(
        incoming
            .custom_host
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
    );
    part(
        &incoming
            .request_timeout
            .map_or(0, |t| t.as_millis())
            .to_le_bytes(),
    );
    hash.finalize().into()
}
