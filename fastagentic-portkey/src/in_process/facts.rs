//! `metadata["portkey"]` of an in-process answer, from the route the tree
//! recorded, with the fields and values Portkey's response headers give.

use fastagentic::gateway::GatewayReply;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::settings::NAME;

/// Fills the `portkey` section: `cache_status` (`HIT`, `MISS`, `REFRESH`,
/// `SEMANTIC HIT`, `SEMANTIC MISS`, `DISABLED`), `cache_hit`, on a semantic
/// hit `cache_similarity`, `retry_attempts` (retries made),
/// `retries_exhausted` (always false on an answer), `last_used_option_index`
/// (`config.targets[1]...`), `provider` (set by the answering target),
/// `trace_id`.
pub(crate) fn fill(reply: &mut GatewayReply, trace_id: Option<String>) {
    let route = &reply.route;
    let cache_status = route
        .cache
        .map_or("DISABLED", |cache| cache.status.as_str());
    let cache_hit = route.cache.is_some_and(|cache| cache.status.is_hit());
    let similarity = route.cache.and_then(|cache| cache.similarity);
    // `config.targets[1].targets[0]`, written into one string.
    let mut index = String::with_capacity(6 + 11 * route.path.segments().len());
    index.push_str("config");
    for segment in route.path.segments() {
        let _ = write!(index, ".{segment}");
    }
    let retries = route.attempts.unwrap_or(1).saturating_sub(1);
    let trace_id = trace_id.filter(|id| !id.is_empty());
    // The section the answering target's `Labelled` opened, filled in place.
    let metadata = reply.gateway_metadata_mut();
    if !matches!(metadata.get(NAME), Some(Value::Object(_))) {
        metadata.insert(NAME.to_owned(), Value::Object(Map::new()));
    }
    let Some(Value::Object(section)) = metadata.get_mut(NAME) else {
        return;
    };
    section.insert("cache_status".into(), cache_status.into());
    section.insert("cache_hit".into(), cache_hit.into());
    if let Some(similarity) = similarity {
        section.insert("cache_similarity".into(), similarity.into());
    }
    section.insert("retry_attempts".into(), retries.into());
    section.insert("retries_exhausted".into(), false.into());
    section.insert("last_used_option_index".into(), index.into());
    section.entry("provider").or_insert(Value::Null);
    section.insert("trace_id".into(), trace_id.into());
    section.insert("mode".into(), "in_process".into());
}
