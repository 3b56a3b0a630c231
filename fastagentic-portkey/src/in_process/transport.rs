//! The gateway a leaf target calls its provider with: `OpenAiGateway` for
//! OpenAI and the OpenAI-compatible slugs, the adapters of
//! `fastagentic-providers` for `anthropic`, `azure-openai` and `google`.

use std::sync::Arc;

use fastagentic::gateway::{LlmGateway, shared};
use fastagentic::{OpenAiGateway, Secret};
use fastagentic_providers::{AnthropicGateway, AzureOpenAiGateway, GeminiGateway};
use serde_json::{Map, Value};

use super::providers::{ProviderKind, adapter_base};

/// Portkey's Azure OpenAI fields of a target (or a virtual key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AzureFields {
    /// `resource_name`: requests go to `https://{resource_name}.openai.azure.com`.
    pub(crate) resource_name: Option<String>,
    /// `deployment_id`: the deployment called (else the request's model).
    pub(crate) deployment_id: Option<String>,
    /// `api_version`: the `api-version` query parameter.
    pub(crate) api_version: Option<String>,
    /// `azure_ad_token`: an Entra ID token, sent as a bearer token instead
    /// of the `api-key` header (it wins over `api_key`, as on Portkey).
    pub(crate) ad_token: Option<Secret>,
}

impl AzureFields {
    /// The fields of a target object.
    pub(crate) fn of(object: &Map<String, Value>) -> Self {
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        Self {
            resource_name: text("resource_name"),
            deployment_id: text("deployment_id"),
            api_version: text("api_version"),
            ad_token: text("azure_ad_token").map(Secret::new),
        }
    }

    /// This target's fields where set, else the other's (a virtual key's).
    pub(crate) fn or(self, other: &AzureFields) -> Self {
        Self {
            resource_name: self.resource_name.or_else(|| other.resource_name.clone()),
            deployment_id: self.deployment_id.or_else(|| other.deployment_id.clone()),
            api_version: self.api_version.or_else(|| other.api_version.clone()),
            ad_token: self.ad_token.or_else(|| other.ad_token.clone()),
        }
    }
}

/// Everything a leaf knows about the provider it calls.
pub(crate) struct ProviderTarget<'a> {
    pub(crate) slug: &'a str,
    pub(crate) kind: ProviderKind,
    pub(crate) api_key: Secret,
    /// A checked `custom_host` (or a virtual key's `base_url`), Portkey-shaped.
    pub(crate) base_url: Option<String>,
    pub(crate) azure: AzureFields,
    /// `anthropic_version`: the `anthropic-version` header.
    pub(crate) anthropic_version: Option<String>,
    pub(crate) http: Option<&'a reqwest::Client>,
}

/// The gateway calling the target's provider, or why it cannot be built.
pub(crate) fn transport(target: ProviderTarget<'_>) -> Result<Arc<dyn LlmGateway>, String> {
    let base = match &target.base_url {
        Some(url) => Some(adapter_base(target.kind, target.slug, url)?),
        None => None,
    };
    let http = target.http.cloned();
    Ok(match target.kind {
        ProviderKind::OpenAiCompatible(default_url) => {
            // Ollama and other local servers take no key; the transport wants one.
            let api_key = if target.api_key.expose().is_empty() && target.slug == "ollama" {
                Secret::new("ollama")
            } else {
                target.api_key
            };
            let mut gateway = OpenAiGateway::new(api_key)
                .base_url(base.unwrap_or_else(|| default_url.to_owned()));
            if let Some(http) = http {
                gateway = gateway.http_client(http);
            }
            shared(gateway)
        }
        ProviderKind::Anthropic => {
            let mut gateway = AnthropicGateway::new(target.api_key);
            if let Some(base) = base {
                gateway = gateway.base_url(base);
            }
            if let Some(version) = target.anthropic_version {
                gateway = gateway.version(version);
            }
            if let Some(http) = http {
                gateway = gateway.http_client(http);
            }
            shared(gateway)
        }
        ProviderKind::AzureOpenAi => shared(azure(target.api_key, target.azure, base, http)?),
        ProviderKind::Google => {
            let mut gateway = GeminiGateway::new(target.api_key);
            if let Some(base) = base {
                gateway = gateway.base_url(base);
            }
            if let Some(http) = http {
                gateway = gateway.http_client(http);
            }
            shared(gateway)
        }
    })
}

/// An Azure OpenAI target: the resource (or the custom host), the
/// deployment, the `api-version`, and the `api-key` or the Entra ID token.
fn azure(
    api_key: Secret,
    fields: AzureFields,
    base: Option<String>,
    http: Option<reqwest::Client>,
) -> Result<AzureOpenAiGateway, String> {
    let mut gateway = match (base, fields.resource_name.as_deref()) {
        (Some(base), _) => AzureOpenAiGateway::new("custom-host", api_key).endpoint(base),
        (None, Some(resource)) if !resource.trim().is_empty() => {
            AzureOpenAiGateway::new(resource, api_key)
        }
        (None, _) => {
            return Err(
                "provider `azure-openai` needs `resource_name` (requests go to \
                 `https://<resource_name>.openai.azure.com`) or a `custom_host`"
                    .to_owned(),
            );
        }
    };
    if let Some(token) = fields.ad_token {
        // Portkey sends the token as given, without a second `Bearer `.
        let token = token.expose().trim_start_matches("Bearer ").to_owned();
        gateway = gateway.bearer_token(token);
    }
    if let Some(deployment) = fields.deployment_id {
        gateway = gateway.deployment(deployment);
    }
    if let Some(version) = fields.api_version {
        gateway = gateway.api_version(version);
    }
    if let Some(http) = http {
        gateway = gateway.http_client(http);
    }
    Ok(gateway)
}
