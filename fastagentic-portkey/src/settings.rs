//! What a [`PortkeyGateway`](crate::PortkeyGateway) is given: plain settings,
//! compiled once into headers and the merged config.

use std::collections::BTreeMap;
use std::time::Duration;

use fastagentic::Secret;
use fastagentic::gateway::kit::{BaseUrl, MetadataWith, PerCall, Setting};

use crate::{Cache, FallbackModel, PortkeyConfig, RetryConfig};

/// Hosted Portkey's API root, the default base URL.
pub const HOSTED_BASE_URL: &str = "https://api.portkey.ai/v1";
/// The environment variable holding the Portkey API key.
pub const API_KEY_ENV: &str = "PORTKEY_API_KEY";
/// The environment variable holding the base URL (e.g. a self-hosted gateway's
/// `http://localhost:8787/v1`).
pub const BASE_URL_ENV: &str = "PORTKEY_BASE_URL";

/// The name of the gateway: its logs, its errors and its section of
/// `HookContext::metadata`.
pub const NAME: &str = "portkey";

/// Every option of a Portkey gateway, as given.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) base_url: BaseUrl,
    pub(crate) api_key: Option<Setting<Secret>>,
    pub(crate) virtual_key: Option<Secret>,
    pub(crate) config: Option<PortkeyConfig>,
    pub(crate) config_id: Option<String>,
    pub(crate) cache: Option<Cache>,
    pub(crate) retry: Option<RetryConfig>,
    pub(crate) fallback: Option<Vec<FallbackModel>>,
    pub(crate) fallback_status_codes: Option<Vec<u16>>,
    pub(crate) provider: Option<String>,
    pub(crate) provider_api_key: Option<Secret>,
    pub(crate) custom_host: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) metadata_with: MetadataWith,
    pub(crate) trace_id_with: Option<PerCall<String>>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) forward_headers: Vec<String>,
    pub(crate) cache_namespace: Option<String>,
    pub(crate) cache_force_refresh: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) http: Option<reqwest::Client>,
}

impl Settings {
    /// The key from `PORTKEY_API_KEY`, the base URL from `PORTKEY_BASE_URL`
    /// (default hosted Portkey), nothing else.
    pub(crate) fn from_env() -> Self {
        Self {
            base_url: BaseUrl::from_env_or(BASE_URL_ENV, HOSTED_BASE_URL),
            api_key: Setting::secret_from_env(API_KEY_ENV),
            virtual_key: None,
            config: None,
            config_id: None,
            cache: None,
            retry: None,
            fallback: None,
            fallback_status_codes: None,
            provider: None,
            provider_api_key: None,
            custom_host: None,
            metadata: BTreeMap::new(),
            metadata_with: MetadataWith::default(),
            trace_id_with: None,
            request_timeout: None,
            forward_headers: Vec::new(),
            cache_namespace: None,
            cache_force_refresh: false,
            timeout: None,
            http: None,
        }
    }
}
