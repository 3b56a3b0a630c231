//! # FastAgentic for Portkey
//!
//! [`PortkeyGateway`] sends every LLM call of a FastAgentic app through the
//! [Portkey AI gateway](https://portkey.ai), hosted or self-hosted, with every
//! option of Portkey's SDKs: API and virtual keys, routing configs
//! (fallback, load balancing, conditional routing), cache, retries, fallback
//! models, metadata and trace ids.
//!
//! ```no_run
//! use std::time::Duration;
//! use fastagentic_portkey::{Cache, PortkeyGateway, RetryConfig, portkey_config};
//!
//! let gateway = PortkeyGateway::new()                  // PORTKEY_API_KEY, PORTKEY_BASE_URL
//!     .config(portkey_config!({
//!         "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
//!         "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
//!     }))
//!     .cache(Cache::semantic().max_age(Duration::from_secs(3600)))
//!     .retry(RetryConfig::attempts(3))
//!     .metadata_with("_user", |ctx| ctx.user_id())
//!     .trace_id_with(|ctx| ctx.run_id().to_string());
//! # let _ = gateway;
//! ```
//!
//! Configs are checked by one set of rules (`fastagentic_rules::portkey`),
//! at compile time by [`portkey_config!`] and at run time by
//! [`PortkeyConfig::from_json`]: Portkey's own schema, plus what Portkey only
//! discovers when a request fails (conditional routes naming no target,
//! strategies without targets, negative weights, status codes outside
//! 100..=599, unsafe `custom_host`s). The guide is `docs/portkey.md`.
//!
//! [`PortkeyGateway::in_process`] runs the same config in this process, and
//! [`PortkeyDropIn`], mounted with `App::mount`, serves the Portkey gateway's
//! own HTTP surface from the app, so Portkey's SDKs can point at it.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

extern crate self as fastagentic_portkey;

mod cache;
mod compiled;
mod config;
mod diagnose;
mod drop_in;
mod facts;
mod gateway;
mod header_json;
mod in_process;
mod retry;
mod settings;
mod strict_json;
mod target;
pub mod wire;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use cache::{Cache, CacheMode};
pub use config::{PortkeyConfig, PortkeyConfigError};
pub use drop_in::{COMPILED_CONFIGS_CAPACITY, PortkeyDropIn};
pub use fastagentic_rules::portkey::{Blame, ConfigError, PathSegment};
pub use gateway::PortkeyGateway;
pub use in_process::{
    ADAPTED_PROVIDERS, InProcessPortkey, OPENAI_COMPATIBLE, PORTKEY_RETRY_BASE_DELAY,
    VIRTUAL_KEYS_ENV, VirtualKey, VirtualKeys,
};
pub use retry::{DEFAULT_RETRY_STATUS_CODES, RetryConfig};
pub use settings::{API_KEY_ENV, BASE_URL_ENV, HOSTED_BASE_URL, NAME};
pub use target::FallbackModel;

/// A Portkey config written as JSON and checked at compile time, with the
/// rules [`PortkeyConfig::from_json`] applies at run time. Every problem is
/// reported on the key or value at fault, with the allowed values.
///
/// ```
/// use fastagentic_portkey::{PortkeyConfig, portkey_config};
///
/// let config: PortkeyConfig = portkey_config!({
///     "strategy": {
///         "mode": "conditional",
///         "conditions": [{"query": {"metadata.tier": {"$eq": "premium"}}, "then": "premium"}],
///         "default": "standard"
///     },
///     "targets": [
///         {"name": "premium", "virtual_key": "openai-key", "override_params": {"model": "gpt-4o"}},
///         {"name": "standard", "virtual_key": "openai-key", "override_params": {"model": "gpt-4o-mini"}}
///     ]
/// });
/// assert_eq!(config.strategy_mode(), Some("conditional"));
/// ```
///
/// ```compile_fail
/// // error: `strategy.mode`: unknown strategy mode `fallbak`; expected one of
/// //        single, loadbalance, fallback, conditional; did you mean `fallback`?
/// let config = fastagentic_portkey::portkey_config!({
///     "strategy": {"mode": "fallbak"},
///     "targets": [{"virtual_key": "openai-key"}]
/// });
/// ```
pub use fastagentic_portkey_macros::portkey_config;
