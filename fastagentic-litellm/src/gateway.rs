//! [`LiteLLMGateway`]: every LLM call through a LiteLLM proxy, with the
//! options users of the proxy expect.

use std::time::Duration;

use fastagentic::gateway::kit::{BaseUrl, CompileOnce, PerCall, Setting, kit_gateway};
use fastagentic::{CallContext, Secret};
use serde_json::Value;

use crate::settings::{EndUser, NAME, Settings};
use crate::{CacheControl, IntoFallbackModels, LiteLLMOptions};

/// A gateway that sends every LLM call through a [LiteLLM proxy](https://docs.litellm.ai/docs/simple_proxy).
///
/// ```no_run
/// use fastagentic::App;
/// use fastagentic_litellm::LiteLLMGateway;
///
/// let app = App::new("My Agent").llm_gateway(
///     LiteLLMGateway::new().fallback_models(["gpt-4o", "claude-3-sonnet", "gemini-pro"]),
/// );
/// ```
///
/// [`new`](Self::new) reads `LITELLM_PROXY_API_BASE` (default
/// `http://localhost:4000`) and `LITELLM_PROXY_API_KEY`. The options map onto
/// the proxy's request-body extensions:
///
/// | builder | body field | |
/// |---|---|---|
/// | [`fallback_models`](Self::fallback_models) | `fallbacks` | models tried in order after the request's model fails (the request's own model is left out) |
/// | [`num_retries`](Self::num_retries) | `num_retries` | retries of a failed call to one model |
/// | [`timeout`](Self::timeout) / [`timeout_secs`](Self::timeout_secs) | `timeout` | seconds the proxy waits for one call to a model |
/// | [`metadata`](Self::metadata), [`metadata_with`](Self::metadata_with) | `metadata` | kept with the call by the proxy (logs, callbacks, spend) |
/// | [`tags`](Self::tags) | `tags` | spend per tag, tag-based routing |
/// | [`cache`](Self::cache) | `cache` | default cache controls ([`CacheControl`]) |
/// | [`end_user`](Self::end_user), [`end_user_with`](Self::end_user_with) | `user` | the end user (default: the request's user) |
///
/// Per request, [`LiteLLMRequest`](crate::LiteLLMRequest) sets metadata, tags,
/// cache controls and the end user on the `ChatRequest`; a request's own
/// values win over the gateway's. Every option that does not change per call
/// is validated and built once, when the app checks its gateways at start-up.
///
/// Responses put the proxy's facts in `HookContext::metadata["litellm"]`:
/// `cost`, `model_id`, `model_api_base`, `model_group`, `call_id`,
/// `attempted_retries`, `max_retries`, `attempted_fallbacks`, `cache_hit`,
/// `cache_key`, `overhead_ms`, `response_ms`; `usage.cost` is LiteLLM's own
/// figure when it sends one.
#[derive(Clone, Debug)]
pub struct LiteLLMGateway(CompileOnce<Settings>);

impl Default for LiteLLMGateway {
    /// Same as [`LiteLLMGateway::new`] (reads the environment).
    fn default() -> Self {
        Self::new()
    }
}

impl LiteLLMGateway {
    /// A gateway configured from the environment: the base URL from
    /// `LITELLM_PROXY_API_BASE` (default `http://localhost:4000`), the API key
    /// from `LITELLM_PROXY_API_KEY` (none when unset: a proxy without a
    /// master key needs none). Builder calls override both.
    pub fn new() -> Self {
        Self(CompileOnce::new(Settings::from_env()))
    }

    /// A builder call: changes the settings (compiled again on next use).
    fn edit(self, change: impl FnOnce(&mut Settings)) -> Self {
        Self(self.0.edit(change))
    }

    /// The proxy's API key (its master key or a virtual key), sent as
    /// `Authorization: Bearer ...`, instead of `LITELLM_PROXY_API_KEY`.
    pub fn api_key(self, api_key: impl Into<Secret>) -> Self {
        self.edit(|settings| settings.api_key = Some(Setting::given(api_key.into())))
    }

    /// Where the proxy is, e.g. `http://127.0.0.1:4000` (LiteLLM's
    /// `api_base`), instead of `LITELLM_PROXY_API_BASE`. With or without
    /// `/v1`: the proxy serves both.
    pub fn base_url(self, base_url: impl AsRef<str>) -> Self {
        let base_url = BaseUrl::given(base_url);
        self.edit(|settings| settings.base_url = base_url)
    }

    /// Models the proxy tries, in order, after the request's own model fails
    /// (the body's `fallbacks`; each a `model_name` of the proxy's
    /// `model_list`). The request's own model is left out of the list it
    /// sends, so the seed's `["gpt-4o", "claude-3-sonnet", "gemini-pro"]`
    /// with a `gpt-4o` request falls back to Claude, then Gemini.
    ///
    /// `[]` does not compile; a `Vec` known only at run time is checked at
    /// start-up (at least one model, no blank name, no repeat).
    pub fn fallback_models(self, models: impl IntoFallbackModels) -> Self {
        self.edit(|settings| settings.fallback_models = Some(models.into_fallback_models()))
    }

    /// Retries of a failed call to one model, before the proxy falls back
    /// (the body's `num_retries`; at least 1, checked at start-up).
    pub fn num_retries(self, retries: u32) -> Self {
        self.edit(|settings| settings.num_retries = Some(retries))
    }

    /// How long the proxy waits for one call to a model (the body's
    /// `timeout`, in seconds); a call that takes longer fails with 408 and is
    /// retried or falls back like any other failure.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.edit(|settings| settings.timeout_secs = Some(timeout.as_secs_f64()))
    }

    /// [`timeout`](Self::timeout) in seconds, e.g. a value read from a
    /// config file (finite and greater than 0, checked at start-up).
    pub fn timeout_secs(self, secs: f64) -> Self {
        self.edit(|settings| settings.timeout_secs = Some(secs))
    }

    /// FastAgentic's own limit per call, fallbacks and retries included
    /// (plain calls until the whole answer, streams until they open).
    pub fn client_timeout(self, timeout: Duration) -> Self {
        self.edit(|settings| settings.client_timeout = Some(timeout))
    }

    /// Applies options written as literals in
    /// [`litellm_options!`](crate::litellm_options), which checked them at
    /// compile time. Options it does not set are left as they are.
    pub fn options(self, options: LiteLLMOptions) -> Self {
        self.edit(|settings| {
            if let Some(models) = options.fallback_models {
                settings.fallback_models = Some(models.iter().map(|m| (*m).to_owned()).collect());
            }
            if let Some(retries) = options.num_retries {
                settings.num_retries = Some(retries);
            }
            if let Some(secs) = options.timeout_secs {
                settings.timeout_secs = Some(secs);
            }
        })
    }

    /// A metadata entry sent with every call (the body's `metadata`).
    pub fn metadata(self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.edit(|settings| {
            settings.metadata.insert(key.into(), value.into());
        })
    }

    /// A metadata entry computed per call, e.g.
    /// `.metadata_with("run_id", |ctx| Some(ctx.run_id().to_string().into()))`;
    /// `None` leaves it out.
    pub fn metadata_with<F>(self, key: impl Into<String>, value: F) -> Self
    where
        F: Fn(&CallContext) -> Option<Value> + Send + Sync + 'static,
    {
        self.edit(|settings| settings.metadata_with.push(key, value))
    }

    /// Tags sent with every call (the body's `tags`), beside a request's own.
    pub fn tags<I, S>(self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.edit(|settings| {
            settings.tags.extend(tags.into_iter().map(Into::into));
        })
    }

    /// Default cache controls of every call (the body's `cache`); a
    /// request's own controls win, key by key.
    pub fn cache(self, cache: CacheControl) -> Self {
        self.edit(|settings| settings.cache = Some(cache))
    }

    /// Tells the proxy every call is for this end user (the body's `user`),
    /// instead of the request's user.
    pub fn end_user(self, user: impl Into<String>) -> Self {
        self.edit(|settings| settings.end_user = EndUser::Fixed(user.into()))
    }

    /// Computes the end user per call, e.g. `.end_user_with(|ctx|
    /// ctx.user_id().map(|id| format!("tenant-a:{id}")))`; `None` sends none.
    /// By default the request's user ([`CallContext::user_id`]) is sent.
    pub fn end_user_with<F>(self, user: F) -> Self
    where
        F: Fn(&CallContext) -> Option<String> + Send + Sync + 'static,
    {
        self.edit(|settings| settings.end_user = EndUser::With(PerCall::new(user)))
    }

    /// Uses another `reqwest::Client` instead of the shared pool.
    pub fn http_client(self, http: reqwest::Client) -> Self {
        self.edit(|settings| settings.http = Some(http))
    }

    /// The base URL requests go to.
    pub fn base_url_str(&self) -> &str {
        self.0.settings().base_url.as_str()
    }
}

kit_gateway!(LiteLLMGateway, NAME);
