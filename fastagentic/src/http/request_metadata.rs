//! Request metadata from the incoming request's headers: Portkey's
//! `x-portkey-metadata` convention (a JSON object), so clients written for a
//! Portkey gateway keep working, and FastAgentic's own
//! `x-fastagentic-metadata` (the same form; its entries win).

use std::sync::Arc;

use http::HeaderMap;
use serde_json::Value;

use crate::error::AgentError;
use crate::llm::Extra;

/// The headers read, in order: a later one's entries replace an earlier one's.
pub(crate) const REQUEST_METADATA_HEADERS: [&str; 2] =
    ["x-portkey-metadata", "x-fastagentic-metadata"];

/// The request metadata the headers carry; `None` when there is none (the
/// common case costs two header look-ups). A header that is not a JSON
/// object answers 400, naming the header.
pub(crate) fn from_headers(headers: &HeaderMap) -> Result<Option<Arc<Extra>>, AgentError> {
    let mut metadata: Option<Extra> = None;
    for name in REQUEST_METADATA_HEADERS {
        let Some(value) = headers.get(name) else {
            continue;
        };
        let invalid = |why: String| {
            AgentError::new(
                400,
                "invalid_request_metadata",
                format!("the `{name}` header must be a JSON object, e.g. {{\"tier\": \"premium\"}}: {why}"),
            )
            .with_details(serde_json::json!({"header": name}))
        };
        let entries = match serde_json::from_slice::<Value>(value.as_bytes()) {
            Ok(Value::Object(entries)) => entries,
            Ok(other) => return Err(invalid(format!("got {}", kind(&other)))),
            Err(error) => return Err(invalid(error.to_string())),
        };
        metadata.get_or_insert_with(Extra::new).extend(entries);
    }
    Ok(metadata.map(Arc::new))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn reads_both_headers_the_later_winning() {
        let mut headers = HeaderMap::new();
        assert!(from_headers(&headers).unwrap().is_none());
        headers.insert(
            "x-portkey-metadata",
            HeaderValue::from_static(r#"{"tier": "free", "_user": "u1"}"#),
        );
        headers.insert(
            "x-fastagentic-metadata",
            HeaderValue::from_static(r#"{"tier": "premium"}"#),
        );
        let metadata = from_headers(&headers).unwrap().unwrap();
        assert_eq!(metadata["tier"], "premium");
        assert_eq!(metadata["_user"], "u1");
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        for bad in ["[1]", "\"premium\"", "{not json"] {
            let mut headers = HeaderMap::new();
            headers.insert("x-portkey-metadata", HeaderValue::from_static(bad));
            let error = from_headers(&headers).unwrap_err();
            assert_eq!(error.status(), 400, "{bad}");
            assert_eq!(error.kind(), "invalid_request_metadata");
            assert!(error.message().contains("x-portkey-metadata"), "{bad}");
        }
    }
}
