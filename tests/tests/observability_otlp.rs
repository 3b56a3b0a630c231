//! Spans over OTLP: a child process runs an app with `Telemetry` set up from
//! its environment (`OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a receiver in
//! this test), and the receiver decodes what arrives (protobuf or JSON) to
//! check span names, kinds, parent/child links, attributes and events.
//!
//! A child process because `Telemetry::init` installs process-wide state,
//! and because the variables must be set before the process reads them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use fastagentic::observability::{Telemetry, gen_ai};
use fastagentic::prelude::*;
use fastagentic::reliability::{Backoff, ReliableGateway, RetryPolicy, Target};
use fastagentic::testing::{MockProvider, MockReply};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode};
use prost::Message;
use serde_json::{Value, json};

/// Set in the child's environment; the child test does nothing without it.
const CHILD: &str = "FASTAGENTIC_OTLP_TEST_CHILD";
/// The caller's trace context the child sends with its first request.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

#[derive(Deserialize, JsonSchema)]
struct Ask {
    model: String,
}

#[derive(Serialize, JsonSchema)]
struct Answer {
    text: String,
}

/// Asks the model named in the input.
#[agent_endpoint(path = "/otel/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new(input.model).user("hi").max_tokens(64))
        .await?;
    Ok(Answer {
        text: reply.text().to_owned(),
    })
}

/// The child: telemetry from the environment, three requests, a flush.
/// It prints `EXPORTS_SPANS=<bool>` and `RUN <name> <run id>` lines.
#[tokio::test]
#[ignore = "helper, run in a child process by the OTLP tests"]
async fn helper_child_process() {
    assert!(
        std::env::var_os(CHILD).is_some(),
        "run by the OTLP tests in a child process, with {CHILD} set"
    );
    let telemetry = Telemetry::from_env()
        .service_name("otlp-test")
        .init()
        .expect("telemetry starts");
    println!("EXPORTS_SPANS={}", telemetry.exports_spans());

    let mock = MockProvider::start().await;
    mock.push_for_model("gpt-4o-mini", MockReply::status(503));
    mock.on_model("gpt-4o-mini", MockReply::text("hello").usage(10, 20));
    mock.on_model("down", MockReply::status(503));
    mock.on_model("backup", MockReply::text("from the backup").usage(1, 2));
    mock.on_model("bad", MockReply::status(400).message("no such model"));
    let gateway = ReliableGateway::new(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .retry(RetryPolicy::new(2).backoff(Backoff::fixed(Duration::from_millis(1))))
        .fallback([Target::model("backup")]);
    let app = App::new("OTLP test")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .llm_gateway(gateway)
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for (name, model, traceparent) in [
        (
            "retried",
            "gpt-4o-mini",
            Some(format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01")),
        ),
        ("fallback", "down", None),
        ("failed", "bad", None),
    ] {
        let mut request = client
            .post(format!("{}/otel/ask", app.url()))
            .json(&json!({"model": model}));
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        let response = request.send().await.unwrap();
        let run_id = response.headers()["x-fastagentic-run-id"]
            .to_str()
            .unwrap()
            .to_owned();
        println!("RUN {name} {run_id} {}", response.status().as_u16());
    }
    app.shutdown().await.unwrap();
    tokio::task::spawn_blocking(move || {
        telemetry.flush().expect("the spans are exported");
        drop(telemetry);
    })
    .await
    .unwrap();
}

/// What the receiver got: content type and body of each POST to `/v1/traces`.
type Posts = Arc<Mutex<Vec<(String, Bytes)>>>;

/// An OTLP/HTTP receiver on loopback.
async fn receiver() -> (String, Posts) {
    let posts = Posts::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            post(
                |State(posts): State<Posts>, headers: HeaderMap, body: Bytes| async move {
                    let content_type = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let json = content_type.starts_with("application/json");
                    posts.lock().unwrap().push((content_type, body));
                    // An empty ExportTraceServiceResponse.
                    let answer: Bytes = if json {
                        Bytes::from_static(b"{}")
                    } else {
                        Bytes::new()
                    };
                    (
                        [(
                            "content-type",
                            if json {
                                "application/json"
                            } else {
                                "application/x-protobuf"
                            },
                        )],
                        answer,
                    )
                },
            ),
        )
        .with_state(posts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, posts)
}

/// Runs `helper_child_process` in a new process with `env`; returns its stdout and stderr.
async fn run_child(env: &[(&str, &str)]) -> (String, String) {
    let mut command = tokio::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "helper_child_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("RUST_LOG", "info")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_PROTOCOL")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .env_remove("OTEL_SERVICE_NAME");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the child finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// The child's run ids and statuses by name.
fn runs(stdout: &str) -> Vec<(String, String, u16)> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("RUN "))
        .map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            (
                parts[0].to_owned(),
                parts[1].to_owned(),
                parts[2].parse().unwrap(),
            )
        })
        .collect()
}

/// Decodes every post, by its content type.
fn decode(posts: &Posts) -> Vec<ExportTraceServiceRequest> {
    posts
        .lock()
        .unwrap()
        .iter()
        .map(|(content_type, body)| {
            if content_type.starts_with("application/json") {
                serde_json::from_slice(body).expect("OTLP/JSON")
            } else {
                assert_eq!(content_type, "application/x-protobuf");
                ExportTraceServiceRequest::decode(body.as_ref()).expect("OTLP/protobuf")
            }
        })
        .collect()
}

fn json_of(value: &AnyValue) -> Value {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => json!(s),
        Some(any_value::Value::IntValue(i)) => json!(i),
        Some(any_value::Value::DoubleValue(d)) => json!(d),
        Some(any_value::Value::BoolValue(b)) => json!(b),
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().map(json_of).collect())
        }
        other => panic!("unexpected attribute value {other:?}"),
    }
}

fn attr(attributes: &[KeyValue], key: &str) -> Value {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .map(json_of)
        .unwrap_or(Value::Null)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the exported spans of the child's three runs.
fn check_spans(requests: &[ExportTraceServiceRequest], stdout: &str) {
    let mut spans: Vec<&Span> = Vec::new();
    for request in requests {
        for resource in &request.resource_spans {
            let attributes = &resource.resource.as_ref().unwrap().attributes;
            assert_eq!(attr(attributes, "service.name"), "otlp-test");
            for scope in &resource.scope_spans {
                spans.extend(&scope.spans);
            }
        }
    }
    let runs = runs(stdout);
    assert_eq!(runs.len(), 3, "{stdout}");
    let request_span = |run_id: &str| -> &Span {
        let found: Vec<&&Span> = spans
            .iter()
            .filter(|s| attr(&s.attributes, gen_ai::RUN_ID) == run_id)
            .collect();
        assert_eq!(found.len(), 1, "one request span per run");
        found[0]
    };
    let children = |parent: &Span| -> Vec<&Span> {
        spans
            .iter()
            .copied()
            .filter(|s| s.parent_span_id == parent.span_id && s.trace_id == parent.trace_id)
            .collect()
    };

    for (name, run_id, status) in &runs {
        let request = request_span(run_id);
        assert_eq!(request.name, "POST /otel/ask");
        assert_eq!(request.kind, SpanKind::Server as i32);
        assert_eq!(
            attr(&request.attributes, gen_ai::HTTP_REQUEST_METHOD),
            "POST"
        );
        assert_eq!(attr(&request.attributes, gen_ai::HTTP_ROUTE), "/otel/ask");
        assert_eq!(attr(&request.attributes, gen_ai::ENDPOINT), "ask");
        assert_eq!(
            attr(&request.attributes, gen_ai::HTTP_RESPONSE_STATUS_CODE),
            json!(status)
        );

        let llm = children(request);
        assert_eq!(llm.len(), 1, "{name}: one LLM call span under the request");
        let llm = llm[0];
        assert_eq!(llm.kind, SpanKind::Client as i32);
        assert_eq!(attr(&llm.attributes, gen_ai::OPERATION_NAME), "chat");
        assert_eq!(attr(&llm.attributes, gen_ai::SYSTEM), "openai");
        assert_eq!(attr(&llm.attributes, gen_ai::PROVIDER_NAME), "openai");
        assert_eq!(attr(&llm.attributes, gen_ai::REQUEST_MAX_TOKENS), 64);
        assert!(llm.start_time_unix_nano >= request.start_time_unix_nano);
        assert!(llm.end_time_unix_nano <= request.end_time_unix_nano);
        // Log events inside the span become span events too; keep ours.
        let ours: Vec<_> = llm
            .events
            .iter()
            .filter(|e| [gen_ai::RETRY_EVENT, gen_ai::FALLBACK_EVENT].contains(&e.name.as_str()))
            .collect();
        let event_names: Vec<&str> = ours.iter().map(|e| e.name.as_str()).collect();

        match name.as_str() {
            "retried" => {
                assert_eq!(hex(&request.trace_id), TRACE_ID, "the caller's trace");
                assert_eq!(
                    hex(&request.parent_span_id),
                    PARENT_SPAN_ID,
                    "the caller's span"
                );
                assert_eq!(llm.name, "chat gpt-4o-mini");
                assert_eq!(attr(&llm.attributes, gen_ai::REQUEST_MODEL), "gpt-4o-mini");
                assert_eq!(attr(&llm.attributes, gen_ai::RESPONSE_MODEL), "gpt-4o-mini");
                assert_eq!(attr(&llm.attributes, gen_ai::USAGE_INPUT_TOKENS), 10);
                assert_eq!(attr(&llm.attributes, gen_ai::USAGE_OUTPUT_TOKENS), 20);
                assert_eq!(
                    attr(&llm.attributes, gen_ai::RESPONSE_FINISH_REASONS),
                    json!(["stop"])
                );
                assert!(attr(&llm.attributes, gen_ai::RESPONSE_ID).is_string());
                assert_eq!(event_names, [gen_ai::RETRY_EVENT]);
                let retry = &ours[0].attributes;
                assert_eq!(attr(retry, gen_ai::RETRY_ATTEMPT), 1);
                assert_eq!(attr(retry, gen_ai::ERROR_TYPE), "upstream_error");
                assert_eq!(attr(retry, gen_ai::UPSTREAM_STATUS), 503);
                assert!(attr(retry, gen_ai::RETRY_DELAY_MS).is_i64());
                assert_ne!(
                    llm.status.as_ref().map(|s| s.code),
                    Some(StatusCode::Error as i32)
                );
            }
            "fallback" => {
                assert_eq!(llm.name, "chat down");
                assert_eq!(attr(&llm.attributes, gen_ai::REQUEST_MODEL), "down");
                assert_eq!(attr(&llm.attributes, gen_ai::RESPONSE_MODEL), "backup");
                assert!(
                    event_names.contains(&gen_ai::RETRY_EVENT),
                    "{event_names:?}"
                );
                assert_eq!(event_names.last(), Some(&gen_ai::FALLBACK_EVENT));
                let fallback = &ours.last().unwrap().attributes;
                assert_eq!(attr(fallback, gen_ai::FALLBACK_FROM_INDEX), 0);
                assert_eq!(attr(fallback, gen_ai::FALLBACK_TO_INDEX), 1);
                assert_eq!(attr(fallback, gen_ai::FALLBACK_TO_MODEL), "backup");
            }
            "failed" => {
                assert_eq!(*status, 502);
                assert_eq!(
                    llm.status.as_ref().map(|s| s.code),
                    Some(StatusCode::Error as i32)
                );
                assert_eq!(attr(&llm.attributes, gen_ai::ERROR_TYPE), "upstream_error");
                assert_eq!(
                    request.status.as_ref().map(|s| s.code),
                    Some(StatusCode::Error as i32)
                );
                assert!(attr(&request.attributes, gen_ai::ERROR_TYPE).is_string());
                assert_eq!(
                    attr(&llm.attributes, gen_ai::USAGE_INPUT_TOKENS),
                    Value::Null
                );
            }
            other => panic!("unknown run {other}"),
        }
    }
}

#[tokio::test]
async fn spans_are_exported_over_otlp_http_protobuf() {
    let (url, posts) = receiver().await;
    let (stdout, _) = run_child(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ])
    .await;
    assert!(stdout.contains("EXPORTS_SPANS=true"), "{stdout}");
    let requests = decode(&posts);
    assert!(!requests.is_empty(), "nothing reached the receiver");
    assert!(
        posts
            .lock()
            .unwrap()
            .iter()
            .all(|(ct, _)| ct == "application/x-protobuf")
    );
    check_spans(&requests, &stdout);
}

#[tokio::test]
async fn spans_are_exported_over_otlp_http_json() {
    let (url, posts) = receiver().await;
    let (stdout, _) = run_child(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ])
    .await;
    let requests = decode(&posts);
    assert!(!requests.is_empty(), "nothing reached the receiver");
    assert!(
        posts
            .lock()
            .unwrap()
            .iter()
            .all(|(ct, _)| ct.starts_with("application/json"))
    );
    check_spans(&requests, &stdout);
}

#[tokio::test]
async fn without_an_endpoint_spans_only_give_log_lines_context() {
    let (stdout, stderr) = run_child(&[]).await;
    assert!(stdout.contains("EXPORTS_SPANS=false"), "{stdout}");
    assert_eq!(runs(&stdout).len(), 3);
    // The retry is logged inside the request and LLM call spans.
    let retry_line = stderr
        .lines()
        .find(|l| {
            l.contains("request{") && l.contains("llm{") && l.contains("fastagentic::llm: retry")
        })
        .unwrap_or_else(|| panic!("no retry log line in:\n{stderr}"));
    assert!(
        retry_line.contains(r#"gen_ai.request.model="gpt-4o-mini""#),
        "{retry_line}"
    );
}
