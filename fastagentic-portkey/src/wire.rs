//! The headers Portkey reads and answers with (gateway 1.15.2 and the official
//! SDKs, `portkey-ai` 2.3.4 `createHeaders`).

use http::HeaderName;

/// `x-portkey-api-key`: the Portkey API key (hosted Portkey).
pub const API_KEY: HeaderName = HeaderName::from_static("x-portkey-api-key");
/// `x-portkey-virtual-key`: a provider key held by hosted Portkey.
pub const VIRTUAL_KEY: HeaderName = HeaderName::from_static("x-portkey-virtual-key");
/// `x-portkey-config`: the config as compact JSON, or a saved config's id.
pub const CONFIG: HeaderName = HeaderName::from_static("x-portkey-config");
/// `x-portkey-provider`: the provider slug when the config names none.
pub const PROVIDER: HeaderName = HeaderName::from_static("x-portkey-provider");
/// `x-portkey-custom-host`: the provider's base URL.
pub const CUSTOM_HOST: HeaderName = HeaderName::from_static("x-portkey-custom-host");
/// `x-portkey-metadata`: a JSON object of strings.
pub const METADATA: HeaderName = HeaderName::from_static("x-portkey-metadata");
/// `x-portkey-trace-id`: links the request to a trace.
pub const TRACE_ID: HeaderName = HeaderName::from_static("x-portkey-trace-id");
/// `x-portkey-request-timeout`: Portkey's limit in milliseconds.
pub const REQUEST_TIMEOUT: HeaderName = HeaderName::from_static("x-portkey-request-timeout");
/// `x-portkey-forward-headers`: request headers passed to the provider, comma-separated.
pub const FORWARD_HEADERS: HeaderName = HeaderName::from_static("x-portkey-forward-headers");
/// `x-portkey-cache-namespace`: a cache partition.
pub const CACHE_NAMESPACE: HeaderName = HeaderName::from_static("x-portkey-cache-namespace");
/// `x-portkey-cache-force-refresh`: `true` to skip cached answers.
pub const CACHE_FORCE_REFRESH: HeaderName =
    HeaderName::from_static("x-portkey-cache-force-refresh");

/// Response: `x-portkey-cache-status` (`DISABLED`, `MISS`, `HIT`, `REFRESH`, hosted `SEMANTIC HIT`, ...).
pub const CACHE_STATUS: HeaderName = HeaderName::from_static("x-portkey-cache-status");
/// Response: `x-portkey-retry-attempt-count` (retries made; `-1` once they ran out).
pub const RETRY_ATTEMPT_COUNT: HeaderName =
    HeaderName::from_static("x-portkey-retry-attempt-count");
/// Response: `x-portkey-last-used-option-index`, a path such as `config.targets[1]`.
pub const LAST_USED_OPTION_INDEX: HeaderName =
    HeaderName::from_static("x-portkey-last-used-option-index");
