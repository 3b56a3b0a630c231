//! One LLM call as the dashboard's request log shows it, and the call
//! being recorded while it runs.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::CallLog;
use crate::gateway::CallContext;
use crate::gateway::kit::redact;
use crate::llm::{Extra, Message, Usage};
use crate::observability::metrics::Operation;

/// The longest prompt or answer kept per call (when the app shows them),
/// in characters; longer ones are cut and marked.
pub(crate) const MAX_TEXT_CHARS: usize = 2_000;

/// One finished LLM call.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CallRecord {
    /// Its place in the log: 1 for the first call the app made.
    pub seq: u64,
    /// When it started, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The endpoint (or mounted route) that made it.
    #[serde(serialize_with = "shared_str")]
    pub endpoint: Arc<str>,
    /// `chat` or `embeddings`.
    pub operation: &'static str,
    /// The model asked for.
    pub model: String,
    /// The model that answered, when another than the one asked for (a
    /// fallback target, an override).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// The node of the gateway tree that answered (`targets[1]`, empty
    /// for the root).
    pub route: String,
    /// Calls made to the node that answered.
    pub attempts: u32,
    /// The targets that failed before, in order.
    pub passed_over: Vec<PassedOverTarget>,
    /// `ok`, or the error's type.
    pub status: &'static str,
    /// The provider's HTTP status, when a failure had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
    /// How long it took through the gateway, in milliseconds.
    pub latency_ms: f64,
    /// Tokens in.
    pub input_tokens: u64,
    /// Tokens out.
    pub output_tokens: u64,
    /// What it cost, in US dollars (0 for a cache hit, or an unknown price).
    pub cost_usd: f64,
    /// What a cache hit saved, in US dollars.
    pub saved_usd: f64,
    /// What the cache did: `HIT`, `MISS`, `REFRESH`, `SEMANTIC HIT`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<String>,
    /// The user the request ran as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The prompt, when the app shows prompts; secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The answer, when the app shows prompts; secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// A target passed over on the way to the answer.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PassedOverTarget {
    /// Where it sits (`targets[0]`).
    pub path: String,
    /// The model it was asked for.
    pub model: String,
    /// The error's type.
    pub error: String,
    /// The provider's status, when it answered with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl CallRecord {
    /// Whether the call failed.
    pub(crate) fn failed(&self) -> bool {
        self.status != "ok"
    }

    /// Whether a cache answered it (exact or semantic).
    pub(crate) fn cache_hit(&self) -> bool {
        self.cache.as_deref().is_some_and(|s| s.ends_with("HIT"))
    }
}

/// A call being recorded: what is known when it starts.
pub(crate) struct PendingCall {
    log: Arc<CallLog>,
    time_ms: u64,
    endpoint: Arc<str>,
    operation: Operation,
    model: String,
    user: Option<String>,
    prompt: Option<String>,
}

/// How a call ended, as the log records it.
pub(crate) enum Ending<'a> {
    /// It answered.
    Answered {
        /// The model the provider named.
        model: &'a str,
        /// Tokens and cost.
        usage: Option<&'a Usage>,
        /// The answer's gateway facts (`metadata["fastagentic"]` holds the route).
        facts: &'a Extra,
        /// The answer's text, for apps that show it.
        text: Option<&'a str>,
    },
    /// It failed.
    Failed {
        /// The error's type.
        kind: &'static str,
        /// The provider's status.
        status: Option<u16>,
    },
}

impl PendingCall {
    /// Starts recording a call of `endpoint` into `log`.
    pub(crate) fn begin(
        log: Arc<CallLog>,
        endpoint: Arc<str>,
        call: &CallContext,
        operation: Operation,
        model: &str,
        messages: &[Message],
    ) -> Self {
        let prompt = log.shows_prompts().then(|| prompt_text(messages));
        Self {
            log,
            time_ms: unix_ms(SystemTime::now()),
            endpoint,
            operation,
            model: model.to_owned(),
            user: call.user_id().map(str::to_owned),
            prompt,
        }
    }

    /// Whether the answer's text is recorded.
    pub(crate) fn wants_text(&self) -> bool {
        self.log.shows_prompts()
    }

    /// The call ended after `elapsed`; the record goes into the log.
    pub(crate) fn end(self, elapsed: Duration, ending: Ending<'_>) {
        let mut record = CallRecord {
            seq: 0,
            time_ms: self.time_ms,
            endpoint: self.endpoint,
            operation: self.operation.as_str(),
            model: self.model,
            answered_by: None,
            route: String::new(),
            attempts: 1,
            passed_over: Vec::new(),
            status: "ok",
            upstream_status: None,
            latency_ms: elapsed.as_secs_f64() * 1e3,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0.0,
            saved_usd: 0.0,
            cache: None,
            user: self.user,
            prompt: self.prompt,
            answer: None,
        };
        match ending {
            Ending::Answered {
                model,
                usage,
                facts,
                text,
            } => {
                if let Some(usage) = usage {
                    record.input_tokens = usage.input_tokens;
                    record.output_tokens = usage.output_tokens;
                    record.cost_usd = usage
                        .cost
                        .filter(|c| c.is_finite() && *c > 0.0)
                        .unwrap_or(0.0);
                }
                if let Some(Value::Object(route)) = facts.get(crate::reliability::METADATA_KEY) {
                    read_route(&mut record, route);
                }
                if record.answered_by.is_none() && !model.is_empty() && model != record.model {
                    record.answered_by = Some(model.to_owned());
                }
                if self.log.shows_prompts() {
                    record.answer = text.map(masked);
                }
            }
            Ending::Failed { kind, status } => {
                record.status = kind;
                record.upstream_status = status;
            }
        }
        self.log.push(record);
    }
}

/// The route facts of `metadata["fastagentic"]` (see
/// [`Route::facts`](crate::gateway::Route::facts)).
fn read_route(record: &mut CallRecord, route: &Extra) {
    let text = |key: &str| route.get(key).and_then(Value::as_str);
    let number = |value: Option<&Value>| value.and_then(Value::as_u64);
    if let Some(status) = text("cache_status") {
        record.cache = Some(status.chars().take(32).collect());
    }
    if let Some(attempts) = number(route.get("attempts")) {
        record.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    }
    record.route = match (text("path"), number(route.get("target_index"))) {
        (Some(path), _) => path.to_owned(),
        (None, Some(index)) => format!("targets[{index}]"),
        (None, None) => String::new(),
    };
    if let Some(model) = text("model") {
        record.answered_by = Some(model.to_owned());
    }
    if let Some(Value::Array(failed)) = route.get("failed") {
        record.passed_over = failed
            .iter()
            .map(|entry| {
                let path = match (
                    entry.get("path").and_then(Value::as_str),
                    number(entry.get("target_index")),
                ) {
                    (Some(path), _) => path.to_owned(),
                    (None, Some(index)) => format!("targets[{index}]"),
                    (None, None) => String::new(),
                };
                PassedOverTarget {
                    path,
                    model: entry
                        .get("model")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    error: entry
                        .get("error")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    status: number(entry.get("status")).and_then(|s| u16::try_from(s).ok()),
                }
            })
            .collect();
    }
    // A cache hit costs nothing; what the call would have cost is saved.
    if record.cache_hit() {
        let saved = route.get("saved_cost").and_then(Value::as_f64);
        record.saved_usd = saved.unwrap_or(record.cost_usd).max(0.0);
        record.cost_usd = 0.0;
    }
}

/// The messages as `role: text` lines, secrets masked, cut to [`MAX_TEXT_CHARS`].
fn prompt_text(messages: &[Message]) -> String {
    let mut text = String::new();
    for message in messages {
        if !text.is_empty() {
            text.push('\n');
        }
        let role = serde_json::to_value(message.role)
            .ok()
            .and_then(|role| role.as_str().map(str::to_owned))
            .unwrap_or_default();
        text.push_str(&role);
        text.push_str(": ");
        text.push_str(&message.text());
        if text.len() > MAX_TEXT_CHARS * 4 {
            break;
        }
    }
    masked(&text)
}

/// `text` with credentials masked, cut to [`MAX_TEXT_CHARS`] characters.
fn masked(text: &str) -> String {
    let clean = redact::text(text);
    if clean.chars().count() <= MAX_TEXT_CHARS {
        return clean.into_owned();
    }
    let mut cut: String = clean.chars().take(MAX_TEXT_CHARS).collect();
    cut.push_str(" …");
    cut
}

fn shared_str<S: serde::Serializer>(text: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(text)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
