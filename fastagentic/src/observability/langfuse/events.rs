//! The events of Langfuse's ingestion API (`POST /api/public/ingestion`),
//! built from hook contexts: `trace-create` per request, `generation-create`
//! per LLM call, `event-create` for retries and errors.
//!
//! Field names and shapes follow Langfuse's published OpenAPI schema
//! (`IngestionEvent`, `TraceBody`, `CreateGenerationBody`,
//! `CreateEventBody`); the tests validate what is sent against it.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::hooks::HookContext;

/// One event of a batch: the envelope Langfuse deduplicates by `id`.
#[derive(Debug, Serialize)]
pub(crate) struct Envelope {
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: &'static str,
    body: Body,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Body {
    Trace(TraceBody),
    Generation(GenerationBody),
    Event(EventBody),
}

/// `TraceBody`: created on `on_request`, completed on `on_response` (same
/// id: Langfuse merges them).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceBody {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
}

/// `CreateGenerationBody`: one LLM call.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationBody {
    id: String,
    trace_id: String,
    name: String,
    start_time: String,
    end_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<Value>,
    usage_details: UsageDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_details: Option<CostDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
}

/// `UsageDetails` in its map form: token counts by type.
#[derive(Debug, Serialize)]
struct UsageDetails {
    input: u64,
    output: u64,
    total: u64,
}

/// `costDetails`: US dollars by type.
#[derive(Debug, Serialize)]
struct CostDetails {
    total: f64,
}

/// `CreateEventBody`: a point in time of the trace (a retry, an error).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EventBody {
    id: String,
    trace_id: String,
    name: &'static str,
    start_time: String,
    level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_message: Option<String>,
    metadata: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
}

/// RFC 3339 in UTC with milliseconds, as Langfuse's `date-time` fields take it.
fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

fn envelope(kind: &'static str, now: SystemTime, body: Body) -> Envelope {
    Envelope {
        id: Uuid::new_v4().to_string(),
        timestamp: rfc3339(now),
        kind,
        body,
    }
}

/// The trace of a request, from `on_request`: its name, user and input.
pub(crate) fn trace_started(ctx: &HookContext, environment: Option<&str>) -> Envelope {
    let now = SystemTime::now();
    envelope(
        "trace-create",
        now,
        Body::Trace(TraceBody {
            id: ctx.run_id.to_string(),
            timestamp: Some(rfc3339(now)),
            name: ctx.endpoint.clone(),
            user_id: ctx.user_id.clone(),
            input: ctx.request().cloned(),
            output: None,
            environment: environment.map(str::to_owned),
        }),
    )
}

/// The same trace, from `on_response`: its output (and the user, if a
/// later hook identified one).
pub(crate) fn trace_answered(ctx: &HookContext, environment: Option<&str>) -> Envelope {
    envelope(
        "trace-create",
        SystemTime::now(),
        Body::Trace(TraceBody {
            id: ctx.run_id.to_string(),
            timestamp: None,
            name: ctx.endpoint.clone(),
            user_id: ctx.user_id.clone(),
            input: None,
            output: ctx.response().cloned(),
            environment: environment.map(str::to_owned),
        }),
    )
}

/// One LLM call, from `on_llm_end`: model, messages, answer, tokens, cost
/// and timing.
pub(crate) fn generation(ctx: &HookContext, environment: Option<&str>) -> Envelope {
    let end = SystemTime::now();
    let start = end
        .checked_sub(ctx.duration.unwrap_or(Duration::ZERO))
        .unwrap_or(end);
    let model = ctx.model.clone();
    let usage = &ctx.usage;
    envelope(
        "generation-create",
        end,
        Body::Generation(GenerationBody {
            id: Uuid::new_v4().to_string(),
            trace_id: ctx.run_id.to_string(),
            name: match &model {
                Some(model) => format!("chat {model}"),
                None => "chat".to_owned(),
            },
            start_time: rfc3339(start),
            end_time: rfc3339(end),
            model,
            input: serde_json::to_value(&ctx.messages).unwrap_or(Value::Null),
            output: ctx.response().map(answer),
            usage_details: UsageDetails {
                input: usage.input_tokens,
                output: usage.output_tokens,
                total: usage
                    .total_tokens
                    .max(usage.input_tokens + usage.output_tokens),
            },
            cost_details: usage
                .cost
                .filter(|c| c.is_finite())
                .map(|total| CostDetails { total }),
            metadata: (!ctx.metadata.is_empty()).then(|| Value::Object(ctx.metadata.clone())),
            environment: environment.map(str::to_owned),
        }),
    )
}

/// The answer as Langfuse shows it best: the first choice's message, or a
/// streamed answer's text as an assistant message.
fn answer(response: &Value) -> Value {
    if let Some(message) = response.pointer("/choices/0/message") {
        return message.clone();
    }
    match response.get("text") {
        Some(text) => json!({"role": "assistant", "content": text}),
        None => response.clone(),
    }
}

/// A retry, from `on_retry`: a `WARNING` event with the attempt and the wait.
pub(crate) fn retry(ctx: &HookContext, environment: Option<&str>) -> Envelope {
    let now = SystemTime::now();
    let error = ctx.error.as_ref();
    envelope(
        "event-create",
        now,
        Body::Event(EventBody {
            id: Uuid::new_v4().to_string(),
            trace_id: ctx.run_id.to_string(),
            name: "retry",
            start_time: rfc3339(now),
            level: "WARNING",
            status_message: error.map(|e| e.message.clone()),
            metadata: json!({
                "attempt": ctx.attempt,
                "next_delay_ms": ctx.next_delay.map(|d| d.as_millis() as u64),
                "model": ctx.model,
                "error_type": error.map(|e| e.kind.as_str()),
                "status": error.map(|e| e.status),
            }),
            environment: environment.map(str::to_owned),
        }),
    )
}

/// A failure, from `on_error`: an `ERROR` event with the error's type and status.
pub(crate) fn error(ctx: &HookContext, environment: Option<&str>) -> Envelope {
    let now = SystemTime::now();
    let error = ctx.error.as_ref();
    envelope(
        "event-create",
        now,
        Body::Event(EventBody {
            id: Uuid::new_v4().to_string(),
            trace_id: ctx.run_id.to_string(),
            name: "error",
            start_time: rfc3339(now),
            level: "ERROR",
            status_message: error.map(|e| e.message.clone()),
            metadata: json!({
                "error_type": error.map(|e| e.kind.as_str()),
                "status": error.map(|e| e.status),
            }),
            environment: environment.map(str::to_owned),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::HookEvent;
    use crate::llm::Usage;

    #[test]
    fn a_generation_starts_its_duration_before_it_ends() {
        let mut ctx = HookContext::new(HookEvent::OnLlmEnd, Uuid::new_v4(), "triage");
        ctx.model = Some("gpt-4o-mini".to_owned());
        ctx.usage = Usage::new(5, 7);
        ctx.duration = Some(Duration::from_millis(1500));
        ctx.set_response(Some(
            json!({"choices": [{"message": {"role": "assistant", "content": "hi"}}]}),
        ));
        let event = serde_json::to_value(generation(&ctx, None)).unwrap();
        let body = &event["body"];
        let start = humantime::parse_rfc3339(body["startTime"].as_str().unwrap()).unwrap();
        let end = humantime::parse_rfc3339(body["endTime"].as_str().unwrap()).unwrap();
        assert_eq!(
            end.duration_since(start).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            body["usageDetails"],
            json!({"input": 5, "output": 7, "total": 12})
        );
        assert_eq!(
            body["output"],
            json!({"role": "assistant", "content": "hi"})
        );
        assert_eq!(body["traceId"], ctx.run_id.to_string());
        assert_eq!(event["type"], "generation-create");
    }
}
