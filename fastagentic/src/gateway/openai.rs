//! `OpenAiGateway`: any OpenAI-compatible chat-completions API.

use std::time::Duration;

use super::{BoxFuture, CallContext, GatewayError, LlmGateway, OpenAiCompatClient};
use crate::llm::{ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse};
use crate::{Error, Secret};

const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

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
pub struct OpenAiGateway {
    client: OpenAiCompatClient,
    api_key: Option<Secret>,
}

impl OpenAiGateway {
    /// A gateway to OpenAI's API with `api_key`.
    pub fn new(api_key: impl Into<Secret>) -> Self {
        let api_key = api_key.into();
        let mut client = OpenAiCompatClient::new("openai", DEFAULT_BASE_URL);
        client.set_bearer(&api_key);
        Self {
            client,
            api_key: Some(api_key),
        }
    }

    /// Reads `OPENAI_API_KEY` (required) and `OPENAI_BASE_URL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        let key = Secret::from_env("OPENAI_API_KEY").ok_or(Error::MissingEnv {
            var: "OPENAI_API_KEY",
            hint: "export OPENAI_API_KEY=sk-... (or use the demo gateway, which needs no key)",
        })?;
        let gateway = Self::new(key);
        Ok(match std::env::var("OPENAI_BASE_URL") {
            Ok(url) if !url.trim().is_empty() => gateway.base_url(url.trim()),
            _ => gateway,
        })
    }

    /// Sends requests to another OpenAI-compatible server.
    pub fn base_url(mut self, base_url: impl AsRef<str>) -> Self {
        self.client.set_base_url(base_url.as_ref());
        self
    }

    /// Limits each call (plain calls until the whole answer, streams until they open).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.client.set_timeout(Some(timeout));
        self
    }

    /// Uses another `reqwest::Client` instead of the shared pool.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.client.set_http_client(http);
        self
    }
}

impl LlmGateway for OpenAiGateway {
    fn name(&self) -> &str {
        "openai"
    }

    fn chat<'a>(
        &'a self,
        _call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
        Box::pin(async move { Ok(self.client.chat(&request, None).await?.body) })
    }

    fn chat_stream<'a>(
        &'a self,
        _call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
        Box::pin(async move { Ok(self.client.chat_stream(request, None).await?.1) })
    }

    fn embed<'a>(
        &'a self,
        _call: &'a CallContext,
        request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
        Box::pin(async move { Ok(self.client.embed(&request, None).await?.body) })
    }

    fn check(&self) -> Result<(), GatewayError> {
        match &self.api_key {
            Some(key) if !key.expose().trim().is_empty() => {}
            _ => {
                return Err(GatewayError::config(
                    "openai",
                    "the API key is empty: set OPENAI_API_KEY or pass a key to OpenAiGateway::new",
                ));
            }
        }
        if self
            .client
            .headers()
            .get(http::header::AUTHORIZATION)
            .is_none()
        {
            return Err(GatewayError::config(
                "openai",
                "the API key holds characters that cannot go in an HTTP header",
            ));
        }
        self.client.check_base_url("openai", " (OPENAI_BASE_URL)")
    }
}
