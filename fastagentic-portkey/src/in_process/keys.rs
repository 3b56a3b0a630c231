//! [`VirtualKeys`]: the local key store an in-process config's
//! `virtual_key`s are resolved from (hosted Portkey keeps them in its vault).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use fastagentic::Secret;
use serde_json::Value;

/// The environment variable holding virtual keys as JSON:
/// `{"openai-key": {"provider": "openai", "api_key": "sk-...", "base_url": "..."}}`.
pub const VIRTUAL_KEYS_ENV: &str = "PORTKEY_VIRTUAL_KEYS";

/// What a virtual key stands for: a provider, its key, and optionally where it is.
#[derive(Clone, PartialEq, Eq)]
pub struct VirtualKey {
    provider: String,
    api_key: Secret,
    base_url: Option<String>,
}

impl VirtualKey {
    /// `provider` (a Portkey slug such as `openai`, `groq`) with its `api_key`.
    pub fn new(provider: impl Into<String>, api_key: impl Into<Secret>) -> Self {
        Self {
            provider: provider.into(),
            api_key: api_key.into(),
            base_url: None,
        }
    }

    /// Calls the provider at this base URL instead of its default (checked
    /// like a `custom_host`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
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
}

impl fmt::Debug for VirtualKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualKey")
            .field("provider", &self.provider)
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
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

    /// Keys from JSON: `{"name": {"provider": .., "api_key": .., "base_url": ..}}`.
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
            let field = |field: &str| entry.get(field).and_then(Value::as_str);
            let (Some(provider), Some(api_key)) = (field("provider"), field("api_key")) else {
                return Err(format!(
                    "virtual key `{name}` needs `provider` and `api_key` (strings)"
                ));
            };
            let mut key = VirtualKey::new(provider, api_key);
            if let Some(url) = field("base_url") {
                key = key.base_url(url);
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
}
