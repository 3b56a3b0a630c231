//! [`AzureOpenAiGateway`]: Azure OpenAI deployments.

use std::time::Duration;

use fastagentic::gateway::kit::{
    BaseUrl, Compile, CompileOnce, Facts, Outgoing, PerRequest, Ready, Setting, Transport,
    secret_header,
};
use fastagentic::gateway::{ConfigProblems, UpstreamReply};
use fastagentic::llm::{ChatChunk, ChatStream, EmbeddingRequest, EmbeddingResponse};
use fastagentic::{CallContext, ChatRequest, ChatResponse, Error, GatewayError, Secret};
use futures_util::StreamExt;
use http::{HeaderMap, HeaderName};
use serde_json::{Map, Value, json};

use crate::http_post::{Poster, sse_data};

const NAME: &str = "azure-openai";
const API_KEY_ENV: &str = "AZURE_OPENAI_API_KEY";
const AD_TOKEN_ENV: &str = "AZURE_OPENAI_AD_TOKEN";
const ENDPOINT_ENV: &str = "AZURE_OPENAI_ENDPOINT";
const API_VERSION_ENV: &str = "OPENAI_API_VERSION";
/// The `api-version` sent unless one is given: the latest GA data-plane version.
pub(crate) const DEFAULT_API_VERSION: &str = "2024-10-21";

/// A gateway to Azure OpenAI: `POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`.
///
/// The deployment is the one given to [`deployment`](Self::deployment), else
/// the request's `model` (so a fallback target's model names the
/// deployment, as in LiteLLM's `azure/<deployment>`). Credentials are the
/// `api-key` header, or a Microsoft Entra ID token sent as
/// `Authorization: Bearer`. Azure's content-filter results are put into the
/// answer's `gateway_metadata["azure-openai"]`, with the request id and region.
///
/// ```no_run
/// use fastagentic_providers::AzureOpenAiGateway;
/// # fn main() -> Result<(), fastagentic::Error> {
/// // AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN), AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION
/// let from_env = AzureOpenAiGateway::from_env()?;
/// let given = AzureOpenAiGateway::new("my-resource", "azure-key")
///     .deployment("gpt-4o-prod")
///     .api_version("2024-10-21");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AzureOpenAiGateway(CompileOnce<Settings>);

/// How the gateway proves who it is.
#[derive(Clone, Debug)]
enum Credential {
    ApiKey(Setting<Secret>),
    Bearer(Setting<Secret>),
}

/// What an [`AzureOpenAiGateway`] is given.
#[derive(Clone, Debug)]
struct Settings {
    credential: Credential,
    endpoint: BaseUrl,
    deployment: Option<String>,
    api_version: Setting<String>,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl AzureOpenAiGateway {
    /// A gateway to the Azure OpenAI resource `resource`
    /// (`https://{resource}.openai.azure.com`) with an `api-key`.
    pub fn new(resource: &str, api_key: impl Into<Secret>) -> Self {
        Self::with(
            Credential::ApiKey(Setting::given(api_key.into())),
            BaseUrl::given(format!("https://{resource}.openai.azure.com")),
            Setting::new(
                DEFAULT_API_VERSION.to_owned(),
                fastagentic::gateway::kit::Origin::Default,
            ),
        )
    }

    fn with(credential: Credential, endpoint: BaseUrl, api_version: Setting<String>) -> Self {
        Self(CompileOnce::new(Settings {
            credential,
            endpoint,
            deployment: None,
            api_version,
            timeout: None,
            http: None,
        }))
    }

    /// Reads `AZURE_OPENAI_API_KEY` (or, without it, `AZURE_OPENAI_AD_TOKEN`,
    /// sent as a bearer token), `AZURE_OPENAI_ENDPOINT` (required) and
    /// `OPENAI_API_VERSION` (optional), as OpenAI's Azure clients do.
    pub fn from_env() -> Result<Self, Error> {
        let credential = match Setting::secret_from_env(API_KEY_ENV) {
            Some(key) => Credential::ApiKey(key),
            None => Credential::Bearer(Setting::secret_from_env(AD_TOKEN_ENV).ok_or(
                Error::MissingEnv {
                    var: API_KEY_ENV,
                    hint: "export AZURE_OPENAI_API_KEY=... (or AZURE_OPENAI_AD_TOKEN for an Entra ID token)",
                },
            )?),
        };
        let endpoint = Setting::text_from_env(ENDPOINT_ENV).ok_or(Error::MissingEnv {
            var: ENDPOINT_ENV,
            hint: "export AZURE_OPENAI_ENDPOINT=https://<resource>.openai.azure.com",
        })?;
        let api_version = Setting::text_from_env(API_VERSION_ENV).unwrap_or_else(|| {
            Setting::new(
                DEFAULT_API_VERSION.to_owned(),
                fastagentic::gateway::kit::Origin::Default,
            )
        });
        Ok(Self::with(
            credential,
            BaseUrl::from_env_or(ENDPOINT_ENV, endpoint.value()),
            api_version,
        ))
    }

    /// The resource's endpoint, e.g. `https://my-resource.openai.azure.com`
    /// (or a local server speaking Azure's paths).
    pub fn endpoint(self, endpoint: impl AsRef<str>) -> Self {
        let endpoint = BaseUrl::given(endpoint);
        self.edit(|settings| settings.endpoint = endpoint)
    }

    /// Sends every request to this deployment, whatever its `model`.
    pub fn deployment(self, deployment: impl Into<String>) -> Self {
        let deployment = deployment.into();
        self.edit(|settings| settings.deployment = Some(deployment))
    }

    /// The `api-version` query parameter (default `2024-10-21`).
    pub fn api_version(self, api_version: impl Into<String>) -> Self {
        let api_version = Setting::given(api_version.into());
        self.edit(|settings| settings.api_version = api_version)
    }

    /// Authenticates with a Microsoft Entra ID token (`Authorization:
    /// Bearer`) instead of an `api-key`.
    pub fn bearer_token(self, token: impl Into<Secret>) -> Self {
        let token = Setting::given(token.into());
        self.edit(|settings| settings.credential = Credential::Bearer(token))
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
        let endpoint = match self.endpoint.check(
            "`https://my-resource.openai.azure.com`",
            "AZURE_OPENAI_API_KEY or `AzureOpenAiGateway::new(resource, key)`",
        ) {
            Ok(url) => Some(url),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        let version = self.api_version.value();
        if version.trim().is_empty()
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            problems.push(format!(
                "the api-version `{version}`{} is not a version such as `{DEFAULT_API_VERSION}`",
                self.api_version.origin().tail()
            ));
        }
        if self
            .deployment
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            problems.push("the deployment name is empty");
        }
        let mut poster = Poster::new(NAME, error_message);
        poster.set_timeout(self.timeout);
        if let Some(http) = &self.http {
            poster.set_http_client(http.clone());
        }
        let header = match &self.credential {
            Credential::ApiKey(key) => secret_header(
                "the API key",
                key,
                "",
                "set AZURE_OPENAI_API_KEY or pass a key to AzureOpenAiGateway::new",
            )
            .map(|value| (HeaderName::from_static("api-key"), value)),
            Credential::Bearer(token) => secret_header(
                "the Entra ID token",
                token,
                "Bearer ",
                "set AZURE_OPENAI_AD_TOKEN or pass a token to `bearer_token`",
            )
            .map(|value| (http::header::AUTHORIZATION, value)),
        };
        match header {
            Ok((name, value)) => poster.set_header(name, value),
            Err(problem) => problems.push(problem),
        }
        match (problems.into_error(), endpoint) {
            (Some(error), _) => Err(error),
            (None, Some(endpoint)) => Ok(Compiled {
                transport: Deployments {
                    poster,
                    endpoint,
                    deployment: self.deployment.clone(),
                    api_version: version.clone(),
                },
            }),
            (None, None) => Err(GatewayError::config(NAME, "the endpoint does not parse")),
        }
    }
}

/// An [`AzureOpenAiGateway`], ready to call.
struct Compiled {
    transport: Deployments,
}

impl Ready for Compiled {
    type Sent = ();
    type Transport = Deployments;

    fn client(&self) -> &Deployments {
        &self.transport
    }

    fn per_request(&self, _call: &CallContext, _outgoing: Outgoing<'_>) -> PerRequest<()> {
        PerRequest::default()
    }

    /// The transport puts the facts on answers itself: they come from the
    /// body (content filters) as well as the headers.
    fn facts(&self, _headers: &HeaderMap, _sent: ()) -> Facts {
        Facts::default()
    }
}

/// Azure's deployment URLs.
struct Deployments {
    poster: Poster,
    endpoint: reqwest::Url,
    deployment: Option<String>,
    api_version: String,
}

impl Deployments {
    /// `{endpoint}/openai/deployments/{deployment}/{operation}?api-version=...`.
    fn url(&self, model: &str, operation: &str) -> Result<reqwest::Url, GatewayError> {
        let deployment = self.deployment.as_deref().unwrap_or(model);
        if deployment.is_empty() {
            return Err(GatewayError::Rejected {
                status: 400,
                message:
                    "no deployment: set the request's model or `AzureOpenAiGateway::deployment`"
                        .to_owned(),
            });
        }
        let mut url = self.endpoint.clone();
        url.set_query(None);
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| GatewayError::config(NAME, "the endpoint cannot take a path"))?;
            segments.pop_if_empty();
            segments
                .extend(["openai", "deployments", deployment])
                .extend(operation.split('/'));
        }
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        Ok(url)
    }
}

/// The facts section of an answer: request id, region, content filters.
fn section(headers: &HeaderMap, body: Option<&ChatResponse>) -> Option<Value> {
    let mut facts = Map::new();
    for (header, key) in [("apim-request-id", "request_id"), ("x-ms-region", "region")] {
        if let Some(value) = headers.get(header).and_then(|v| v.to_str().ok()) {
            facts.insert(key.to_owned(), Value::from(value));
        }
    }
    if let Some(body) = body {
        if let Some(prompt) = body.extra.get("prompt_filter_results") {
            facts.insert("prompt_filter_results".to_owned(), prompt.clone());
        }
        let choices: Vec<Value> = body
            .choices
            .iter()
            .filter_map(|choice| choice.extra.get("content_filter_results").cloned())
            .collect();
        if !choices.is_empty() {
            facts.insert("content_filter_results".to_owned(), Value::Array(choices));
        }
    }
    (!facts.is_empty()).then_some(Value::Object(facts))
}

impl Transport for Deployments {
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
        let url = self.url(&request.model, "chat/completions")?;
        let body =
            serde_json::to_value(request).map_err(|e| self.poster.malformed(e.to_string(), b""))?;
        let (headers, bytes) = self.poster.post(&url, &body, extra_headers).await?;
        let mut answer: ChatResponse = serde_json::from_slice(&bytes)
            .map_err(|e| self.poster.malformed(e.to_string(), &bytes))?;
        if let Some(facts) = section(&headers, Some(&answer)) {
            answer.gateway_metadata.insert(NAME.to_owned(), facts);
        }
        Ok(UpstreamReply {
            body: answer,
            headers,
        })
    }

    async fn chat_stream(
        &self,
        mut request: ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> Result<(HeaderMap, ChatStream), GatewayError> {
        request.stream = Some(true);
        if request.stream_options.is_none() {
            request.stream_options = Some(json!({"include_usage": true}));
        }
        let url = self.url(&request.model, "chat/completions")?;
        let body = serde_json::to_value(&request)
            .map_err(|e| self.poster.malformed(e.to_string(), b""))?;
        let response = self.poster.open(&url, &body, extra_headers).await?;
        let headers = response.headers().clone();
        let provider = self.poster.provider_arc();
        let mut chunks = 0usize;
        let stream = sse_data(response)
            .take_while(|item| {
                let done = matches!(item, Ok(Some(data)) if data.as_ref() == b"[DONE]");
                std::future::ready(!done)
            })
            .map(move |item| {
                let broken = |message: String, chunks: usize| GatewayError::StreamInterrupted {
                    provider: provider.to_string(),
                    chunks,
                    message,
                };
                match item {
                    Ok(Some(data)) => match ChatChunk::from_json_bytes(data.clone()) {
                        Ok(chunk)
                            if chunk.choices.is_empty()
                                && chunk.usage.is_none()
                                && chunk.extra.contains_key("error") =>
                        {
                            Err(broken(error_message(&data).unwrap_or_default(), chunks))
                        }
                        Ok(chunk) => {
                            chunks += 1;
                            Ok(chunk)
                        }
                        Err(e) => Err(broken(format!("unreadable chunk ({e})"), chunks)),
                    },
                    Ok(None) => Err(broken(
                        "the stream ended without `data: [DONE]`".to_owned(),
                        chunks,
                    )),
                    Err(message) => Err(broken(message, chunks)),
                }
            })
            .scan(false, |failed, item: Result<ChatChunk, GatewayError>| {
                let out = if *failed { None } else { Some(item) };
                if let Some(Err(_)) = &out {
                    *failed = true;
                }
                std::future::ready(out)
            });
        let mut stream = ChatStream::new(stream);
        if let Some(facts) = section(&headers, None) {
            stream = stream.with_metadata(NAME, facts);
        }
        Ok((headers, stream))
    }

    async fn embed(
        &self,
        request: &EmbeddingRequest,
        extra_headers: Option<HeaderMap>,
    ) -> Result<UpstreamReply<EmbeddingResponse>, GatewayError> {
        let url = self.url(&request.model, "embeddings")?;
        let body =
            serde_json::to_value(request).map_err(|e| self.poster.malformed(e.to_string(), b""))?;
        let (headers, bytes) = self.poster.post(&url, &body, extra_headers).await?;
        let body: EmbeddingResponse = serde_json::from_slice(&bytes)
            .map_err(|e| self.poster.malformed(e.to_string(), &bytes))?;
        Ok(UpstreamReply { body, headers })
    }
}

/// Azure's error shapes: OpenAI's `{"error": {"code", "message"}}` (a
/// content-filter refusal adds `innererror.content_filter_result`, whose
/// filtered categories are named) and the API gateway's `{"statusCode",
/// "message"}`.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let Some(error) = json.get("error") else {
        return json
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned);
    };
    let message = error.get("message").and_then(Value::as_str)?;
    let code = error.get("code").and_then(|c| {
        c.as_str()
            .map(str::to_owned)
            .or_else(|| c.as_u64().map(|n| n.to_string()))
    });
    let mut text = match code {
        Some(code) if !message.contains(&code) => format!("{code}: {message}"),
        _ => message.to_owned(),
    };
    if let Some(filters) = error
        .pointer("/innererror/content_filter_result")
        .and_then(Value::as_object)
    {
        let filtered: Vec<&str> = filters
            .iter()
            .filter(|(_, result)| result.get("filtered").and_then(Value::as_bool) == Some(true))
            .map(|(category, _)| category.as_str())
            .collect();
        if !filtered.is_empty() {
            text.push_str(&format!(" (filtered: {})", filtered.join(", ")));
        }
    }
    Some(text)
}

fastagentic::kit_gateway!(AzureOpenAiGateway, NAME);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_filter_errors_name_the_categories() {
        let body = br#"{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400,
            "innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"high"}}}}}"#;
        assert_eq!(
            error_message(body).as_deref(),
            Some("content_filter: The response was filtered (filtered: violence)")
        );
        assert_eq!(
            error_message(
                br#"{"statusCode":401,"message":"Access denied due to invalid subscription key."}"#
            )
            .as_deref(),
            Some("Access denied due to invalid subscription key.")
        );
    }
}
