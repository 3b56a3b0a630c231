//! [`FallbackModel`]: one model a [`PortkeyGateway::fallback`](crate::PortkeyGateway::fallback)
//! tries, with the credentials Portkey needs for it.

use fastagentic::Secret;
use serde_json::{Map, Value};

/// One model of a fallback chain.
///
/// Portkey targets never inherit credentials from the request or their
/// parent, so each target carries its own: a hosted `virtual_key`, a
/// `provider` with an `api_key`, or (hosted Model Catalog) a model written
/// `@provider-slug/model`. A plain model name (`"gpt-4o".into()`) takes the
/// gateway's own [`virtual_key`](crate::PortkeyGateway::virtual_key) or
/// [`provider`](crate::PortkeyGateway::provider) and
/// [`provider_api_key`](crate::PortkeyGateway::provider_api_key).
///
/// ```
/// use fastagentic_portkey::FallbackModel;
/// let openai: FallbackModel = "gpt-4o".into();
/// let claude = FallbackModel::model("claude-3-opus-20240229").virtual_key("anthropic-key");
/// # let _ = (openai, claude);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FallbackModel {
    model: String,
    provider: Option<String>,
    api_key: Option<Secret>,
    virtual_key: Option<Secret>,
    custom_host: Option<String>,
}

/// Credentials a target can take from its gateway.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Inherited<'a> {
    VirtualKey(&'a Secret),
    Provider(&'a str, Option<&'a Secret>),
    None,
}

impl FallbackModel {
    /// A target calling `model`.
    pub fn model(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            provider: None,
            api_key: None,
            virtual_key: None,
            custom_host: None,
        }
    }

    /// Calls the model through this hosted virtual key.
    pub fn virtual_key(mut self, virtual_key: impl Into<Secret>) -> Self {
        self.virtual_key = Some(virtual_key.into());
        self
    }

    /// Calls the model at this provider (a Portkey slug such as `openai`, `anthropic`).
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// The provider's API key.
    pub fn api_key(mut self, api_key: impl Into<Secret>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// Sends this target's requests to another base URL (an
    /// OpenAI-compatible server, a proxy). `x-portkey-custom-host`
    /// ([`PortkeyGateway::custom_host`](crate::PortkeyGateway::custom_host))
    /// overrides it.
    pub fn custom_host(mut self, url: impl Into<String>) -> Self {
        self.custom_host = Some(url.into());
        self
    }

    /// The model.
    pub fn model_name(&self) -> &str {
        &self.model
    }

    /// The target as config JSON, with `inherited` credentials when it has none
    /// of its own; `Err` says what is missing.
    pub(crate) fn to_json(&self, inherited: Inherited<'_>) -> Result<Value, String> {
        let mut target = Map::new();
        let catalog_model = self.model.starts_with('@') && self.model.contains('/');
        if let Some(virtual_key) = &self.virtual_key {
            target.insert("virtual_key".into(), virtual_key.expose().into());
        }
        if let Some(provider) = &self.provider {
            target.insert("provider".into(), provider.as_str().into());
        }
        if let Some(api_key) = &self.api_key {
            target.insert("api_key".into(), api_key.expose().into());
        }
        let has_own = self.virtual_key.is_some() || self.provider.is_some() || catalog_model;
        if !has_own {
            match inherited {
                Inherited::VirtualKey(virtual_key) => {
                    target.insert("virtual_key".into(), virtual_key.expose().into());
                }
                Inherited::Provider(provider, api_key) => {
                    target.insert("provider".into(), provider.into());
                    if let Some(api_key) = api_key {
                        target.insert("api_key".into(), api_key.expose().into());
                    }
                }
                Inherited::None => {
                    return Err(format!(
                        "fallback model `{}` has no credentials, and Portkey targets never inherit \
                         them from the request: set the gateway's `.virtual_key(..)` or \
                         `.provider(..)` with `.provider_api_key(..)`, or give the model its own \
                         with `FallbackModel::model(\"{}\").virtual_key(..)`",
                        self.model, self.model
                    ));
                }
            }
        }
        if let Some(url) = &self.custom_host {
            target.insert("custom_host".into(), url.as_str().into());
        }
        let mut params = Map::new();
        params.insert("model".into(), self.model.as_str().into());
        target.insert("override_params".into(), Value::Object(params));
        Ok(Value::Object(target))
    }
}

impl From<&str> for FallbackModel {
    fn from(model: &str) -> Self {
        Self::model(model)
    }
}

impl From<String> for FallbackModel {
    fn from(model: String) -> Self {
        Self::model(model)
    }
}
