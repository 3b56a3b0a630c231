//! [`LiteLLMRequest`]: per-request LiteLLM options on a [`ChatRequest`].

use fastagentic::ChatRequest;
use fastagentic::llm::Extra;
use serde_json::{Map, Value};

use crate::CacheControl;
use crate::wire::body;

/// Per-request LiteLLM options, set on the [`ChatRequest`] an endpoint sends.
/// They travel in the request body (`metadata`, `tags`, `cache`, `user`) and
/// are merged with the gateway's defaults: the request's own values win.
///
/// ```
/// use std::time::Duration;
/// use fastagentic::ChatRequest;
/// use fastagentic_litellm::{CacheControl, LiteLLMRequest};
///
/// let request = ChatRequest::new("gpt-4o")
///     .user("Where is my parcel?")
///     .litellm_metadata("ticket", "T-1042")
///     .litellm_tags(["support"])
///     .litellm_cache(CacheControl::new().no_cache())
///     .litellm_end_user("customer-7");
/// assert_eq!(request.extra["metadata"], serde_json::json!({"ticket": "T-1042"}));
/// assert_eq!(request.user.as_deref(), Some("customer-7"));
/// ```
pub trait LiteLLMRequest: Sized {
    /// Adds `key: value` to the body's `metadata` object (the proxy keeps it
    /// with the call: logs, callbacks, spend reports).
    fn litellm_metadata(self, key: impl Into<String>, value: impl Into<Value>) -> Self;

    /// Adds tags (the body's `tags`): spend tracking per tag, and tag-based
    /// routing when the proxy has `enable_tag_filtering`.
    fn litellm_tags<I, S>(self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>;

    /// Sets cache controls for this request (the body's `cache`), over the
    /// gateway's [`cache`](crate::LiteLLMGateway::cache) defaults.
    fn litellm_cache(self, cache: CacheControl) -> Self;

    /// The end user this call is made for (OpenAI's `user` field, LiteLLM's
    /// spend tracking per end user); by default the gateway sends the
    /// request's user ([`CallContext::user_id`](fastagentic::CallContext::user_id)).
    fn litellm_end_user(self, user: impl Into<String>) -> Self;

    /// Asks the proxy to fail the first model on purpose
    /// (`mock_testing_fallbacks: true`), to see the fallbacks work.
    fn litellm_mock_testing_fallbacks(self) -> Self;
}

impl LiteLLMRequest for ChatRequest {
    fn litellm_metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        object_field(&mut self.extra, body::METADATA).insert(key.into(), value.into());
        self
    }

    fn litellm_tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list = array_field(&mut self.extra, body::TAGS);
        for tag in tags {
            let tag = Value::String(tag.into());
            if !list.contains(&tag) {
                list.push(tag);
            }
        }
        self
    }

    fn litellm_cache(mut self, cache: CacheControl) -> Self {
        cache.write_into(object_field(&mut self.extra, body::CACHE), true);
        self
    }

    fn litellm_end_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    fn litellm_mock_testing_fallbacks(mut self) -> Self {
        self.extra
            .insert(body::MOCK_TESTING_FALLBACKS.to_owned(), Value::Bool(true));
        self
    }
}

/// The body field `name` as an object (replacing a value of another kind).
pub(crate) fn object_field<'a>(extra: &'a mut Extra, name: &str) -> &'a mut Map<String, Value> {
    let slot = extra
        .entry(name)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("the slot was just made an object"),
    }
}

/// The body field `name` as an array (a single value becomes a one-item array).
pub(crate) fn array_field<'a>(extra: &'a mut Extra, name: &str) -> &'a mut Vec<Value> {
    let slot = extra
        .entry(name)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        let single = std::mem::take(slot);
        *slot = Value::Array(if single.is_null() {
            vec![]
        } else {
            vec![single]
        });
    }
    match slot {
        Value::Array(list) => list,
        _ => unreachable!("the slot was just made an array"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn options_land_in_the_body() {
        let request = ChatRequest::new("m")
            .litellm_metadata("a", 1)
            .litellm_metadata("b", "two")
            .litellm_tags(["x", "y"])
            .litellm_tags(["y", "z"])
            .litellm_cache(CacheControl::new().ttl(Duration::from_secs(9)))
            .litellm_cache(CacheControl::new().no_store())
            .litellm_mock_testing_fallbacks()
            .litellm_end_user("u-1");
        let body = serde_json::to_value(&request).unwrap_or_default();
        assert_eq!(body["metadata"], json!({"a": 1, "b": "two"}));
        assert_eq!(body["tags"], json!(["x", "y", "z"]));
        assert_eq!(body["cache"], json!({"ttl": 9, "no-store": true}));
        assert_eq!(body["mock_testing_fallbacks"], json!(true));
        assert_eq!(body["user"], json!("u-1"));
    }

    #[test]
    fn fields_of_another_shape_are_replaced() {
        let request = ChatRequest::new("m")
            .extra("metadata", json!("not an object"))
            .extra("tags", json!("solo"))
            .litellm_metadata("k", "v")
            .litellm_tags(["t"]);
        assert_eq!(request.extra["metadata"], json!({"k": "v"}));
        assert_eq!(request.extra["tags"], json!(["solo", "t"]));
    }
}
