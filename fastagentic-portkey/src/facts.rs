//! Portkey's facts about an answer, read from its `x-portkey-*` response
//! headers into the `portkey` section of `HookContext::metadata`.

use http::{HeaderMap, HeaderName};
use serde_json::{Value, json};

use crate::wire;

/// The `portkey` section: `cache_status`, `cache_hit`, `retry_attempts`,
/// `retries_exhausted`, `last_used_option_index`, `provider`, `trace_id`.
/// `configured_retries` (the config's `retry.attempts`) counts the retries
/// when Portkey answers `-1` (every retry was used); `sent_trace_id` stands
/// in when Portkey does not echo the trace id.
pub(crate) fn section(
    headers: &HeaderMap,
    sent_trace_id: Option<String>,
    configured_retries: Option<u64>,
) -> Value {
    let text = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let cache_status = text(&wire::CACHE_STATUS);
    let cache_hit = cache_status.is_some_and(|status| status.to_ascii_uppercase().ends_with("HIT"));
    let count = text(&wire::RETRY_ATTEMPT_COUNT).and_then(|count| count.parse::<i64>().ok());
    let (retry_attempts, retries_exhausted) = match count {
        Some(count) => match u64::try_from(count) {
            Ok(count) => (Some(count), false),
            // -1: every retry was used.
            Err(_) => (configured_retries, true),
        },
        None => (None, false),
    };
    let trace_id = text(&wire::TRACE_ID).map(str::to_owned).or(sent_trace_id);
    json!({
        "cache_status": cache_status,
        "cache_hit": cache_hit,
        "retry_attempts": retry_attempts,
        "retries_exhausted": retries_exhausted,
        "last_used_option_index": text(&wire::LAST_USED_OPTION_INDEX),
        "provider": text(&wire::PROVIDER),
        "trace_id": trace_id,
    })
}
