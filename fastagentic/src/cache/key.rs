//! The exact cache's key: SHA-256 over the request as the cache sees it
//! (after the overrides above it), its kind, and the scope the cache is
//! partitioned by. Keys are stable across processes and key order, and hold
//! no credential (requests carry none; keys live in gateways).

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::gateway::{CallContext, GatewayRequest};

/// What a cache is partitioned by, besides the request itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheScope {
    /// A fixed namespace (Portkey's `x-portkey-cache-namespace`).
    pub namespace: Option<String>,
    /// One partition per user ([`CallContext::user_id`]): no answer ever
    /// crosses from one user to another.
    pub per_user: bool,
    /// One partition per endpoint.
    pub per_endpoint: bool,
}

/// A cache key: 32 bytes of SHA-256, shown as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of `request` under `call`, in `scope`. A streamed and a plain
    /// chat request with the same parameters share a key, so either can be
    /// served from the other's answer.
    pub fn of(request: &GatewayRequest, call: &CallContext, scope: &CacheScope) -> Self {
        let (kind, mut body) = match request {
            GatewayRequest::Chat(r) | GatewayRequest::Stream(r) => {
                ("chat", serde_json::to_value(r).unwrap_or(Value::Null))
            }
            GatewayRequest::Embed(r) => ("embed", serde_json::to_value(r).unwrap_or(Value::Null)),
        };
        if let Value::Object(fields) = &mut body {
            fields.remove("stream");
            fields.remove("stream_options");
        }
        let mut hasher = Sha256::new();
        hasher.update(b"fastagentic-cache-v1\0");
        hasher.update(kind.as_bytes());
        hasher.update(b"\0");
        let namespace = call
            .cache_control()
            .namespace
            .as_deref()
            .or(scope.namespace.as_deref());
        part(&mut hasher, namespace);
        part(
            &mut hasher,
            scope.per_user.then(|| call.user_id().unwrap_or("")),
        );
        part(&mut hasher, scope.per_endpoint.then(|| call.endpoint()));
        canonical(&mut hasher, &body);
        Self(hasher.finalize().into())
    }

    /// A key from its 32 bytes, as a store that keeps keys elsewhere
    /// (Redis) gives them back.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as 64 hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", self.to_hex())
    }
}

/// An optional part of the key, told apart from an absent one.
fn part(hasher: &mut Sha256, value: Option<&str>) {
    match value {
        Some(value) => {
            hasher.update(b"1");
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value.as_bytes());
        }
        None => hasher.update(b"0"),
    }
}

/// Feeds `value` as JSON with object keys sorted, so the key does not depend
/// on the order fields arrived in. Keys and scalars are written straight
/// into the hasher (no string per key or value), and maps that are already
/// in key order (serde_json's default map) are not sorted again.
fn canonical(hasher: &mut Sha256, value: &Value) {
    match value {
        Value::Object(fields) => {
            hasher.update(b"{");
            if fields.keys().is_sorted() {
                for (key, value) in fields {
                    field(hasher, key, value);
                }
            } else {
                let mut keys: Vec<&String> = fields.keys().collect();
                keys.sort();
                for key in keys {
                    field(hasher, key, &fields[key]);
                }
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for item in items {
                canonical(hasher, item);
                hasher.update(b",");
            }
            hasher.update(b"]");
        }
        other => json_into(hasher, other),
    }
}

/// `"key":value,` as [`canonical`] writes each field of an object.
fn field(hasher: &mut Sha256, key: &str, value: &Value) {
    json_into(hasher, key);
    hasher.update(b":");
    canonical(hasher, value);
    hasher.update(b",");
}

/// `value` as compact JSON, written into the hasher.
fn json_into<T: serde::Serialize + ?Sized>(hasher: &mut Sha256, value: &T) {
    // Writing into a hasher cannot fail, and a key or scalar always serializes.
    let _ = serde_json::to_writer(HashWriter(hasher), value);
}

/// An `io::Write` that feeds the hasher.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatRequest;

    fn chat(json: &str) -> GatewayRequest {
        GatewayRequest::Chat(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn the_same_request_in_any_key_order_or_streamed_has_one_key() {
        let call = CallContext::detached();
        let scope = CacheScope::default();
        let a =
            chat(r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"x":{"b":1,"a":2}}"#);
        let b =
            chat(r#"{"x":{"a":2,"b":1},"messages":[{"role":"user","content":"hi"}],"model":"m"}"#);
        assert_eq!(
            CacheKey::of(&a, &call, &scope),
            CacheKey::of(&b, &call, &scope)
        );
        let mut streamed = ChatRequest::new("m").user("hi");
        let plain = GatewayRequest::Chat(streamed.clone());
        streamed.stream = Some(true);
        streamed.stream_options = Some(serde_json::json!({"include_usage": true}));
        assert_eq!(
            CacheKey::of(&plain, &call, &scope),
            CacheKey::of(&GatewayRequest::Stream(streamed), &call, &scope)
        );
    }

    #[test]
    fn scopes_and_parameters_part_keys() {
        let request = GatewayRequest::Chat(ChatRequest::new("m").user("hi"));
        let other = GatewayRequest::Chat(ChatRequest::new("m").user("hi").temperature(0.5));
        let anyone = CallContext::detached();
        let alice = CallContext::detached().with_user(Some("alice".into()));
        let scope = CacheScope::default();
        let per_user = CacheScope {
            per_user: true,
            ..CacheScope::default()
        };
        let namespaced = CacheScope {
            namespace: Some("ns".into()),
            ..CacheScope::default()
        };
        let base = CacheKey::of(&request, &anyone, &scope);
        assert_ne!(base, CacheKey::of(&other, &anyone, &scope));
        assert_eq!(base, CacheKey::of(&request, &alice, &scope));
        assert_ne!(
            CacheKey::of(&request, &anyone, &per_user),
            CacheKey::of(&request, &alice, &per_user)
        );
        assert_ne!(base, CacheKey::of(&request, &anyone, &namespaced));
        assert_eq!(base.to_hex().len(), 64);
    }

    #[test]
    fn keys_are_stable_across_versions() {
        // Pinned: a store shared across processes and releases (Redis)
        // must find the entries older builds wrote.
        let request = GatewayRequest::Chat(
            serde_json::from_str(
                r#"{"model":"m","messages":[{"role":"user","content":"h\u00e9 \"q\""}],"temperature":0.5,"x":{"b":[1,true,null],"a":"z"}}"#,
            )
            .unwrap(),
        );
        let key = CacheKey::of(&request, &CallContext::detached(), &CacheScope::default());
        assert_eq!(
            key.to_hex(),
            "135b40d1bd8b4ba33cac478d2c1f394d26218316d8ac678e3eac5f81b3a7a7ff"
        );
    }
}
