//! [`PortkeyGateway`]: every LLM call through the Portkey AI gateway (hosted
//! or self-hosted), with the options of Portkey's official SDKs.

use std::time::Duration;

use fastagentic::gateway::kit::{BaseUrl, CompileOnce, PerCall, Setting, kit_gateway};
use fastagentic::{CallContext, GatewayError, Secret};

use crate::settings::{NAME, Settings};
use crate::{Cache, FallbackModel, PortkeyConfig, RetryConfig};

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
/// use fastagentic_portkey::{Cache, PortkeyGateway, RetryConfig, portkey_config};
///
/// let gateway = PortkeyGateway::new() // PORTKEY_API_KEY, PORTKEY_BASE_URL
///     .virtual_key("openai-key")
///     .config(portkey_config!({
///         "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
///         "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
///     }))
///     .cache(Cache::semantic().max_age(Duration::from_secs(3600)))
///     .retry(RetryConfig::attempts(3).on_status_codes([429, 500, 502, 503, 504]))
///     .metadata("environment", "production")
///     .metadata_with("_user", |ctx| ctx.user_id())
///     .trace_id_with(|ctx| ctx.run_id().to_string());
/// ```
///
/// Responses put Portkey's facts in `HookContext::metadata["portkey"]`:
/// `cache_status`, `cache_hit`, `retry_attempts`, `retries_exhausted`,
/// `last_used_option_index`, `provider`, `trace_id`, and `cost` (from the
/// app's price table).
#[derive(Clone, Debug)]
pub struct PortkeyGateway(CompileOnce<Settings>);

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
    /// A missing key is reported by [`check`](fastagentic::LlmGateway::check) (so at
    /// start-up) when the base URL is hosted Portkey's; a self-hosted gateway
    /// needs none.
    pub fn new() -> Self {
        Self(CompileOnce::new(Settings::from_env()))
    }

    /// A builder call: changes the settings (compiled again on next use).
    fn edit(self, change: impl FnOnce(&mut Settings)) -> Self {
        Self(self.0.edit(change))
    }

    /// The Portkey API key (`x-portkey-api-key`), instead of `PORTKEY_API_KEY`.
    pub fn api_key(self, api_key: impl Into<Secret>) -> Self {
        self.edit(|settings| settings.api_key = Some(Setting::given(api_key.into())))
    }

    /// A hosted virtual key (`x-portkey-virtual-key`): Portkey holds the
    /// provider's key. Also the credentials of plain [`fallback`](Self::fallback) models.
    pub fn virtual_key(self, virtual_key: impl Into<Secret>) -> Self {
        self.edit(|settings| settings.virtual_key = Some(virtual_key.into()))
    }

    /// Where Portkey is: e.g. `http://127.0.0.1:8787/v1` for a self-hosted
    /// gateway, instead of `PORTKEY_BASE_URL` (default `https://api.portkey.ai/v1`).
    pub fn base_url(self, base_url: impl AsRef<str>) -> Self {
        let base_url = BaseUrl::given(base_url);
        self.edit(|settings| settings.base_url = base_url)
    }

    /// The routing config (`x-portkey-config`), from
    /// [`portkey_config!`](crate::portkey_config) or [`PortkeyConfig::from_json`].
    /// [`cache`](Self::cache), [`retry`](Self::retry) and
    /// [`fallback`](Self::fallback) are merged into it.
    pub fn config(self, config: PortkeyConfig) -> Self {
        self.edit(|settings| settings.config = Some(config))
    }

    /// A config saved in hosted Portkey, by id (`pc-...`), sent as
    /// `x-portkey-config`. It cannot be combined with [`config`](Self::config),
    /// [`cache`](Self::cache), [`retry`](Self::retry) or [`fallback`](Self::fallback).
    pub fn config_id(self, id: impl Into<String>) -> Self {
        self.edit(|settings| settings.config_id = Some(id.into()))
    }

    /// Caches answers: merged into the config as `"cache": {"mode", "max_age"}`
    /// (replacing a `cache` the config has at its top level).
    pub fn cache(self, cache: Cache) -> Self {
        self.edit(|settings| settings.cache = Some(cache))
    }

    /// Retries failed calls: merged into the config as
    /// `"retry": {"attempts", "on_status_codes"}` (replacing a `retry` the
    /// config has at its top level).
    pub fn retry(self, retry: RetryConfig) -> Self {
        self.edit(|settings| settings.retry = Some(retry))
    }

    /// Falls back through these models in order: merged into the config as a
    /// `fallback` strategy whose targets carry `override_params.model`. Plain
    /// model names take the gateway's credentials (each Portkey target needs
    /// its own); see [`FallbackModel`] for per-model credentials.
    pub fn fallback<I>(self, models: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<FallbackModel>,
    {
        self.edit(|settings| settings.fallback = Some(models.into_iter().map(Into::into).collect()))
    }

    /// Falls back only after these statuses (`strategy.on_status_codes` of
    /// the [`fallback`](Self::fallback) strategy); by default after any error.
    pub fn fallback_on_status_codes(self, codes: impl IntoIterator<Item = u16>) -> Self {
        self.edit(|settings| settings.fallback_status_codes = Some(codes.into_iter().collect()))
    }

    /// The provider to call (`x-portkey-provider`, a Portkey slug such as
    /// `openai`) when the config names none.
    pub fn provider(self, provider: impl Into<String>) -> Self {
        self.edit(|settings| settings.provider = Some(provider.into()))
    }

    /// The provider's own API key, sent as `Authorization: Bearer ...` with
    /// [`provider`](Self::provider).
    pub fn provider_api_key(self, api_key: impl Into<Secret>) -> Self {
        self.edit(|settings| settings.provider_api_key = Some(api_key.into()))
    }

    /// The provider's base URL (`x-portkey-custom-host`), e.g. a local
    /// OpenAI-compatible server. It overrides every target's `custom_host`.
    pub fn custom_host(self, url: impl Into<String>) -> Self {
        self.edit(|settings| settings.custom_host = Some(url.into()))
    }

    /// A metadata entry sent with every request (`x-portkey-metadata`), for
    /// Portkey's logs and `metadata.*` routing conditions.
    pub fn metadata(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.edit(|settings| {
            settings.metadata.insert(key.into(), value.into());
        })
    }

    /// A metadata entry computed per request from the call, e.g.
    /// `.metadata_with("_user", |ctx| ctx.user_id())`; `None` leaves it out.
    /// (`_user` is the key Portkey shows as the request's user.)
    pub fn metadata_with<F>(self, key: impl Into<String>, value: F) -> Self
    where
        F: Fn(&CallContext) -> Option<&str> + Send + Sync + 'static,
    {
        self.edit(|settings| settings.metadata_with.push_str(key, value))
    }

    /// Like [`metadata_with`](Self::metadata_with), for a value the closure
    /// builds, e.g. `.metadata_with_owned("run", |ctx| Some(ctx.run_id().to_string()))`.
    pub fn metadata_with_owned<F>(self, key: impl Into<String>, value: F) -> Self
    where
        F: Fn(&CallContext) -> Option<String> + Send + Sync + 'static,
    {
        self.edit(|settings| settings.metadata_with.push_string(key, value))
    }

    /// The trace id of each request (`x-portkey-trace-id`), e.g.
    /// `.trace_id_with(|ctx| ctx.run_id().to_string())` to link Portkey's
    /// traces to FastAgentic's runs. An empty id is not sent.
    pub fn trace_id_with<F>(self, trace_id: F) -> Self
    where
        F: Fn(&CallContext) -> String + Send + Sync + 'static,
    {
        self.edit(|settings| settings.trace_id_with = Some(PerCall::new(trace_id)))
    }

    /// Portkey's own limit per request (`x-portkey-request-timeout`, sent in
    /// milliseconds; Portkey answers 408 when it passes).
    pub fn request_timeout(self, timeout: Duration) -> Self {
        self.edit(|settings| settings.request_timeout = Some(timeout))
    }

    /// Request headers Portkey passes on to the provider (`x-portkey-forward-headers`).
    pub fn forward_headers<I, S>(self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.edit(|settings| {
            settings.forward_headers = headers.into_iter().map(Into::into).collect()
        })
    }

    /// A cache partition (`x-portkey-cache-namespace`, hosted Portkey).
    pub fn cache_namespace(self, namespace: impl Into<String>) -> Self {
        self.edit(|settings| settings.cache_namespace = Some(namespace.into()))
    }

    /// Skips cached answers and refreshes them (`x-portkey-cache-force-refresh`).
    pub fn cache_force_refresh(self, yes: bool) -> Self {
        self.edit(|settings| settings.cache_force_refresh = yes)
    }

    /// FastAgentic's own limit per call (plain calls until the whole answer,
    /// streams until they open).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.edit(|settings| settings.timeout = Some(timeout))
    }

    /// Uses another `reqwest::Client` instead of the shared pool.
    pub fn http_client(self, http: reqwest::Client) -> Self {
        self.edit(|settings| settings.http = Some(http))
    }

    /// Runs this gateway's config and options in this process instead of
    /// on a Portkey gateway: the same [`PortkeyConfig`] and options, with
    /// `virtual_key`s resolved from `keys`, and providers called directly.
    /// See [`InProcessPortkey`](crate::InProcessPortkey) and `docs/portkey.md`
    /// for when to pick which.
    pub fn in_process(self, keys: crate::VirtualKeys) -> crate::InProcessPortkey {
        crate::InProcessPortkey::new(self.0.settings().clone(), keys)
    }

    /// The config sent in `x-portkey-config`: the given config with
    /// [`cache`](Self::cache), [`retry`](Self::retry) and
    /// [`fallback`](Self::fallback) merged in. `Err` when the options do not
    /// fit together (the same error [`check`](fastagentic::LlmGateway::check) reports).
    pub fn effective_config(&self) -> Result<Option<PortkeyConfig>, GatewayError> {
        Ok(self.0.compiled()?.config.clone())
    }
}

kit_gateway!(PortkeyGateway, NAME);
