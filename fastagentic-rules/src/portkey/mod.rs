//! The Portkey gateway config (`x-portkey-config`) validator.
//!
//! [`validate_config`] returns *every* problem of a config, each with its
//! JSON path and whether the key or the value is at fault, so
//! `portkey_config!` can underline the exact token and `PortkeyConfig::from_json`
//! can list them all at start-up.
//!
//! It rejects everything the self-hosted gateway's schema rejects (Portkey-AI/gateway
//! 1.15.2, `src/middlewares/requestValidator/schema/config.ts`) and what the
//! gateway would only discover per request, or never: unknown or misplaced
//! keys (which the gateway drops silently), conditional routes that can never
//! match or name no target, status-code lists that never trigger, expired
//! caches, SSRF-refused custom hosts. Hosted-only forms (`virtual_key`,
//! `@provider-slug`) are accepted, since the hosted service takes them.
//!
//! FastAgentic's in-process extensions (`strategy.balance`, a target's
//! `circuit_breaker`) are checked too ([`BALANCE_POLICIES`],
//! [`CircuitBreakerSettings`]); [`extensions_in`] finds them in a config
//! bound for a remote gateway, which does not know them.
//!
//! Each rule lives in the module named after its concept; each module's docs
//! cite the gateway source its facts come from.
//!
//! ```
//! use fastagentic_rules::portkey::{validate_config, Blame};
//! use serde_json::json;
//!
//! let ok = json!({
//!     "strategy": {"mode": "fallback"},
//!     "targets": [{"virtual_key": "openai-prod"}, {"virtual_key": "anthropic-prod"}]
//! });
//! assert!(validate_config(&ok).is_empty());
//!
//! let typo = json!({"strategy": {"mode": "fallbak"}, "targets": [{"virtual_key": "a"}]});
//! let errors = validate_config(&typo);
//! assert_eq!(errors[0].path_string(), "strategy.mode");
//! assert_eq!(errors[0].at, Blame::Value);
//! assert_eq!(
//!     errors[0].to_string(),
//!     "`strategy.mode`: unknown strategy mode `fallbak`; expected one of single, loadbalance, \
//!      fallback, conditional; did you mean `fallback`?"
//! );
//! ```

mod cache;
mod custom_host;
mod error;
mod extensions;
mod hooks;
mod providers;
mod query;
mod retry;
mod schema;
mod status_codes;
mod strategy;
mod target;

#[cfg(test)]
mod tests;

use serde_json::Value;

pub use cache::CACHE_MODES;
pub use custom_host::{DEFAULT_TRUSTED_CUSTOM_HOSTS, check_custom_host};
pub use error::{Blame, ConfigError, PathSegment};
pub use extensions::{
    BALANCE_POLICIES, CIRCUIT_BREAKER_KEYS, CircuitBreakerSettings, DEFAULT_BREAKER_COOLDOWN_MS,
    DEFAULT_BREAKER_WINDOW_MS, circuit_breaker_settings, extensions_in,
};
pub use providers::{PROVIDERS, check_provider};
pub use retry::MAX_RETRY_ATTEMPTS;
pub use strategy::STRATEGY_MODES;

use error::{JsonPath, Report};
use target::{Scope, check_node};

/// Settings of the gateway a config is checked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    /// Hosts the gateway's SSRF guard trusts (its `TRUSTED_CUSTOM_HOSTS`
    /// environment variable); a set list replaces the default one, as on the
    /// gateway. Defaults to [`DEFAULT_TRUSTED_CUSTOM_HOSTS`].
    pub trusted_custom_hosts: Vec<String>,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            trusted_custom_hosts: DEFAULT_TRUSTED_CUSTOM_HOSTS
                .iter()
                .map(|host| (*host).to_owned())
                .collect(),
        }
    }
}

/// Checks a Portkey config for a gateway with default settings and returns
/// every problem found (empty when the config is valid), in the order of the
/// walk: each object's keys in `serde_json::Map` order, then the checks that
/// span keys, then its targets.
pub fn validate_config(config: &Value) -> Vec<ConfigError> {
    validate_config_with(config, &ValidationOptions::default())
}

/// Checks a Portkey config for a gateway with the given settings and returns
/// every problem found (empty when the config is valid).
pub fn validate_config_with(config: &Value, options: &ValidationOptions) -> Vec<ConfigError> {
    let trusted_hosts: Vec<&str> = options
        .trusted_custom_hosts
        .iter()
        .map(String::as_str)
        .collect();
    let scope = Scope {
        trusted_hosts: &trusted_hosts,
        inherits_custom_host: false,
    };
    let mut report = Report::default();
    check_node(config, &JsonPath::root(), scope, &mut report);
    report.into_errors()
}
