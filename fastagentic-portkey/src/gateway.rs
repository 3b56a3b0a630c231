//! [`PortkeyGateway`]: every LLM call through the Portkey AI gateway (hosted
//! or self-hosted), with the options of Portkey's official SDKs.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fastagentic::{
    BoxFuture, CallContext, ChatRequest, ChatResponse, ChatStream, EmbeddingRequest,
    EmbeddingResponse, GatewayError, LlmGateway, Secret,
};

use crate::prepared::Prepared;
use crate::{Cache, PortkeyConfig, Retry, Target};

/// Hosted Portkey's API root, the default base URL.
pub const HOSTED_BASE_URL: &str = "https://api.portkey.ai/v1";
/// The environment variable holding the Portkey API key.
pub const API_KEY_ENV: &str = "PORTKEY_API_KEY";
/// The environment variable holding the base URL (e.g. a self-hosted gateway's
/// `http://localhost:8787/v1`).
pub const BASE_URL_ENV: &str = "PORTKEY_BASE_URL";

/// The name of the gateway: its logs, its errors and its section of
/// `HookContext::metadata`.
pub const NAME: &str = "portkey";

/// A value of `x-portkey-metadata` computed per request.
pub(crate) type MetadataFn = Arc<dyn Fn(&CallContext) -> Option<String> + Send + Sync>;
/// A trace id computed per request.
pub(crate) type TraceIdFn = Arc<dyn Fn(&CallContext) -> String + Send + Sync>;

/// A gateway that sends every LLM call through Portkey.
///
/// Option names follow Portkey's SDKs and FastAgentic's Python docs. Every
/// option that does not change per request (keys, config, cache, retry,
/// fallback, static metadata) becomes a header once, when the app checks its
/// gateways at start-up; per request only [`metadata_with`](Self::metadata_with)
/// and [`trace_id_with`](Self::trace_id_with) are computed.
///
/// ```no_run
/// use std::time::Duration;
/// use fastagentic_portkey::{Cache, PortkeyGateway, Retry, portkey_config};
///
/// let gateway = PortkeyGateway::new() // PORTKEY_API_KEY, PORTKEY_BASE_URL
///     .virtual_key("openai-key")
///     .config(portkey_config!({
///         "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
///         "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
///     }))
///     .cache(Cache::semantic().max_age(Duration::from_secs(3600)))
///     .retry(Retry::attempts(3).on_status_codes([429, 500, 502, 503, 504]))
///     .metadata("environment", "production")
///     .metadata_with("_user", |ctx| ctx.user_id())
///     .trace_id_with(|ctx| ctx.run_id().to_string());
/// ```
///
/// Responses put Portkey's facts in `HookContext::metadata["portkey"]`:
/// `cache_status`, `cache_hit`, `retry_attempts`, `retries_exhausted`,
/// `last_used_option_index`, `provider`, `trace_id`, and `cost` (from the
/// app's price table).
#[derive(Clone)]
pub struct PortkeyGateway {
    pub(crate) api_key: Option<Secret>,
    pub(crate) virtual_key: Option<Secret>,
    pub(crate) base_url: String,
    pub(crate) base_url_from_env: bool,
    pub(crate) config: Option<PortkeyConfig>,
    pub(crate) config_id: Option<String>,
    pub(crate) cache: Option<Cache>,
    pub(crate) retry: Option<Retry>,
    pub(crate) fallback: Option<Vec<Target>>,
    pub(crate) fallback_status_codes: Option<Vec<u16>>,
    pub(crate) provider: Option<String>,
    pub(crate) provider_api_key: Option<Secret>,
    pub(crate) custom_host: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) metadata_with: Vec<(String, MetadataFn)>,
    pub(crate) trace_id_with: Option<TraceIdFn>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) forward_headers: Vec<String>,
    pub(crate) cache_namespace: Option<String>,
    pub(crate) cache_force_refresh: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) http: Option<reqwest::Client>,
    prepared: OnceLock<Result<Arc<Prepared>, GatewayError>>,
}

impl Default for PortkeyGateway {
    /// Same as [`PortkeyGateway::new`] (reads the environment).
    fn default() -> Self {
        Self::new()
    }
}

impl PortkeyGateway {
    /// A gateway configured from the environment: the API key from
    /// `PORTKEY_API_KEY`, the base URL from `PORTKEY_BASE_URL` (default
    /// `https://api.portkey.ai/v1`, hosted Portkey). Builder calls override both.
    ///
    /// A missing key is reported by [`check`](LlmGateway::check) (so at
    /// start-up) when the base URL is hosted Portkey's; a self-hosted gateway
    /// needs none.
    pub fn new() -> Self {
        let base_url = std::env::var(BASE_URL_ENV)
            .ok()
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty());
        Self {
            api_key: Secret::from_env(API_KEY_ENV),
            virtual_key: None,
            base_url_from_env: base_url.is_some(),
            base_url: base_url.unwrap_or_else(|| HOSTED_BASE_URL.to_owned()),
            config: None,
            config_id: None,
            cache: None,
            retry: None,
            fallback: None,
            fallback_status_codes: None,
            provider: None,
            provider_api_key: None,
            custom_host: None,
            metadata: BTreeMap::new(),
            metadata_with: Vec::new(),
            trace_id_with: None,
            request_timeout: None,
            forward_headers: Vec::new(),
            cache_namespace: None,
            cache_force_refresh: false,
            timeout: None,
            http: None,
            prepared: OnceLock::new(),
        }
    }

    /// Forgets what was prepared: a builder call changed the gateway.
    fn changed(mut self) -> Self {
        self.prepared = OnceLock::new();
        self
    }

    /// The Portkey API key (`x-portkey-api-key`), instead of `PORTKEY_API_KEY`.
    pub fn api_key(mut self, api_key: impl Into<Secret>) -> Self {
        self.api_key = Some(api_key.into());
        self.changed()
    }

    /// A hosted virtual key (`x-portkey-virtual-key`): Portkey holds the
    /// provider's key. Also the credentials of plain [`fallback`](Self::fallback) models.
    pub fn virtual_key(mut self, virtual_key: impl Into<Secret>) -> Self {
        self.virtual_key = Some(virtual_key.into());
        self.changed()
    }

    /// Where Portkey is: e.g. `http://127.0.0.1:8787/v1` for a self-hosted
    /// gateway, instead of `PORTKEY_BASE_URL` (default `https://api.portkey.ai/v1`).
    pub fn base_url(mut self, base_url: impl AsRef<str>) -> Self {
        self.base_url = base_url.as_ref().trim().to_owned();
        self.base_url_from_env = false;
        self.changed()
    }

    /// The routing config (`x-portkey-config`), from
    /// [`portkey_config!`](crate::portkey_config) or [`PortkeyConfig::from_json`].
    /// [`cache`](Self::cache), [`retry`](Self::retry) and
    /// [`fallback`](Self::fallback) are merged into it.
    pub fn config(mut self, config: PortkeyConfig) -> Self {
        self.config = Some(config);
        self.changed()
    }

    /// A config saved in hosted Portkey, by id (`pc-...`), sent as
    /// `x-portkey-config`. It cannot be combined with [`config`](Self::config),
    /// [`cache`](Self::cache), [`retry`](Self::retry) or [`fallback`](Self::fallback).
    pub fn config_id(mut self, id: impl Into<String>) -> Self {
        self.config_id = Some(id.into());
        self.changed()
    }

    /// Caches answers: merged into the config as `"cache": {"mode", "max_age"}`
    /// (replacing a `cache` the config has at its top level).
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self.changed()
    }

    /// Retries failed calls: merged into the config as
    /// `"retry": {"attempts", "on_status_codes"}` (replacing a `retry` the
    /// config has at its top level).
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = Some(retry);
        self.changed()
    }

    /// Falls back through these models in order: merged into the config as a
    /// `fallback` strategy whose targets carry `override_params.model`. Plain
    /// model names take the gateway's credentials (each Portkey target needs
    /// its own); see [`Target`] for per-model credentials.
    pub fn fallback<I>(mut self, models: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Target>,
    {
        self.fallback = Some(models.into_iter().map(Into::into).collect());
        self.changed()
    }

    /// Falls back only after these statuses (`strategy.on_status_codes` of
    /// the [`fallback`](Self::fallback) strategy); by default after any error.
    pub fn fallback_on_status_codes(mut self, codes: impl IntoIterator<Item = u16>) -> Self {
        self.fallback_status_codes = Some(codes.into_iter().collect());
        self.changed()
    }

    /// The provider to call (`x-portkey-provider`, a Portkey slug such as
    /// `openai`) when the config names none.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self.changed()
    }

    /// The provider's own API key, sent as `Authorization: Bearer ...` with
    /// [`provider`](Self::provider).
    pub fn provider_api_key(mut self, api_key: impl Into<Secret>) -> Self {
        self.provider_api_key = Some(api_key.into());
        self.changed()
    }

    /// The provider's base URL (`x-portkey-custom-host`), e.g. a local
    /// OpenAI-compatible server. It overrides every target's `custom_host`.
    pub fn custom_host(mut self, url: impl Into<String>) -> Self {
        self.custom_host = Some(url.into());
        self.changed()
    }

    /// A metadata entry sent with every request (`x-portkey-metadata`), for
    /// Portkey's logs and `metadata.*` routing conditions.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self.changed()
    }

    /// A metadata entry computed per request from the call, e.g.
    /// `.metadata_with("_user", |ctx| ctx.user_id())`; `None` leaves it out.
    /// (`_user` is the key Portkey shows as the request's user.)
    pub fn metadata_with<F>(mut self, key: impl Into<String>, value: F) -> Self
    where
        F: Fn(&CallContext) -> Option<&str> + Send + Sync + 'static,
    {
        let value: MetadataFn = Arc::new(move |ctx| value(ctx).map(str::to_owned));
        self.metadata_with.push((key.into(), value));
        self.changed()
    }

    /// Like [`metadata_with`](Self::metadata_with), for a value the closure
    /// builds, e.g. `.metadata_with_owned("run", |ctx| Some(ctx.run_id().to_string()))`.
    pub fn metadata_with_owned<F>(mut self, key: impl Into<String>, value: F) -> Self
    where
        F: Fn(&CallContext) -> Option<String> + Send + Sync + 'static,
    {
        self.metadata_with.push((key.into(), Arc::new(value)));
        self.changed()
    }

    /// The trace id of each request (`x-portkey-trace-id`), e.g.
    /// `.trace_id_with(|ctx| ctx.run_id().to_string())` to link Portkey's
    /// traces to FastAgentic's runs. An empty id is not sent.
    pub fn trace_id_with<F>(mut self, trace_id: F) -> Self
    where
        F: Fn(&CallContext) -> String + Send + Sync + 'static,
    {
        self.trace_id_with = Some(Arc::new(trace_id));
        self.changed()
    }

    /// Portkey's own limit per request (`x-portkey-request-timeout`, sent in
    /// milliseconds; Portkey answers 408 when it passes).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self.changed()
    }

    /// Request headers Portkey passes on to the provider (`x-portkey-forward-headers`).
    pub fn forward_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.forward_headers = headers.into_iter().map(Into::into).collect();
        self.changed()
    }

    /// A cache partition (`x-portkey-cache-namespace`, hosted Portkey).
    pub fn cache_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.cache_namespace = Some(namespace.into());
        self.changed()
    }

    /// Skips cached answers and refreshes them (`x-portkey-cache-force-refresh`).
    pub fn cache_force_refresh(mut self, yes: bool) -> Self {
        self.cache_force_refresh = yes;
        self.changed()
    }

    /// FastAgentic's own limit per call (plain calls until the whole answer,
    /// streams until they open).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self.changed()
    }

    /// Uses another `reqwest::Client` instead of the shared pool.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self.changed()
    }

    /// The config sent in `x-portkey-config`: the given config with
    /// [`cache`](Self::cache), [`retry`](Self::retry) and
    /// [`fallback`](Self::fallback) merged in. `Err` when the options do not
    /// fit together (the same error [`check`](LlmGateway::check) reports).
    pub fn effective_config(&self) -> Result<Option<PortkeyConfig>, GatewayError> {
        Ok(self.prepared()?.config.clone())
    }

    /// What is built once: headers, the merged config, the diagnostics.
    pub(crate) fn prepared(&self) -> Result<Arc<Prepared>, GatewayError> {
        self.prepared
            .get_or_init(|| Prepared::build(self).map(Arc::new))
            .clone()
    }
}

impl fmt::Debug for PortkeyGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dynamic: Vec<&str> = self
            .metadata_with
            .iter()
            .map(|(key, _)| key.as_str())
            .collect();
        f.debug_struct("PortkeyGateway")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("virtual_key", &self.virtual_key)
            .field("config", &self.config)
            .field("config_id", &self.config_id)
            .field("cache", &self.cache)
            .field("retry", &self.retry)
            .field("fallback", &self.fallback)
            .field("provider", &self.provider)
            .field("provider_api_key", &self.provider_api_key)
            .field("custom_host", &self.custom_host)
            .field("metadata", &self.metadata)
            .field("metadata_with", &dynamic)
            .field("trace_id_with", &self.trace_id_with.is_some())
            .finish_non_exhaustive()
    }
}

impl LlmGateway for PortkeyGateway {
    fn name(&self) -> &str {
        NAME
    }

    fn chat<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
        Box::pin(async move {
            let prepared = self.prepared()?;
            let per_request = prepared.request_headers(call);
            match prepared.client.chat(&request, per_request.headers).await {
                Ok(reply) => {
                    let mut response = reply.body;
                    let section = prepared.section(&reply.headers, per_request.trace_id);
                    response.gateway_metadata.insert(NAME.to_owned(), section);
                    Ok(response)
                }
                Err(error) => Err(prepared.diagnose(error)),
            }
        })
    }

    fn chat_stream<'a>(
        &'a self,
        call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
        Box::pin(async move {
            let prepared = self.prepared()?;
            let per_request = prepared.request_headers(call);
            match prepared
                .client
                .chat_stream(request, per_request.headers)
                .await
            {
                Ok((headers, stream)) => {
                    let section = prepared.section(&headers, per_request.trace_id);
                    Ok(stream.with_metadata(NAME, section))
                }
                Err(error) => Err(prepared.diagnose(error)),
            }
        })
    }

    fn embed<'a>(
        &'a self,
        call: &'a CallContext,
        request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
        Box::pin(async move {
            let prepared = self.prepared()?;
            let per_request = prepared.request_headers(call);
            match prepared.client.embed(&request, per_request.headers).await {
                Ok(reply) => {
                    let mut response = reply.body;
                    let section = prepared.section(&reply.headers, per_request.trace_id);
                    response.gateway_metadata.insert(NAME.to_owned(), section);
                    Ok(response)
                }
                Err(error) => Err(prepared.diagnose(error)),
            }
        })
    }

    fn check(&self) -> Result<(), GatewayError> {
        self.prepared().map(|_| ())
    }
}
