//! The three ways a corpus request reaches a provider's mock: the real
//! Portkey gateway, the real LiteLLM proxy, our adapters. Each way has its
//! own recording mock, so what it sent is never mixed with another's.

use std::collections::BTreeMap;

use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatRequest, GatewayError, LlmGateway};
use fastagentic_providers::{AnthropicGateway, AzureOpenAiGateway, GeminiGateway};
use fastagentic_tests::peers::{LiteLlmPeer, PortkeyPeer};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::normalize::{Observed, assemble_stream};
use super::{Entry, Provider};

const ANTHROPIC_KEY: &str = "sk-ant-corpus";
const AZURE_KEY: &str = "azure-corpus";
const GEMINI_KEY: &str = "AIza-corpus";
const AZURE_API_VERSION: &str = "2024-10-21";

/// What one way returned and sent, for one request.
pub struct Seen {
    /// Keyed `portkey`, `litellm`, `ours`.
    pub by_way: BTreeMap<&'static str, Observed>,
}

/// The peers, the mocks and our gateways, started once.
pub struct Ways {
    http: reqwest::Client,
    portkey: &'static PortkeyPeer,
    portkey_mock: MockProvider,
    litellm: LiteLlmPeer,
    litellm_mock: MockProvider,
    ours_mock: MockProvider,
    anthropic: AnthropicGateway,
    azure: AzureOpenAiGateway,
    gemini: GeminiGateway,
}

impl Ways {
    /// Starts the mocks, the Portkey gateway and a LiteLLM proxy whose model
    /// list names the three providers on its mock.
    pub async fn start() -> Self {
        let portkey_mock = MockProvider::start().await;
        let litellm_mock = MockProvider::start().await;
        let ours_mock = MockProvider::start().await;
        let root = litellm_mock.url();
        let config = json!({
            "model_list": [
                {"model_name": Provider::Anthropic.model(), "litellm_params": {
                    "model": format!("anthropic/{}", Provider::Anthropic.model()),
                    "api_base": root, "api_key": ANTHROPIC_KEY}},
                {"model_name": Provider::Azure.model(), "litellm_params": {
                    "model": format!("azure/{}", Provider::Azure.model()),
                    "api_base": root, "api_key": AZURE_KEY, "api_version": AZURE_API_VERSION}},
                {"model_name": Provider::Gemini.model(), "litellm_params": {
                    "model": format!("gemini/{}", Provider::Gemini.model()),
                    "api_base": format!("{root}/v1beta"), "api_key": GEMINI_KEY}},
            ],
            "router_settings": {"num_retries": 0},
            "litellm_settings": {"num_retries": 0},
        });
        let (portkey, litellm) = tokio::join!(PortkeyPeer::shared(), LiteLlmPeer::start(&config));
        let portkey =
            portkey.expect("the Portkey gateway (npm, pinned, under target/peers) is needed");
        let litellm =
            litellm.expect("the LiteLLM proxy (pip, pinned, under target/peers) is needed");
        let anthropic =
            AnthropicGateway::new(ANTHROPIC_KEY).base_url(ours_mock.anthropic_base_url());
        let azure = AzureOpenAiGateway::new("corpus", AZURE_KEY)
            .endpoint(ours_mock.azure_endpoint())
            .deployment(Provider::Azure.model())
            .api_version(AZURE_API_VERSION);
        let gemini = GeminiGateway::new(GEMINI_KEY).base_url(ours_mock.gemini_base_url());
        Self {
            http: reqwest::Client::new(),
            portkey,
            portkey_mock,
            litellm,
            litellm_mock,
            ours_mock,
            anthropic,
            azure,
            gemini,
        }
    }

    /// Sends `entry` to `provider` three ways, with the same scripted reply.
    pub async fn observe(&self, provider: Provider, entry: &Entry) -> Seen {
        let mut body = entry.request.clone();
        body["model"] = json!(provider.model());
        let reply = scripted(&entry.reply);
        let mut by_way = BTreeMap::new();
        for (way, mock) in [
            ("portkey", &self.portkey_mock),
            ("litellm", &self.litellm_mock),
            ("ours", &self.ours_mock),
        ] {
            mock.clear_requests();
            mock.set_default(reply.clone());
            let (status, answer) = match way {
                "portkey" => self.through_portkey(provider, &body).await,
                "litellm" => self.through_litellm(&body).await,
                _ => self.through_ours(provider, &body).await,
            };
            by_way.insert(
                way,
                Observed {
                    sent: mock.requests(),
                    status,
                    answer,
                },
            );
        }
        Seen { by_way }
    }

    async fn through_portkey(&self, provider: Provider, body: &Value) -> (u16, Value) {
        let root = self.portkey_mock.url();
        let url = format!("{}/chat/completions", self.portkey.v1_url());
        let request = self.http.post(url).json(body);
        let request = match provider {
            Provider::Anthropic => request
                .header("x-portkey-provider", "anthropic")
                .header("x-portkey-custom-host", format!("{root}/v1"))
                .bearer_auth(ANTHROPIC_KEY),
            Provider::Gemini => request
                .header("x-portkey-provider", "google")
                .header("x-portkey-custom-host", root)
                .bearer_auth(GEMINI_KEY),
            Provider::Azure => {
                let config = json!({
                    "provider": "azure-openai", "api_key": AZURE_KEY,
                    "resource_name": "corpus", "deployment_id": Provider::Azure.model(),
                    "api_version": AZURE_API_VERSION, "custom_host": format!("{root}/openai"),
                });
                request.header("x-portkey-config", config.to_string())
            }
        };
        answer_of(request, body).await
    }

    async fn through_litellm(&self, body: &Value) -> (u16, Value) {
        let url = format!("{}/chat/completions", self.litellm.v1_url());
        let request = self
            .http
            .post(url)
            .bearer_auth(self.litellm.master_key())
            .json(body);
        answer_of(request, body).await
    }

    async fn through_ours(&self, provider: Provider, body: &Value) -> (u16, Value) {
        let gateway: &dyn LlmGateway = match provider {
            Provider::Anthropic => &self.anthropic,
            Provider::Azure => &self.azure,
            Provider::Gemini => &self.gemini,
        };
        let request: ChatRequest = match serde_json::from_value(body.clone()) {
            Ok(request) => request,
            Err(error) => panic!("corpus request does not parse as a ChatRequest: {error}"),
        };
        let call = CallContext::detached();
        if request.stream == Some(true) {
            let mut stream = match gateway.chat_stream(&call, request).await {
                Ok(stream) => stream,
                Err(error) => return (status_of(&error), Value::Null),
            };
            let mut chunks = Vec::new();
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(chunk) => chunks.push(serde_json::to_value(&chunk).unwrap_or_default()),
                    Err(error) => return (status_of(&error), Value::Null),
                }
            }
            (200, assemble_stream(&chunks))
        } else {
            match gateway.chat(&call, request).await {
                Ok(answer) => (200, serde_json::to_value(&answer).unwrap_or_default()),
                Err(error) => (status_of(&error), Value::Null),
            }
        }
    }
}

/// The HTTP status our gateway's error becomes at the app's edge.
fn status_of(error: &GatewayError) -> u16 {
    match error {
        GatewayError::Rejected { status, .. } => *status,
        other => other.status().unwrap_or(502),
    }
}

/// A peer's answer: the JSON body, or the assembled stream; `Null` on an
/// error status (error bodies are each gateway's own shape: only the status
/// is compared).
async fn answer_of(request: reqwest::RequestBuilder, body: &Value) -> (u16, Value) {
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("peer unreachable: {error}"),
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if status >= 400 {
        return (status, Value::Null);
    }
    if body["stream"] == json!(true) {
        let mut chunks = Vec::new();
        for line in text.lines() {
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" || data.is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(data) {
                Ok(chunk) if chunk.get("error").is_some() => return (599, Value::Null),
                Ok(chunk) => chunks.push(chunk),
                Err(_) => return (598, Value::Null),
            }
        }
        return (status, assemble_stream(&chunks));
    }
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The mock reply a corpus entry scripts.
fn scripted(reply: &Value) -> MockReply {
    let scripted = if let Some(error) = reply.get("error") {
        let status = error["status"].as_u64().unwrap_or(500) as u16;
        return MockReply::status(status).message(error["message"].as_str().unwrap_or("failure"));
    } else if let Some(call) = reply.get("tool_call") {
        MockReply::tool_call(
            call["name"].as_str().unwrap_or("tool"),
            call["arguments"].clone(),
        )
    } else if let Some(chunks) = reply.get("stream").and_then(Value::as_array) {
        MockReply::stream(chunks.iter().map(|c| c.as_str().unwrap_or("").to_owned()))
    } else {
        MockReply::text(reply["text"].as_str().unwrap_or(""))
    };
    match reply.get("usage").and_then(Value::as_array) {
        Some(usage) => scripted.usage(
            usage.first().and_then(Value::as_u64).unwrap_or(0),
            usage.get(1).and_then(Value::as_u64).unwrap_or(0),
        ),
        None => scripted,
    }
}
