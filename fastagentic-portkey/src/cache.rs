//! [`Cache`]: Portkey's response cache, merged into the config as
//! `"cache": {"mode", "max_age"}` (the SDKs have no cache option; the config
//! carries it).

use std::time::Duration;

use serde_json::{Value, json};

/// How Portkey matches a request with a cached answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheMode {
    /// Exact match on the request.
    Simple,
    /// Match by meaning (hosted Portkey).
    Semantic,
}

impl CacheMode {
    /// The name in the config: `simple` or `semantic`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheMode::Simple => "simple",
            CacheMode::Semantic => "semantic",
        }
    }
}

/// Response caching, for [`PortkeyGateway::cache`](crate::PortkeyGateway::cache).
///
/// ```
/// use std::time::Duration;
/// use fastagentic_portkey::Cache;
/// let cache = Cache::semantic().max_age(Duration::from_secs(3600));
/// assert_eq!(cache.to_json(), serde_json::json!({"mode": "semantic", "max_age": 3600}));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cache {
    mode: CacheMode,
    max_age: Option<Duration>,
}

impl Cache {
    /// Exact-match caching.
    pub fn simple() -> Self {
        Self {
            mode: CacheMode::Simple,
            max_age: None,
        }
    }

    /// Semantic caching (hosted Portkey).
    pub fn semantic() -> Self {
        Self {
            mode: CacheMode::Semantic,
            max_age: None,
        }
    }

    /// How long an answer stays cached; sent in whole seconds, rounded up.
    /// Zero is refused when the gateway is checked: an entry that is
    /// already expired is never served.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The mode.
    pub fn mode(&self) -> CacheMode {
        self.mode
    }

    /// `{"mode": ..., "max_age": <seconds>}`, as merged into the config.
    pub fn to_json(&self) -> Value {
        let mut json = json!({"mode": self.mode.as_str()});
        if let Some(max_age) = self.max_age {
            let seconds = max_age.as_secs() + u64::from(max_age.subsec_nanos() > 0);
            json["max_age"] = json!(seconds);
        }
        json
    }
}
