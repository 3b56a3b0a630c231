//! `OpenAiGateway`: any OpenAI-compatible chat-completions API.

use std::time::Duration;

use http::HeaderMap;

use super::kit::{
    BaseUrl, Compile, CompileOnce, Facts, Outgoing, PerRequest, Ready, Setting, secret_header,
};
use super::{CallContext, ConfigProblems, GatewayError, OpenAiCompatClient};
use crate::{Error, Secret};

const NAME: &str = "openai";
const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
const API_KEY_ENV: &str = "OPENAI_API_KEY";
const BASE_URL_ENV: &str = "OPENAI_BASE_URL";

/// A gateway to OpenAI or any OpenAI-compatible API (vLLM, Ollama, Azure's
/// compatible endpoint, a local mock).
///
/// ```no_run
/// use fastagentic::OpenAiGateway;
/// # fn main() -> Result<(), fastagentic::Error> {
/// let from_env = OpenAiGateway::from_env()?; // OPENAI_API_KEY, OPENAI_BASE_URL
/// let local = OpenAiGateway::new("sk-local").base_url("http://127.0.0.1:11434/v1");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OpenAiGateway(CompileOnce<Settings>);

/// What an [`OpenAiGateway`] is given.
#[derive(Clone, Debug)]
struct Settings {
    api_key: Setting<Secret>,
    base_url: BaseUrl,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl OpenAiGateway {
    /// A gateway to OpenAI's API with `api_key`.
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
            timeout: None,
            http: None,
        }))
    }

    /// Reads `OPENAI_API_KEY` (required) and `OPENAI_BASE_URL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        let key = Setting::secret_from_env(API_KEY_ENV).ok_or(Error::MissingEnv {
            var: API_KEY_ENV,
            hint: "export OPENAI_API_KEY=sk-... (or use the demo gateway, which needs no key)",
        })?;
        Ok(Self::with(
            key,
            BaseUrl::from_env_or(BASE_URL_ENV, DEFAULT_BASE_URL),
        ))
    }

    /// Sends requests to another OpenAI-compatible server.
    pub fn base_url(self, base_url: impl AsRef<str>) -> Self {
        let base_url = BaseUrl::given(base_url);
        self.edit(|settings| settings.base_url = base_url)
    }

    /// Limits each call (plain calls until the whole answer, streams until they open).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.edit(|settings| settings.timeout = Some(timeout))
    }

    /// Uses another `reqwest::Client` instead of the shared pool.
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
        if let Err(problem) = self.base_url.check(
            "`https://api.openai.com/v1`",
            "OPENAI_API_KEY or `OpenAiGateway::new(key)`",
        ) {
            problems.push(problem);
        }
        let mut client = OpenAiCompatClient::new(NAME, self.base_url.as_str());
        client.set_timeout(self.timeout);
        if let Some(http) = &self.http {
            client.set_http_client(http.clone());
        }
        match secret_header(
            "the API key",
            &self.api_key,
            "Bearer ",
            "set OPENAI_API_KEY or pass a key to OpenAiGateway::new",
        ) {
            Ok(value) => client.set_header(http::header::AUTHORIZATION, value),
            Err(problem) => problems.push(problem),
        }
        match problems.into_error() {
            Some(error) => Err(error),
            None => Ok(Compiled { client }),
        }
    }
}

/// An [`OpenAiGateway`], ready to call: the transport and nothing around it.
struct Compiled {
    client: OpenAiCompatClient,
}

impl Ready for Compiled {
    type Sent = ();
    type Transport = OpenAiCompatClient;

    fn client(&self) -> &OpenAiCompatClient {
        &self.client
    }

    fn per_request(&self, _call: &CallContext, _outgoing: Outgoing<'_>) -> PerRequest<()> {
        PerRequest::default()
    }

    fn facts(&self, _headers: &HeaderMap, _sent: ()) -> Facts {
        Facts::default()
    }
}

crate::kit_gateway!(OpenAiGateway, NAME);
