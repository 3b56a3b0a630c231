//! JSON as an HTTP header value: compact, and ASCII-only (non-ASCII
//! characters written as `\uXXXX` escapes, which every JSON reader reads as
//! the same value), since header values must be visible ASCII.

use http::HeaderValue;

/// `json` (already compact JSON) as a header value.
pub(crate) fn json_header(json: &str) -> Result<HeaderValue, String> {
    let text = if json.is_ascii() {
        std::borrow::Cow::Borrowed(json)
    } else {
        std::borrow::Cow::Owned(ascii_escaped(json))
    };
    HeaderValue::from_str(&text).map_err(|error| error.to_string())
}

/// Escapes every non-ASCII character as `\uXXXX` (UTF-16, surrogate pairs
/// beyond the BMP). Non-ASCII characters only occur inside JSON strings, so
/// the result is the same JSON value.
fn ascii_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn escapes_non_ascii_to_the_same_value() {
        let value = json!({"name": "café 🚀", "plain": "x"});
        let header = json_header(&value.to_string()).expect("header");
        let text = header.to_str().expect("ascii");
        assert!(text.is_ascii());
        assert!(text.contains("caf\\u00e9 \\ud83d\\ude80"), "{text}");
        assert_eq!(serde_json::from_str::<Value>(text).expect("json"), value);
    }

    #[test]
    fn keeps_ascii_json_as_is() {
        let text = r#"{"retry":{"attempts":2}}"#;
        assert_eq!(json_header(text).expect("header").to_str().ok(), Some(text));
    }
}
