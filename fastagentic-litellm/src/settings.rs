//! What a [`LiteLLMGateway`](crate::LiteLLMGateway) is given: plain settings,
//! compiled once into the transport and static body fields.

use std::fmt;
use std::time::Duration;

use fastagentic::gateway::kit::{BaseUrl, MetadataWith, PerCall, Setting};
use fastagentic::{CallContext, Secret};
use serde_json::{Map, Value};

use crate::CacheControl;

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

/// Who the proxy is told the end user is (the body's `user`).
#[derive(Clone)]
pub(crate) enum EndUser {
    /// The request's user ([`CallContext::user_id`]), when there is one.
    FromCall,
    /// Always this id.
    Fixed(String),
    /// Computed per call.
    With(PerCall<Option<String>>),
}

impl EndUser {
    /// The end user of `call`.
    pub(crate) fn of(&self, call: &CallContext) -> Option<String> {
        match self {
            EndUser::FromCall => call.user_id().map(str::to_owned),
            EndUser::Fixed(user) => Some(user.clone()),
            EndUser::With(user) => user.get(call),
        }
    }
}

impl fmt::Debug for EndUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndUser::FromCall => f.write_str("\"from the call\""),
            EndUser::Fixed(user) => user.fmt(f),
            EndUser::With(user) => user.fmt(f),
        }
    }
}

/// Every option of a LiteLLM gateway, as given.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) base_url: BaseUrl,
    pub(crate) api_key: Option<Setting<Secret>>,
    pub(crate) fallback_models: Option<Vec<String>>,
    pub(crate) num_retries: Option<u32>,
    pub(crate) timeout_secs: Option<f64>,
    pub(crate) client_timeout: Option<Duration>,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) metadata_with: MetadataWith,
    pub(crate) tags: Vec<String>,
    pub(crate) cache: Option<CacheControl>,
    pub(crate) end_user: EndUser,
    pub(crate) http: Option<reqwest::Client>,
}

impl Settings {
    /// The base URL from `LITELLM_PROXY_API_BASE` (default
    /// `http://localhost:4000`), the key from `LITELLM_PROXY_API_KEY`,
    /// nothing else.
    pub(crate) fn from_env() -> Self {
        Self {
            base_url: BaseUrl::from_env_or(API_BASE_ENV, DEFAULT_API_BASE),
            api_key: Setting::secret_from_env(API_KEY_ENV),
            fallback_models: None,
            num_retries: None,
            timeout_secs: None,
            client_timeout: None,
            metadata: Map::new(),
            metadata_with: MetadataWith::default(),
            tags: Vec::new(),
            cache: None,
            end_user: EndUser::FromCall,
            http: None,
        }
    }
}
