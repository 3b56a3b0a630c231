//! Decoding an endpoint's JSON input, with errors that name the field.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::AgentError;

/// The request body as the glue receives it: raw bytes (decoded straight
/// into the input type) or JSON already parsed (when path parameters were
/// merged in or an `on_request` hook looked at it).
#[derive(Debug)]
pub enum InputBody {
    /// The body as received.
    Bytes(Bytes),
    /// The body parsed (and possibly changed).
    Json(Value),
}

/// Decodes the input: malformed JSON answers 400, JSON of the wrong shape
/// 422 with the path of the offending field.
pub fn decode_input<T: DeserializeOwned>(body: InputBody) -> Result<T, AgentError> {
    match body {
        InputBody::Bytes(bytes) => {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(AgentError::new(
                    400,
                    "invalid_json",
                    "the request body is empty: send a JSON object matching the input schema (see /openapi.json)",
                ));
            }
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let value = serde_path_to_error::deserialize(&mut de).map_err(path_error)?;
            de.end().map_err(|e| syntax_error(&e))?;
            Ok(value)
        }
        InputBody::Json(value) => serde_path_to_error::deserialize(value).map_err(path_error),
    }
}

/// Parses the body as JSON (400 when it is not JSON).
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, AgentError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(|e| syntax_error(&e))
}

fn syntax_error(e: &serde_json::Error) -> AgentError {
    AgentError::new(
        400,
        "invalid_json",
        format!("the request body is not valid JSON: {e}"),
    )
    .with_details(json!({"line": e.line(), "column": e.column()}))
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>) -> AgentError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let field = if path == "." {
                "the body".to_owned()
            } else {
                format!("`{path}`")
            };
            AgentError::new(
                422,
                "validation_error",
                format!("{field}: {}", strip_position(&inner)),
            )
            .with_details(json!({"path": path}))
        }
        _ => syntax_error(&inner),
    }
}

/// serde_json appends " at line L column C"; the path says more.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Ticket {
        text: String,
        meta: Meta,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Meta {
        priority: u8,
    }

    #[test]
    fn malformed_is_400_and_shape_is_422_with_path() {
        let e = decode_input::<Ticket>(InputBody::Bytes(Bytes::from_static(b"{\"text\": ")))
            .unwrap_err();
        assert_eq!((e.status(), e.kind()), (400, "invalid_json"));
        let e = decode_input::<Ticket>(InputBody::Bytes(Bytes::from_static(
            br#"{"text": "a", "meta": {"priority": "high"}}"#,
        )))
        .unwrap_err();
        assert_eq!((e.status(), e.kind()), (422, "validation_error"));
        assert_eq!(e.details().unwrap()["path"], "meta.priority");
        let e =
            decode_input::<Ticket>(InputBody::Json(json!({"meta": {"priority": 1}}))).unwrap_err();
        assert_eq!(e.status(), 422);
        assert!(
            e.message().contains("missing field `text`"),
            "{}",
            e.message()
        );
        let e = decode_input::<Ticket>(InputBody::Bytes(Bytes::from_static(
            br#"{"text": "a", "meta": {"priority": 1}} trailing"#,
        )))
        .unwrap_err();
        assert_eq!(e.status(), 400);
    }
}
