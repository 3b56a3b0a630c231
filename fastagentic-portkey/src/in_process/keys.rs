//! [`VirtualKeys`]: the local key store an in-process config's
//! `virtual_key`s are resolved from (hosted Portkey keeps them in its vault).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use fastagentic::Secret;
use serde_json::Value;

use super::transport::AzureFields;

/// The environment variable holding virtual keys as JSON:
/// `{"openai-key": {"provider": "openai", "api_key": "sk-...", "base_url": "..."}}`;
/// Azure OpenAI keys add Portkey's `resource_name`, `deployment_id`,
/// `api_version` and `azure_ad_token` (which may replace `api_key`).
pub const VIRTUAL_KEYS_ENV: &str = "PORTKEY_VIRTUAL_KEYS";

/// The fields a virtual key may have in JSON.
const KEY_FIELDS: &[&str] = &[
    "provider",
    "api_key",
    "base_url",
    "resource_name",
    "deployment_id",
    "api_version",
    "azure_ad_token",
];

/// What a virtual key stands for: a provider, its key, and optionally where it is.
#[derive(Clone, PartialEq, Eq)]
pub struct VirtualKey {
    provider: String,
    api_key: Secret,
    base_url: Option<String>,
    azure: AzureFields,
}

impl VirtualKey {
    /// `provider` (a Portkey slug such as `openai`, `groq`) with its `api_key`.
    pub fn new(provider: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        Self {
            provider: provider.into(),
            api_key: api_key.into(),
            base_url: None,
            azure: AzureFields::default(),
        }
    }

    /// Calls the provider at this base URL instead of its default: a
    /// `custom_host`, shaped and checked like one (for `anthropic` it ends in
    /// `/v1`, for `azure-openai` in `/openai`; see
    /// [`ADAPTED_PROVIDERS`](crate::ADAPTED_PROVIDERS)).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Azure OpenAI: the resource (`https://{resource_name}.openai.azure.com`),
    /// Portkey's `resource_name`.
    pub fn resource_name(mut self, resource: impl Into<String>) -> Self {
        self.azure.resource_name = Some(resource.into());
        self
    }

    /// Azure OpenAI: the deployment called (else the request's model),
    /// Portkey's `deployment_id`.
    pub fn deployment_id(mut self, deployment: impl Into<String>) -> Self {
        self.azure.deployment_id = Some(deployment.into());
        self
    }

    /// Azure OpenAI: the `api-version` query parameter, Portkey's `api_version`.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.azure.api_version = Some(version.into());
        self
    }

    /// Azure OpenAI: a Microsoft Entra ID token, sent as `Authorization:
    /// Bearer` instead of the `api-key` header (Portkey's `azure_ad_token`;
    /// it wins over the API key).
    pub fn azure_ad_token(mut self, token: impl Into<Secret>) -> Self {
        self.azure.ad_token = Some(token.into());
        self
    }

    /// The provider slug.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The provider's key.
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    /// The base URL, when not the provider's default.
    pub fn base_url_str(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// The Azure OpenAI fields.
    pub(crate) fn azure(&self) -> &AzureFields {
        &self.azure
    }
}

impl fmt::Debug for VirtualKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualKey")
            .field("provider", &self.provider)
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("resource_name", &self.azure.resource_name)
            .field("deployment_id", &self.azure.deployment_id)
            .field("api_version", &self.azure.api_version)
            .field("azure_ad_token", &self.azure.ad_token)
            .finish()
    }
}

/// Virtual keys by name, from code ([`insert`](Self::insert)), the
/// [`VIRTUAL_KEYS_ENV`] variable ([`from_env`](Self::from_env)) or a JSON
/// file ([`from_file`](Self::from_file)). Keys stay [`Secret`]s: `Debug`
/// never shows them.
///
/// ```
/// use fastagentic_portkey::{VirtualKey, VirtualKeys};
/// let keys = VirtualKeys::new()
///     .insert("openai-key", VirtualKey::new("openai", "sk-..."))
///     .insert("local", VirtualKey::new("ollama", "none").base_url("http://localhost:11434/v1"));
/// assert_eq!(keys.get("openai-key").map(|k| k.provider()), Some("openai"));
/// assert!(!format!("{keys:?}").contains("sk-..."));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VirtualKeys {
    keys: BTreeMap<String, VirtualKey>,
}

impl VirtualKeys {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the key `name`.
    pub fn insert(mut self, name: impl Into<String>, key: VirtualKey) -> Self {
        self.keys.insert(name.into(), key);
        self
    }

    /// The key `name`.
    pub fn get(&self, name: &str) -> Option<&VirtualKey> {
        self.keys.get(name)
    }

    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Keys from [`VIRTUAL_KEYS_ENV`]; an unset variable gives an empty store.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(VIRTUAL_KEYS_ENV) {
            Ok(text) => {
                Self::from_json(&text).map_err(|error| format!("{VIRTUAL_KEYS_ENV}: {error}"))
            }
            Err(_) => Ok(Self::new()),
        }
    }

    /// Keys from a JSON file shaped like [`VIRTUAL_KEYS_ENV`]'s value.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
        Self::from_json(&text).map_err(|error| format!("in `{}`: {error}", path.display()))
    }

    /// Keys from JSON: `{"name": {"provider": .., "api_key": .., "base_url": ..}}`,
    /// Azure OpenAI keys with `resource_name`, `deployment_id`,
    /// `api_version` and `azure_ad_token` (which may stand in for `api_key`).
    /// Errors never quote a key.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|error| {
            format!(
                "not JSON (line {}, column {})",
                error.line(),
                error.column()
            )
        })?;
        let Value::Object(entries) = value else {
            return Err("expected an object of virtual keys by name".to_owned());
        };
        let mut keys = Self::new();
        for (name, entry) in entries {
            let Value::Object(fields) = &entry else {
                return Err(format!("virtual key `{name}` must be an object"));
            };
            if let Some((field, _)) = fields
                .iter()
                .find(|(field, _)| !KEY_FIELDS.contains(&field.as_str()))
            {
                return Err(format!(
                    "virtual key `{name}`: unknown field `{field}`; expected {}",
                    KEY_FIELDS.join(", ")
                ));
            }
            if let Some((field, _)) = fields.iter().find(|(_, value)| !value.is_string()) {
                return Err(format!("virtual key `{name}`: `{field}` must be a string"));
            }
            let field = |field: &str| fields.get(field).and_then(Value::as_str);
            let provider = field("provider");
            let api_key = field("api_key").or_else(|| {
                (provider == Some("azure-openai") && field("azure_ad_token").is_some())
                    .then_some("")
            });
            let (Some(provider), Some(api_key)) = (provider, api_key) else {
                return Err(format!(
                    "virtual key `{name}` needs `provider` and `api_key` (strings; an \
                     `azure-openai` key may give `azure_ad_token` instead of `api_key`)"
                ));
            };
            let mut key = VirtualKey::new(provider, api_key);
            if let Some(url) = field("base_url") {
                key = key.base_url(url);
            }
            if let Some(resource) = field("resource_name") {
                key = key.resource_name(resource);
            }
            if let Some(deployment) = field("deployment_id") {
                key = key.deployment_id(deployment);
            }
            if let Some(version) = field("api_version") {
                key = key.api_version(version);
            }
            if let Some(token) = field("azure_ad_token") {
                key = key.azure_ad_token(token);
            }
            keys = keys.insert(name, key);
        }
        Ok(keys)
    }

    /// This store with every key of `other` added (`other` wins).
    pub fn merge(mut self, other: VirtualKeys) -> Self {
        self.keys.extend(other.keys);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_never_quotes_keys_in_errors() {
        let keys = VirtualKeys::from_json(
            r#"{"a": {"provider": "groq", "api_key": "gsk-1", "base_url": "http://127.0.0.1:9/v1"}}"#,
        )
        .expect("valid");
        let a = keys.get("a").expect("a");
        assert_eq!(a.provider(), "groq");
        assert_eq!(a.api_key().expose(), "gsk-1");
        assert_eq!(a.base_url_str(), Some("http://127.0.0.1:9/v1"));
        let error =
            VirtualKeys::from_json(r#"{"b": {"api_key": "sk-hidden"}}"#).expect_err("no provider");
        assert!(
            error.contains("`b` needs `provider`") && !error.contains("sk-hidden"),
            "{error}"
        );
        assert!(VirtualKeys::from_json("[1]").is_err());
    }

    #[test]
    fn reads_azure_fields_and_a_token_instead_of_a_key() {
        let keys = VirtualKeys::from_json(
            r#"{"az": {"provider": "azure-openai", "azure_ad_token": "eyJ-secret", "resource_name": "res",
                       "deployment_id": "gpt-4o-prod", "api_version": "2024-10-21"}}"#,
        )
        .expect("valid");
        let az = keys.get("az").expect("az");
        assert_eq!(az.azure().resource_name.as_deref(), Some("res"));
        assert_eq!(az.azure().deployment_id.as_deref(), Some("gpt-4o-prod"));
        assert_eq!(az.azure().api_version.as_deref(), Some("2024-10-21"));
        assert_eq!(
            az.azure().ad_token.as_ref().map(Secret::expose),
            Some("eyJ-secret")
        );
        assert!(!format!("{keys:?}").contains("eyJ-secret"));
        let error = VirtualKeys::from_json(
            r#"{"b": {"provider": "openai", "api_key": "k", "resource": "x"}}"#,
        )
        .expect_err("unknown field");
        assert!(error.contains("unknown field `resource`"), "{error}");
        let error =
            VirtualKeys::from_json(r#"{"c": {"provider": "openai", "azure_ad_token": "t"}}"#)
                .expect_err("a token only for azure");
        assert!(error.contains("needs `provider` and `api_key`"), "{error}");
    }
}
