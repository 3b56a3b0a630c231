//! `metadata["portkey"]` of an in-process answer, from the route the tree
//! recorded, with the fields and values Portkey's response headers give.

use fastagentic::gateway::GatewayReply;
use serde_json::{Map, Value, json};

use crate::settings::NAME;

/// Fills the `portkey` section: `cache_status` (`HIT`, `MISS`, `REFRESH`,
/// `DISABLED`), `cache_hit`, `retry_attempts` (retries made),
/// `retries_exhausted` (always false on an answer), `last_used_option_index`
/// (`config.targets[1]...`), `provider` (set by the answering target),
/// `trace_id`.
pub(crate) fn fill(reply: &mut GatewayReply, trace_id: Option<String>) {
    let route = &reply.route;
    let cache_status = route
        .cache
        .map_or("DISABLED", |cache| cache.status.as_str());
    let mut index = "config".to_owned();
    for segment in route.path.segments() {
        index.push('.');
        index.push_str(&segment.to_string());
    }
    let retries = route.attempts.unwrap_or(1).saturating_sub(1);
    let trace_id = trace_id.filter(|id| !id.is_empty());
    let metadata = reply.gateway_metadata_mut();
    let mut section = match metadata.remove(NAME) {
        Some(Value::Object(section)) => section,
        _ => Map::new(),
    };
    section.insert("cache_status".into(), json!(cache_status));
    section.insert("cache_hit".into(), json!(cache_status == "HIT"));
    section.insert("retry_attempts".into(), json!(retries));
    section.insert("retries_exhausted".into(), json!(false));
    section.insert("last_used_option_index".into(), json!(index));
    section.entry("provider").or_insert(Value::Null);
    section.insert("trace_id".into(), json!(trace_id));
    section.insert("mode".into(), json!("in_process"));
    metadata.insert(NAME.to_owned(), Value::Object(section));
}
