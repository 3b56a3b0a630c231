//! [`LiteLLMGateway`]: every LLM call through a LiteLLM proxy, with the
//! options users of the proxy expect.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fastagentic::{
    BoxFuture, CallContext, ChatRequest, ChatResponse, ChatStream, EmbeddingRequest,
    EmbeddingResponse, GatewayError, LlmGateway, Secret,
};
use serde_json::{Map, Value};

use crate::facts::Facts;
use crate::prepared::Prepared;
use crate::{CacheControl, IntoFallbackModels, LiteLLMOptions};

/// The environment variable holding the proxy's base URL (the LiteLLM
/// ecosystem's own name for it).
pub const API_BASE_ENV: &str = "LITELLM_PROXY_API_BASE";
/// The environment variable holding the proxy's API key (its master key or a
/// virtual key).
pub const API_KEY_ENV: &str = "LITELLM_PROXY_API_KEY";
/// Where the proxy listens by default (`litellm --config ...` serves port 4000).
pub const DEFAULT_API_BASE: &str = "http://localhost:4000";
/// The gateway's name: its logs, its errors and its section of
/// `HookContext::metadata`.
pub const NAME: &str = "litellm";

/// A metadata value computed per call.
pub(crate) type MetadataFn = Arc<dyn Fn(&CallContext) -> Option<Value> + Send + Sync>;
/// An end-user id computed per call.
pub(crate) type EndUserFn = Arc<dyn Fn(&CallContext) -> Option<String> + Send + Sync>;

/// Who the proxy is told the end user is (the body's `user`).
#[derive(Clone)]
pub(crate) enum EndUser {
    /// The request's user ([`CallContext::user_id`]), when there is one.
    FromCall,
    /// Always this id.
    Fixed(String),
    /// Computed per call.
    With(EndUserFn),
}

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
#[derive(Clone)]
pub struct LiteLLMGateway {
    pub(crate) api_key: Option<Secret>,
    pub(crate) api_key_from_env: bool,
    pub(crate) base_url: String,
    pub(crate) base_url_from_env: bool,
    pub(crate) fallback_models: Option<Vec<String>>,
    pub(crate) num_retries: Option<u32>,
    pub(crate) timeout_secs: Option<f64>,
    pub(crate) client_timeout: Option<Duration>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) metadata_with: Vec<(String, MetadataFn)>,
    pub(crate) tags: Vec<String>,
    pub(crate) cache: Option<CacheControl>,
    pub(crate) end_user: EndUser,
    pub(crate) http: Option<reqwest::Client>,
    prepared: OnceLock<Result<Prepared, GatewayError>>,
}

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
        let base_url = std::env::var(API_BASE_ENV)
            .ok()
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty());
        let api_key = Secret::from_env(API_KEY_ENV);
        Self {
            api_key_from_env: api_key.is_some(),
            api_key,
            base_url_from_env: base_url.is_some(),
            base_url: base_url.unwrap_or_else(|| DEFAULT_API_BASE.to_owned()),
            fallback_models: None,
            num_retries: None,
            timeout_secs: None,
            client_timeout: None,
            metadata: Map::new(),
            metadata_with: Vec::new(),
            tags: Vec::new(),
            cache: None,
            end_user: EndUser::FromCall,
            http: None,
            prepared: OnceLock::new(),
        }
    }

    /// Forgets what was prepared: a builder call changed the gateway.
    fn changed(mut self) -> Self {
        self.prepared = OnceLock::new();
        self
    }

    /// The proxy's API key (its master key or a virtual key), sent as
    /// `Authorization: Bearer ...`, instead of `LITELLM_PROXY_API_KEY`.
    pub fn api_key(mut self, api_key: impl Into<Secret>) -> Self {
        self.api_key = Some(api_key.into());
        self.api_key_from_env = false;
        self.changed()
    }

    /// Where the proxy is, e.g. `http://127.0.0.1:4000` (LiteLLM's
    /// `api_base`), instead of `LITELLM_PROXY_API_BASE`. With or without
    /// `/v1`: the proxy serves both.
    pub fn base_url(mut self, base_url: impl AsRef<str>) -> Self {
        self.base_url = base_url.as_ref().trim().to_owned();
        self.base_url_from_env = false;
        self.changed()
    }

    /// Models the proxy tries, in order, after the request's own model fails
    /// (the body's `fallbacks`; each a `model_name` of the proxy's
    /// `model_list`). The request's own model is left out of the list it
    /// sends, so the seed's `["gpt-4o", "claude-3-sonnet", "gemini-pro"]`
    /// with a `gpt-4o` request falls back to Claude, then Gemini.
    ///
    /// `[]` does not compile; a `Vec` known only at run time is checked at
    /// start-up (at least one model, no blank name, no repeat).
    pub fn fallback_models(mut self, models: impl IntoFallbackModels) -> Self {
        self.fallback_models = Some(models.into_fallback_models());
        self.changed()
    }

    /// Retries of a failed call to one model, before the proxy falls back
    /// (the body's `num_retries`; at least 1, checked at start-up).
    pub fn num_retries(mut self, retries: u32) -> Self {
        self.num_retries = Some(retries);
        self.changed()
    }

    /// How long the proxy waits for one call to a model (the body's
    /// `timeout`, in seconds); a call that takes longer fails with 408 and is
    /// retried or falls back like any other failure.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_secs = Some(timeout.as_secs_f64());
        self.changed()
    }

    /// [`timeout`](Self::timeout) in seconds, e.g. a value read from a
    /// config file (finite and greater than 0, checked at start-up).
    pub fn timeout_secs(mut self, secs: f64) -> Self {
        self.timeout_secs = Some(secs);
        self.changed()
    }

    /// FastAgentic's own limit per call, fallbacks and retries included
    /// (plain calls until the whole answer, streams until they open).
    pub fn client_timeout(mut self, timeout: Duration) -> Self {
        self.client_timeout = Some(timeout);
        self.changed()
    }

    /// Applies options written as literals in
    /// [`litellm_options!`](crate::litellm_options), which checked them at
    /// compile time. Options it does not set are left as they are.
    pub fn options(mut self, options: LiteLLMOptions) -> Self {
        if let Some(models) = options.fallback_models {
            self.fallback_models = Some(models.iter().map(|m| (*m).to_owned()).collect());
        }
        if let Some(retries) = options.num_retries {
            self.num_retries = Some(retries);
        }
        if let Some(secs) = options.timeout_secs {
            self.timeout_secs = Some(secs);
        }
        self.changed()
    }

    /// A metadata entry sent with every call (the body's `metadata`).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self.changed()
    }

    /// A metadata entry computed per call, e.g.
    /// `.metadata_with("run_id", |ctx| Some(ctx.run_id().to_string().into()))`;
    /// `None` leaves it out.
    pub fn metadata_with<F>(mut self, key: impl Into<String>, value: F) -> Self
    where
        F: Fn(&CallContext) -> Option<Value> + Send + Sync + 'static,
    {
        self.metadata_with.push((key.into(), Arc::new(value)));
        self.changed()
    }

    /// Tags sent with every call (the body's `tags`), beside a request's own.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags.extend(tags.into_iter().map(Into::into));
        self.changed()
    }

    /// Default cache controls of every call (the body's `cache`); a
    /// request's own controls win, key by key.
    pub fn cache(mut self, cache: CacheControl) -> Self {
        self.cache = Some(cache);
        self.changed()
    }

    /// Tells the proxy every call is for this end user (the body's `user`),
    /// instead of the request's user.
    pub fn end_user(mut self, user: impl Into<String>) -> Self {
        self.end_user = EndUser::Fixed(user.into());
        self.changed()
    }

    /// Computes the end user per call, e.g. `.end_user_with(|ctx|
    /// ctx.user_id().map(|id| format!("tenant-a:{id}")))`; `None` sends none.
    /// By default the request's user ([`CallContext::user_id`]) is sent.
    pub fn end_user_with<F>(mut self, user: F) -> Self
    where
        F: Fn(&CallContext) -> Option<String> + Send + Sync + 'static,
    {
        self.end_user = EndUser::With(Arc::new(user));
        self.changed()
    }

    /// Uses another `reqwest::Client` instead of the shared pool.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self.changed()
    }

    /// The base URL requests go to.
    pub fn base_url_str(&self) -> &str {
        &self.base_url
    }

    /// What is built once: validated options, headers, static body fields.
    pub(crate) fn prepared(&self) -> Result<&Prepared, GatewayError> {
        self.prepared
            .get_or_init(|| Prepared::build(self))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl fmt::Debug for LiteLLMGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dynamic: Vec<&str> = self
            .metadata_with
            .iter()
            .map(|(key, _)| key.as_str())
            .collect();
        let end_user = match &self.end_user {
            EndUser::FromCall => "from the call".to_owned(),
            EndUser::Fixed(user) => format!("{user:?}"),
            EndUser::With(_) => "computed per call".to_owned(),
        };
        f.debug_struct("LiteLLMGateway")
            .field("base_url", &shown_url(&self.base_url))
            .field("api_key", &self.api_key)
            .field("fallback_models", &self.fallback_models)
            .field("num_retries", &self.num_retries)
            .field("timeout_secs", &self.timeout_secs)
            .field("client_timeout", &self.client_timeout)
            .field("metadata", &self.metadata)
            .field("metadata_with", &dynamic)
            .field("tags", &self.tags)
            .field("cache", &self.cache)
            .field("end_user", &end_user)
            .finish_non_exhaustive()
    }
}

impl LlmGateway for LiteLLMGateway {
    fn name(&self) -> &str {
        NAME
    }

    fn chat<'a>(
        &'a self,
        call: &'a CallContext,
        mut request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
        Box::pin(async move {
            let prepared = self.prepared()?;
            prepared.apply_chat(call, &mut request);
            match prepared.client.chat(&request, None).await {
                Ok(reply) => {
                    let mut response = reply.body;
                    Facts::read(&reply.headers)
                        .record(&mut response.usage, &mut response.gateway_metadata);
                    Ok(response)
                }
                Err(error) => Err(prepared.diagnose(error)),
            }
        })
    }

    fn chat_stream<'a>(
        &'a self,
        call: &'a CallContext,
        mut request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
        Box::pin(async move {
            let prepared = self.prepared()?;
            prepared.apply_chat(call, &mut request);
            match prepared.client.chat_stream(request, None).await {
                // The cost is not known when a stream opens: the proxy sends
                // it in the last chunk's `usage.cost`, which the client reads.
                Ok((headers, stream)) => {
                    Ok(stream.with_metadata(NAME, Facts::read(&headers).section))
                }
                Err(error) => Err(prepared.diagnose(error)),
            }
        })
    }

    fn embed<'a>(
        &'a self,
        call: &'a CallContext,
        mut request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
        Box::pin(async move {
            let prepared = self.prepared()?;
            prepared.apply_embedding(call, &mut request);
            match prepared.client.embed(&request, None).await {
                Ok(reply) => {
                    let mut response = reply.body;
                    Facts::read(&reply.headers)
                        .record(&mut response.usage, &mut response.gateway_metadata);
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

/// A URL fit for messages: credentials before an `@` are masked.
pub(crate) fn shown_url(url: &str) -> String {
    let start = url.find("://").map_or(0, |scheme| scheme + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |end| start + end);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn urls_in_messages_never_show_credentials() {
        assert_eq!(shown_url("http://localhost:4000"), "http://localhost:4000");
        assert_eq!(
            shown_url("http://admin:sk-1@proxy:4000/v1"),
            "http://***@proxy:4000/v1"
        );
        assert_eq!(shown_url("admin:sk-1@proxy:4000"), "***@proxy:4000");
        assert_eq!(
            shown_url("http://proxy:4000/v1@x"),
            "http://proxy:4000/v1@x"
        );
    }
}
