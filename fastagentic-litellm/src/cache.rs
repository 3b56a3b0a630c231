//! [`CacheControl`]: LiteLLM's per-request cache controls, the request body's
//! `cache` object.

use std::time::Duration;

use serde_json::{Map, Value};

/// Cache controls of the LiteLLM proxy's response cache (the proxy must have
/// caching on: `litellm_settings: {cache: true}`), sent as the request body's
/// `cache` object.
///
/// Set defaults for every call with [`LiteLLMGateway::cache`](crate::LiteLLMGateway::cache)
/// and per request with [`LiteLLMRequest::litellm_cache`](crate::LiteLLMRequest::litellm_cache);
/// a request's controls win over the defaults, key by key.
///
/// ```
/// use std::time::Duration;
/// use fastagentic_litellm::CacheControl;
///
/// let fresh = CacheControl::new().no_cache().ttl(Duration::from_secs(600));
/// assert_eq!(fresh.to_json(), serde_json::json!({"no-cache": true, "ttl": 600}));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheControl {
    no_cache: bool,
    no_store: bool,
    ttl: Option<Duration>,
    max_age: Option<Duration>,
    namespace: Option<String>,
}

impl CacheControl {
    /// No controls: the proxy's own cache settings apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// `"no-cache": true`: do not answer from the cache (the fresh answer is
    /// still stored, unless [`no_store`](Self::no_store)).
    pub fn no_cache(mut self) -> Self {
        self.no_cache = true;
        self
    }

    /// `"no-store": true`: do not store this answer in the cache.
    pub fn no_store(mut self) -> Self {
        self.no_store = true;
        self
    }

    /// `"ttl"`: keep this answer in the cache for `ttl` (sent in whole
    /// seconds, rounded up, at least 1).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// `"s-maxage"`: accept a cached answer only if it is at most `age` old
    /// (whole seconds, rounded up, at least 1).
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// `"namespace"`: a separate part of the cache (the key is prefixed with it).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Whether no control is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The body's `cache` object, e.g. `{"no-cache": true, "ttl": 600}`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        self.write_into(&mut map, true);
        Value::Object(map)
    }

    /// Writes the controls into `map`; with `overwrite` false, keys already
    /// there are kept (a request's own controls win over defaults).
    pub(crate) fn write_into(&self, map: &mut Map<String, Value>, overwrite: bool) {
        let mut put = |key: &str, value: Value| {
            if overwrite || !map.contains_key(key) {
                map.insert(key.to_owned(), value);
            }
        };
        if self.no_cache {
            put("no-cache", Value::Bool(true));
        }
        if self.no_store {
            put("no-store", Value::Bool(true));
        }
        if let Some(ttl) = self.ttl {
            put("ttl", whole_seconds(ttl).into());
        }
        if let Some(age) = self.max_age {
            put("s-maxage", whole_seconds(age).into());
        }
        if let Some(namespace) = &self.namespace {
            put("namespace", Value::String(namespace.clone()));
        }
    }
}

/// Whole seconds, rounded up, at least 1 (the proxy's Redis cache takes integers).
fn whole_seconds(duration: Duration) -> u64 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_control_has_its_wire_name() {
        let all = CacheControl::new()
            .no_cache()
            .no_store()
            .ttl(Duration::from_millis(1500))
            .max_age(Duration::from_secs(60))
            .namespace("tenant-a");
        assert_eq!(
            all.to_json(),
            json!({"no-cache": true, "no-store": true, "ttl": 2, "s-maxage": 60, "namespace": "tenant-a"})
        );
        assert_eq!(CacheControl::new().to_json(), json!({}));
        assert!(CacheControl::new().is_empty());
        assert_eq!(
            CacheControl::new().ttl(Duration::ZERO).to_json(),
            json!({"ttl": 1})
        );
    }

    #[test]
    fn defaults_do_not_overwrite_a_request_s_own_controls() {
        let mut map = json!({"ttl": 5}).as_object().cloned().unwrap_or_default();
        CacheControl::new()
            .ttl(Duration::from_secs(600))
            .no_store()
            .write_into(&mut map, false);
        assert_eq!(Value::Object(map), json!({"ttl": 5, "no-store": true}));
    }
}
