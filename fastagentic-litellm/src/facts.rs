//! The proxy's facts about a call, read from its `x-litellm-*` response
//! headers into the `litellm` section of `HookContext::metadata`.

use fastagentic::gateway::kit;
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::wire::header;

/// What the response headers say.
pub(crate) struct Facts {
    /// LiteLLM's cost of the call in US dollars, when it knows it.
    pub(crate) cost: Option<f64>,
    /// The `litellm` metadata section.
    pub(crate) section: Value,
}

impl Facts {
    /// Reads every fact the proxy sent; absent or unreadable headers are left out.
    pub(crate) fn read(headers: &HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty() && *value != "None")
        };
        let number = |name: &str| {
            text(name)
                .and_then(|value| value.parse::<f64>().ok())
                .filter(|value| value.is_finite())
        };
        let count = |name: &str| {
            number(name)
                .filter(|value| *value >= 0.0 && value.fract() == 0.0)
                // The proxy sends small counts; exact in f64.
                .map(|value| Value::from(value as u64))
        };

        let mut section = Map::new();
        let cost = number(header::RESPONSE_COST).filter(|cost| *cost >= 0.0);
        if let Some(cost) = cost {
            section.insert("cost".to_owned(), Value::from(cost));
        }
        for (key, name) in [
            ("model_id", header::MODEL_ID),
            ("model_api_base", header::MODEL_API_BASE),
            ("model_group", header::MODEL_GROUP),
            ("call_id", header::CALL_ID),
        ] {
            if let Some(value) = text(name) {
                section.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
        for (key, name) in [
            ("attempted_retries", header::ATTEMPTED_RETRIES),
            ("max_retries", header::MAX_RETRIES),
            ("attempted_fallbacks", header::ATTEMPTED_FALLBACKS),
        ] {
            if let Some(value) = count(name) {
                section.insert(key.to_owned(), value);
            }
        }
        let cache_key = text(header::CACHE_KEY);
        section.insert("cache_hit".to_owned(), Value::Bool(cache_key.is_some()));
        if let Some(key) = cache_key {
            section.insert("cache_key".to_owned(), Value::String(key.to_owned()));
        }
        for (key, name) in [
            ("overhead_ms", header::OVERHEAD_DURATION_MS),
            ("response_ms", header::RESPONSE_DURATION_MS),
        ] {
            if let Some(value) = number(name) {
                section.insert(key.to_owned(), Value::from(value));
            }
        }
        Self {
            cost,
            section: Value::Object(section),
        }
    }

    /// The facts for the kit, which puts the cost into `usage.cost` of
    /// plain answers (it wins over the app's price table) and the section
    /// under `litellm`.
    pub(crate) fn into_kit(self) -> kit::Facts {
        kit::Facts {
            section: Some(self.section),
            cost: self.cost,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn reads_what_the_proxy_sends() {
        let facts = Facts::read(&headers(&[
            ("x-litellm-response-cost", "5.500000000000001e-05"),
            ("x-litellm-model-id", "9e17b3c1"),
            ("x-litellm-model-api-base", "http://127.0.0.1:9/v1"),
            ("x-litellm-model-group", "gpt-4o"),
            ("x-litellm-call-id", "ef4f1baa-8109"),
            ("x-litellm-attempted-retries", "2"),
            ("x-litellm-max-retries", "3"),
            ("x-litellm-attempted-fallbacks", "1"),
            ("x-litellm-cache-key", "9a23874a"),
            ("x-litellm-overhead-duration-ms", "4.5"),
            ("x-litellm-response-duration-ms", "23.65"),
        ]));
        assert_eq!(facts.cost, Some(5.500000000000001e-05));
        assert_eq!(
            facts.section,
            json!({
                "cost": 5.500000000000001e-05, "model_id": "9e17b3c1",
                "model_api_base": "http://127.0.0.1:9/v1", "model_group": "gpt-4o",
                "call_id": "ef4f1baa-8109", "attempted_retries": 2, "max_retries": 3,
                "attempted_fallbacks": 1, "cache_hit": true, "cache_key": "9a23874a",
                "overhead_ms": 4.5, "response_ms": 23.65
            })
        );
    }

    #[test]
    fn absent_or_unreadable_headers_are_left_out() {
        let facts = Facts::read(&headers(&[
            ("x-litellm-response-cost", "None"),
            ("x-litellm-attempted-retries", "-1"),
            ("x-litellm-attempted-fallbacks", "many"),
            ("x-litellm-overhead-duration-ms", "NaN"),
        ]));
        assert_eq!(facts.cost, None);
        assert_eq!(facts.section, json!({"cache_hit": false}));
    }
}
