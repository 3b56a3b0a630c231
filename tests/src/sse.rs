//! Reading server-sent event bodies in tests.

use serde_json::Value;

/// The text of every `delta.content` of an SSE body of chat chunks, and
/// whether the body ended with `data: [DONE]`.
pub fn streamed_text(sse: &str) -> (String, bool) {
    let mut text = String::new();
    let mut done = false;
    for data in sse
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
    {
        if data == "[DONE]" {
            done = true;
        } else if let Ok(chunk) = serde_json::from_str::<Value>(data) {
            text.push_str(
                chunk["choices"][0]["delta"]["content"]
                    .as_str()
                    .unwrap_or(""),
            );
        }
    }
    (text, done)
}
