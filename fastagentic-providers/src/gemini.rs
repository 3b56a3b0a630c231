//! [`GeminiGateway`]: Google Gemini through its OpenAI-compatible endpoint.
//!
//! Why that endpoint and not the native `generateContent` API: Google
//! maintains it for exactly this use (OpenAI-format chat, streaming with
//! usage, tools, images, embeddings), so requests and answers pass through
//! the same transport as OpenAI's without a translation of ours that could
//! drift; the native API's extras (safety ratings per answer, grounding,
//! cached contents) are the price, and are listed in `docs/providers.md`.

use std::time::Duration;

use fastagentic::gateway::kit::{
    BaseUrl, Compile, CompileOnce, Facts, Outgoing, PerRequest, Ready, Setting, explain_upstream,
    secret_header,
};
use fastagentic::gateway::{ConfigProblems, OpenAiCompatClient};
use fastagentic::llm::Role;
use fastagentic::{CallContext, Error, GatewayError, Secret};
use http::HeaderMap;
use serde_json::Value;

const NAME: &str = "google";
/// Google's OpenAI-compatible endpoint for Gemini.
const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta/openai";
const GEMINI_KEY_ENV: &str = "GEMINI_API_KEY";
const GOOGLE_KEY_ENV: &str = "GOOGLE_API_KEY";

/// A gateway to Google Gemini (`POST {base}/chat/completions` on
/// `generativelanguage.googleapis.com/v1beta/openai`, the key as a bearer
/// token). Its name, and the key of its metadata section, is `google`
/// (Portkey's slug).
///
/// ```no_run
/// use fastagentic_providers::GeminiGateway;
/// # fn main() -> Result<(), fastagentic::Error> {
/// let from_env = GeminiGateway::from_env()?; // GOOGLE_API_KEY, else GEMINI_API_KEY
/// let given = GeminiGateway::new("AIza...");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct GeminiGateway(CompileOnce<Settings>);

/// What a [`GeminiGateway`] is given.
#[derive(Clone, Debug)]
struct Settings {
    api_key: Setting<Secret>,
    base_url: BaseUrl,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl GeminiGateway {
    /// A gateway to Gemini with `api_key`.
    pub fn new(api_key: impl Into<Secret>) -> Self {
        Self::with(Setting::given(api_key.into()))
    }

    fn with(api_key: Setting<Secret>) -> Self {
        Self(CompileOnce::new(Settings {
            api_key,
            base_url: BaseUrl::default_value(DEFAULT_BASE_URL),
            timeout: None,
            http: None,
        }))
    }

    /// Reads `GOOGLE_API_KEY`, else `GEMINI_API_KEY`: Google's SDKs read
    /// both, and the first wins when both are set.
    pub fn from_env() -> Result<Self, Error> {
        let key = Setting::secret_from_env(GOOGLE_KEY_ENV)
            .or_else(|| Setting::secret_from_env(GEMINI_KEY_ENV))
            .ok_or(Error::MissingEnv {
                var: GEMINI_KEY_ENV,
                hint: "export GEMINI_API_KEY=... (or GOOGLE_API_KEY)",
            })?;
        Ok(Self::with(key))
    }

    /// Sends requests to another server with Gemini's OpenAI-compatible
    /// paths (the base URL ends before `/chat/completions`).
    pub fn base_url(self, base_url: impl AsRef<str>) -> Self {
        let base_url = BaseUrl::given(base_url);
        self.edit(|settings| settings.base_url = base_url)
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
        if let Err(problem) = self.base_url.check(
            "`https://generativelanguage.googleapis.com/v1beta/openai`",
            "GEMINI_API_KEY or `GeminiGateway::new(key)`",
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
            "set GEMINI_API_KEY or pass a key to GeminiGateway::new",
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

/// A [`GeminiGateway`], ready to call.
struct Compiled {
    client: OpenAiCompatClient,
}

impl Ready for Compiled {
    type Sent = ();
    type Transport = OpenAiCompatClient;

    fn client(&self) -> &OpenAiCompatClient {
        &self.client
    }

    /// Developer messages go as system messages: Google's compatible
    /// endpoint knows the system, user, assistant and tool roles (the
    /// Portkey gateway and LiteLLM map the role the same way).
    fn per_request(&self, _call: &CallContext, outgoing: Outgoing<'_>) -> PerRequest<()> {
        if let Outgoing::Chat(request) = outgoing {
            for message in &mut request.messages {
                if message.role == Role::Developer {
                    message.role = Role::System;
                }
            }
        }
        PerRequest::default()
    }

    fn facts(&self, _headers: &HeaderMap, _sent: ()) -> Facts {
        Facts::default()
    }

    /// Google's errors come as a list, `[{"error": {"code", "message",
    /// "status"}}]`, which the OpenAI reader shows raw: read the message and
    /// the status name.
    fn diagnose(&self, error: GatewayError) -> GatewayError {
        explain_upstream(error, |failure| {
            if let Some(message) = google_message(failure.body.as_bytes()) {
                failure.message = message;
            }
        })
    }
}

/// `STATUS: message` of a Google error body (a list or a single object).
pub(crate) fn google_message(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let error = match &json {
        Value::Array(list) => list.first()?.get("error")?,
        other => other.get("error")?,
    };
    let message = error.get("message").and_then(Value::as_str)?;
    Some(match error.get("status").and_then(Value::as_str) {
        Some(status) => format!("{status}: {message}"),
        None => message.to_owned(),
    })
}

fastagentic::kit_gateway!(GeminiGateway, NAME);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_errors_read_from_a_list() {
        let body = br#"[{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}]"#;
        assert_eq!(
            google_message(body).as_deref(),
            Some("INVALID_ARGUMENT: API key not valid.")
        );
    }
}
