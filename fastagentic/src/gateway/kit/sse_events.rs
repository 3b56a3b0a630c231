//! [`SseEvents`] and [`retry_after`]: the pieces of the OpenAI-compatible
//! transport that a provider's own [`Transport`](super::Transport) needs too
//! (Anthropic's event stream, Azure's deployment URLs).

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;

use crate::gateway::sse::SseDecoder;

/// Splits a streamed body into the `data:` payloads of its server-sent
/// events, without copying them (the decoder of the OpenAI-compatible client).
///
/// ```
/// use fastagentic::gateway::kit::SseEvents;
/// let mut events = SseEvents::default();
/// events.push(b"event: ping\ndata: {\"type\":\"ping\"}\n\ndata: [DO");
/// assert_eq!(events.next_data().as_deref(), Some(&b"{\"type\":\"ping\"}"[..]));
/// assert_eq!(events.next_data(), None);
/// assert!(events.has_partial());
/// ```
#[derive(Debug, Default)]
pub struct SseEvents(SseDecoder);

impl SseEvents {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.0.push(bytes);
    }

    /// The next complete event's data, or `None` until more bytes arrive.
    pub fn next_data(&mut self) -> Option<Bytes> {
        self.0.next_data()
    }

    /// Whether bytes of an unfinished event are pending.
    pub fn has_partial(&self) -> bool {
        self.0.has_partial()
    }
}

/// How long a provider asked to wait: `retry-after-ms`, else `Retry-After`
/// in seconds (the reading of the OpenAI-compatible client).
///
/// ```
/// use fastagentic::gateway::kit::retry_after;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("retry-after", http::HeaderValue::from_static("3"));
/// assert_eq!(retry_after(&headers), Some(std::time::Duration::from_secs(3)));
/// ```
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    crate::gateway::openai_compat::retry_after(headers)
}
