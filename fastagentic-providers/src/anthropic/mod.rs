//! [`AnthropicGateway`]: Anthropic's Messages API behind FastAgentic's
//! OpenAI-shaped types.

mod request;
mod response;

use std::time::Duration;

use fastagentic::gateway::kit::{
    BaseUrl, Compile, CompileOnce, Facts, Outgoing, PerRequest, Ready, Setting, Transport,
    secret_header,
};
use fastagentic::gateway::{ConfigProblems, UpstreamReply};
use fastagentic::llm::{ChatStream, EmbeddingRequest, EmbeddingResponse};
use fastagentic::{CallContext, ChatRequest, ChatResponse, Error, GatewayError, Secret};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::http_post::{Poster, sse_data};

const NAME: &str = "anthropic";
const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
const API_KEY_ENV: &str = "ANTHROPIC_API_KEY";
const BASE_URL_ENV: &str = "ANTHROPIC_BASE_URL";
/// The `anthropic-version` sent unless [`AnthropicGateway::version`] says otherwise.
const DEFAULT_VERSION: &str = "2023-06-01";

/// The `max_tokens` sent when a request has none (Anthropic requires it;
/// OpenAI's default is "as many as fit"): 4096, which every current Claude
/// model accepts. Change it with [`AnthropicGateway::default_max_tokens`].
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// A gateway to Anthropic's Messages API (`POST {base}/v1/messages`).
///
/// Requests and answers are translated field by field (system prompts,
/// multi-turn, tools and tool results, images, stop sequences,
/// `max_tokens`, temperature, top_p; streams as OpenAI chunks, usage last).
/// OpenAI parameters Anthropic cannot honour (`n > 1`, `logprobs`) are
/// refused with a 400 ([`GatewayError::Rejected`]) rather than dropped.
/// Anthropic has no embeddings API: `embed` answers
/// [`GatewayError::Unsupported`], which a fallback chain passes over.
///
/// ```no_run
/// use fastagentic_providers::AnthropicGateway;
/// # fn main() -> Result<(), fastagentic::Error> {
/// let from_env = AnthropicGateway::from_env()?; // ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
/// let local = AnthropicGateway::new("sk-ant-test")
///     .base_url("http://127.0.0.1:9000")
///     .default_max_tokens(1024);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AnthropicGateway(CompileOnce<Settings>);

/// What an [`AnthropicGateway`] is given.
#[derive(Clone, Debug)]
struct Settings {
    api_key: Setting<Secret>,
    base_url: BaseUrl,
    version: String,
    max_tokens: u64,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl AnthropicGateway {
    /// A gateway to Anthropic's API with `api_key` (sent as `x-api-key`).
    pub fn new(api_key: impl Into<Secret>) -> Self {
        Self::with(
            Setting::given(api_key.into()),
            BaseUrl::default_value(DEFAULT_BASE_URL),
        )
    }

    fn with(api_key: Setting<Secret>, base_url: BaseUrl) -> Self {
        Self(CompileOnce::new(Settings {
            api_key,
            base_url,
            version: DEFAULT_VERSION.to_owned(),
            max_tokens: DEFAULT_MAX_TOKENS,
            timeout: None,
            http: None,
        }))
    }

    /// Reads `ANTHROPIC_API_KEY` (required) and `ANTHROPIC_BASE_URL`
    /// (optional), as Anthropic's SDKs do.
    pub fn from_env() -> Result<Self, Error> {
        let key = Setting::secret_from_env(API_KEY_ENV).ok_or(Error::MissingEnv {
            var: API_KEY_ENV,
            hint: "export ANTHROPIC_API_KEY=sk-ant-...",
        })?;
        Ok(Self::with(
            key,
            BaseUrl::from_env_or(BASE_URL_ENV, DEFAULT_BASE_URL),
        ))
    }

    /// Sends requests to another server speaking the Messages API (the
    /// base URL without `/v1`).
    pub fn base_url(self, base_url: impl AsRef<str>) -> Self {
        let base_url = BaseUrl::given(base_url);
        self.edit(|settings| settings.base_url = base_url)
    }

    /// The `anthropic-version` header (default `2023-06-01`).
    pub fn version(self, version: impl Into<String>) -> Self {
        let version = version.into();
        self.edit(|settings| settings.version = version)
    }

    /// The `max_tokens` sent when a request sets none (default [`DEFAULT_MAX_TOKENS`]).
    pub fn default_max_tokens(self, max_tokens: u64) -> Self {
        self.edit(|settings| settings.max_tokens = max_tokens)
    }

    /// Limits each call (plain calls until the whole answer, streams until they open).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.edit(|settings| settings.timeout = Some(timeout))
    }

    /// Uses another `reqwest::Client` instead of the gateway's own pool.
    pub fn http_client(self, http: reqwest::Client) -> Self {
        self.edit(|settings| settings.http = Some(http))
    }

    fn edit(self, change: impl FnOnce(&mut Settings)) -> Self {
        Self(self.0.edit(change))
    }
}

impl Compile for Settings {
    type Compiled = Compiled;

    fn compile(&self) -> Result<Compiled, GatewayError> {
        let mut problems = ConfigProblems::new(NAME);
        let url = match self.base_url.check(
            "`https://api.anthropic.com`",
            "ANTHROPIC_API_KEY or `AnthropicGateway::new(key)`",
        ) {
            Ok(base) => reqwest::Url::parse(&format!(
                "{}/v1/messages",
                base.as_str().trim_end_matches('/')
            ))
            .ok(),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        if self.max_tokens == 0 {
            problems.push("the default max_tokens is 0: Anthropic needs at least 1");
        }
        let mut poster = Poster::new(NAME, response::error_message);
        poster.set_timeout(self.timeout);
        if let Some(http) = &self.http {
            poster.set_http_client(http.clone());
        }
        match secret_header(
            "the API key",
            &self.api_key,
            "",
            "set ANTHROPIC_API_KEY or pass a key to AnthropicGateway::new",
        ) {
            Ok(value) => poster.set_header(HeaderName::from_static("x-api-key"), value),
            Err(problem) => problems.push(problem),
        }
        match HeaderValue::from_str(&self.version) {
            Ok(value) => poster.set_header(HeaderName::from_static("anthropic-version"), value),
            Err(_) => problems.push(format!(
                "the anthropic-version `{}` cannot be a header value",
                self.version
            )),
        }
        match (problems.into_error(), url) {
            (Some(error), _) => Err(error),
            (None, Some(url)) => Ok(Compiled {
                transport: Messages {
                    poster,
                    url,
                    max_tokens: self.max_tokens,
                },
            }),
            (None, None) => Err(GatewayError::config(NAME, "the base URL does not parse")),
        }
    }
}

/// An [`AnthropicGateway`], ready to call.
struct Compiled {
    transport: Messages,
}

impl Ready for Compiled {
    type Sent = ();
    type Transport = Messages;

    fn client(&self) -> &Messages {
        &self.transport
    }

    fn per_request(&self, _call: &CallContext, _outgoing: Outgoing<'_>) -> PerRequest<()> {
        PerRequest::default()
    }

    /// Anthropic's request id, for support tickets.
    fn facts(&self, headers: &HeaderMap, _sent: ()) -> Facts {
        let request_id = headers.get("request-id").and_then(|v| v.to_str().ok());
        Facts {
            section: request_id.map(|id| serde_json::json!({"request_id": id})),
            cost: None,
        }
    }
}

/// The Messages API transport: translates, posts, translates back.
struct Messages {
    poster: Poster,
    url: reqwest::Url,
    max_tokens: u64,
}

impl Transport for Messages {
    fn provider(&self) -> &str {
        self.poster.provider()
    }

    fn static_headers(&self) -> &HeaderMap {
        self.poster.headers()
    }

    async fn chat(
        &self,
        request: &ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> Result<UpstreamReply<ChatResponse>, GatewayError> {
        let body = request::to_anthropic(request, self.max_tokens, false)?;
        let (headers, bytes) = self.poster.post(&self.url, &body, extra_headers).await?;
        let message: Value = serde_json::from_slice(&bytes)
            .map_err(|e| self.poster.malformed(e.to_string(), &bytes))?;
        let body = response::to_openai(&message).map_err(|e| self.poster.malformed(e, &bytes))?;
        Ok(UpstreamReply { body, headers })
    }

    async fn chat_stream(
        &self,
        request: ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> Result<(HeaderMap, ChatStream), GatewayError> {
        let include_usage = request
            .stream_options
            .as_ref()
            .and_then(|options| options.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let body = request::to_anthropic(&request, self.max_tokens, true)?;
        let response = self.poster.open(&self.url, &body, extra_headers).await?;
        let headers = response.headers().clone();
        let chunks = response::chunks(
            self.poster.provider_arc(),
            sse_data(response),
            include_usage,
        );
        Ok((headers, ChatStream::new(chunks)))
    }

    async fn embed(
        &self,
        _request: &EmbeddingRequest,
        _extra_headers: Option<HeaderMap>,
    ) -> Result<UpstreamReply<EmbeddingResponse>, GatewayError> {
        Err(GatewayError::Unsupported {
            gateway: NAME.to_owned(),
            operation: "embed".to_owned(),
        })
    }
}

fastagentic::kit_gateway!(AnthropicGateway, NAME);
