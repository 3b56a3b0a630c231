//! Fuzzing with `proptest` (stable toolchain, bounded for every run): the
//! HTTP bodies of an endpoint and of the OpenAI-compatible route,
//! `PortkeyConfig::from_json`, the conditional query evaluator (with
//! request metadata and parameters), the provider translations (any answer
//! an upstream sends, plain or streamed; any request a client sends), and
//! the cache key's canonicalization. Each
//! target runs `CASES` generated inputs: no panic, no 5xx, and the
//! properties below. A crash found becomes a case in `regressions`.
//!
//! A longer run: `PROPTEST_CASES=200000 cargo test -p fastagentic-tests --test fuzz_inputs --release`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fastagentic::cache::{CacheControl, CacheKey, CacheScope};
use fastagentic::gateway::GatewayRequest;
use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, DemoGateway};
use fastagentic_portkey::{PortkeyConfig, PortkeyGateway, VirtualKeys};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

/// Generated inputs per target and run (`PROPTEST_CASES` overrides it).
const CASES: u32 = 10_000;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---- generated JSON ----

/// Words the decoders look for, so generated objects hit their paths.
const KEYS: &[&str] = &[
    "text",
    "priority",
    "level",
    "model",
    "messages",
    "role",
    "content",
    "stream",
    "temperature",
    "max_tokens",
    "stop",
    "n",
    "tools",
    "input",
    "strategy",
    "mode",
    "targets",
    "provider",
    "api_key",
    "virtual_key",
    "custom_host",
    "override_params",
    "weight",
    "retry",
    "attempts",
    "on_status_codes",
    "cache",
    "max_age",
    "conditions",
    "query",
    "then",
    "default",
    "name",
    "request_timeout",
    "metadata",
    "x",
];

const WORDS: &[&str] = &[
    "",
    "user",
    "system",
    "assistant",
    "tool",
    "gpt-4o-mini",
    "openai",
    "fallback",
    "loadbalance",
    "conditional",
    "single",
    "simple",
    "semantic",
    "http://127.0.0.1:1/v1",
    "ftp://x",
    "$eq",
    "metadata.tier",
    "params.model",
    "\u{0}",
    "é",
    "🦀",
];

fn scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0..3i64).prop_map(Value::from),
        proptest::sample::select(WORDS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
    .boxed()
}

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => ".{0,6}",
    ]
    .boxed()
}

fn json_value() -> BoxedStrategy<Value> {
    scalar()
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((key(), inner), 0..6)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
            ]
        })
        .boxed()
}

/// A message as OpenAI's API has it, or close to it.
fn message() -> BoxedStrategy<Value> {
    (
        proptest::sample::select(&["user", "system", "assistant", "tool", "other"][..]),
        prop_oneof![".{0,16}".prop_map(Value::String), json_value(),],
    )
        .prop_map(|(role, content)| json!({"role": role, "content": content}))
        .boxed()
}

/// A body shaped like a chat completion request, with any field possibly wrong.
fn chat_body() -> BoxedStrategy<Value> {
    (
        prop_oneof![Just(json!("gpt-4o-mini")), scalar()],
        prop_oneof![
            3 => proptest::collection::vec(message(), 0..4).prop_map(Value::Array),
            1 => json_value(),
        ],
        proptest::collection::vec((key(), json_value()), 0..4),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(model, messages, extra, stream)| {
            let mut body = Map::new();
            body.insert("model".into(), model);
            body.insert("messages".into(), messages);
            for (k, v) in extra {
                if k != "model" && k != "messages" && k != "stream" {
                    body.insert(k, v);
                }
            }
            if let Some(stream) = stream {
                body.insert("stream".into(), Value::Bool(stream));
            }
            Value::Object(body)
        })
        .boxed()
}

/// Bytes of a body: JSON, JSON cut short, or anything.
fn body_bytes(shaped: impl Strategy<Value = Value> + Clone) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => shaped.clone().prop_map(|v| v.to_string().into_bytes()),
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => (shaped, any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len() + 1);
            text[..at].to_vec()
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

// ---- the app under test ----

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)] // read by the schema check only
struct Ticket {
    text: String,
    #[serde(default)]
    priority: Option<Priority>,
}

#[derive(Deserialize, JsonSchema)]
#[allow(dead_code)] // read by the schema check only
struct Priority {
    level: u8,
}

#[derive(Serialize, JsonSchema)]
struct Triage {
    label: String,
}

#[agent_endpoint(path = "/tickets/{id}/triage")]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(&input.text))
        .await?;
    Ok(Triage {
        label: reply.text().to_owned(),
    })
}

/// One runtime and one router for every case of a target.
fn app() -> &'static (tokio::runtime::Runtime, Router) {
    static APP: OnceLock<(tokio::runtime::Runtime, Router)> = OnceLock::new();
    APP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let router = runtime.block_on(async {
            App::new("Fuzz")
                .without_inventory()
                .endpoint(&TRIAGE_ENDPOINT)
                .llm_gateway(DemoGateway::new())
                .openai_compatible("/v1")
                .into_router()
                .expect("the app builds")
        });
        (runtime, router)
    })
}

/// POSTs `body` in-process; the status and the body as JSON (`Null` when
/// it is not JSON; streams are read to the end).
fn post(path: &str, body: Vec<u8>) -> (StatusCode, Value, Vec<u8>) {
    let (runtime, router) = app();
    runtime.block_on(async {
        let request = Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .expect("a request");
        let response = router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("the body is read");
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, json, bytes.to_vec())
    })
}

/// A client error has the one JSON error shape, with a `type`.
fn assert_error_shape(status: StatusCode, body: &Value, raw: &[u8]) {
    assert!(
        body["error"]["type"].is_string(),
        "{status}: an error body with a type: {}",
        String::from_utf8_lossy(raw)
    );
}

/// POSTs `body`: the answer is a 200 or a client error in the one error shape.
fn answered(path: &str, bytes: Vec<u8>) -> Result<(StatusCode, Value), TestCaseError> {
    let (status, body, raw) = post(path, bytes);
    prop_assert!(
        status == StatusCode::OK || status.is_client_error(),
        "{status}: {}",
        String::from_utf8_lossy(&raw)
    );
    if status != StatusCode::OK {
        assert_error_shape(status, &body, &raw);
    }
    Ok((status, body))
}

#[test]
fn endpoint_bodies_never_panic_and_answer_200_or_a_client_error() {
    let ticket = (
        prop_oneof![".{0,16}".prop_map(Value::String), scalar()],
        proptest::option::of(prop_oneof![
            (0..300u32).prop_map(|l| json!({"level": l})),
            json_value(),
        ]),
        proptest::collection::vec((key(), json_value()), 0..3),
    )
        .prop_map(|(text, priority, extra)| {
            let mut body: Map<String, Value> = extra.into_iter().collect();
            body.insert("text".into(), text);
            if let Some(priority) = priority {
                body.insert("priority".into(), priority);
            }
            Value::Object(body)
        })
        .boxed();
    let ok = AtomicU32::new(0);
    TestRunner::new(config())
        .run(&body_bytes(ticket), |bytes| {
            let (status, body) = answered("/tickets/7/triage", bytes)?;
            if status == StatusCode::OK {
                ok.fetch_add(1, Ordering::Relaxed);
                prop_assert!(body["label"].is_string(), "{body}");
            }
            Ok(())
        })
        .unwrap();
    assert!(ok.into_inner() > 0, "some generated bodies were valid");
}

#[test]
fn openai_route_bodies_never_panic_and_answer_200_or_400() {
    let ok = AtomicU32::new(0);
    TestRunner::new(config())
        .run(&body_bytes(chat_body()), |bytes| {
            let (status, body) = answered("/v1/chat/completions", bytes)?;
            if status == StatusCode::OK {
                ok.fetch_add(1, Ordering::Relaxed);
            } else {
                prop_assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "malformed requests are OpenAI's 400: {}",
                    body
                );
                prop_assert_eq!(&body["error"]["type"], "invalid_request_error", "{}", body);
            }
            Ok(())
        })
        .unwrap();
    assert!(ok.into_inner() > 0, "some generated bodies were valid");
}

/// A config-shaped value: a strategy over targets, each maybe nested.
fn portkey_config() -> BoxedStrategy<Value> {
    let leaf = (
        proptest::sample::select(&["openai", "anthropic", "nope", ""][..]),
        proptest::option::of(".{0,8}"),
        proptest::collection::vec((key(), json_value()), 0..2),
    )
        .prop_map(|(provider, api_key, extra)| {
            let mut target: Map<String, Value> = extra.into_iter().collect();
            target.insert("provider".into(), provider.into());
            if let Some(api_key) = api_key {
                target.insert("api_key".into(), api_key.into());
            }
            Value::Object(target)
        });
    leaf.prop_recursive(3, 16, 4, |inner| {
        (
            proptest::sample::select(
                &["single", "fallback", "loadbalance", "conditional", "x"][..],
            ),
            proptest::collection::vec(inner, 0..4),
            proptest::option::of(json_value()),
        )
            .prop_map(|(mode, targets, extra)| {
                let mut config = json!({"strategy": {"mode": mode}, "targets": targets});
                if let Some(extra) = extra {
                    config["retry"] = extra;
                }
                config
            })
    })
    .boxed()
}

#[test]
fn portkey_configs_never_panic_and_text_and_value_agree() {
    let text = prop_oneof![
        4 => portkey_config().prop_map(|v| v.to_string()),
        2 => json_value().prop_map(|v| v.to_string()),
        1 => (portkey_config(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string();
            let at = cut.index(text.len() + 1);
            String::from_utf8_lossy(&text.as_bytes()[..at]).into_owned()
        }),
        1 => ".{0,64}",
    ];
    let valid = AtomicU32::new(0);
    TestRunner::new(config())
        .run(&text, |text| {
            let from_text = PortkeyConfig::from_json(&text);
            if let Ok(value) = serde_json::from_str::<Value>(&text) {
                // Text written by serde_json has no repeated keys: both
                // readers must give the same verdict.
                let from_value = PortkeyConfig::from_value(value);
                prop_assert_eq!(from_text.is_ok(), from_value.is_ok(), "{}", text);
            }
            if let Ok(config) = from_text {
                valid.fetch_add(1, Ordering::Relaxed);
                let again = PortkeyConfig::from_json(config.compact_json())
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                prop_assert_eq!(again.as_json(), config.as_json());
            }
            Ok(())
        })
        .unwrap();
    assert!(valid.into_inner() > 0, "some generated configs were valid");
}

/// A chat request's JSON, with its object keys written in reverse order.
fn reversed(value: &Value) -> String {
    match value {
        Value::Object(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .rev()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), reversed(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(reversed).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

#[test]
fn cache_keys_are_canonical_and_scoped() {
    // Valid requests only (the decoders' own target is above): typed fields
    // well formed, any other parameter under an `x_` name.
    let valid = (
        ".{0,8}",
        proptest::collection::vec(
            (
                proptest::sample::select(&["user", "system", "assistant"][..]),
                ".{0,16}",
            ),
            0..4,
        ),
        proptest::collection::vec(("x_[a-z]{0,4}", json_value()), 0..4),
    )
        .prop_map(|(model, messages, extra)| {
            let mut body: Map<String, Value> = extra.into_iter().collect();
            body.insert("model".into(), model.into());
            let messages: Vec<Value> = messages
                .into_iter()
                .map(|(role, content)| json!({"role": role, "content": content}))
                .collect();
            body.insert("messages".into(), messages.into());
            Value::Object(body)
        });
    let request = valid.prop_filter_map("a chat request", |body| {
        // Read from text, as a request arrives (the shuffled copy below is
        // text too, so both read floats the same way).
        let request: ChatRequest = serde_json::from_str(&body.to_string()).ok()?;
        Some((body, request))
    });
    let cases = (request, ".{0,6}", ".{0,6}");
    let scope = CacheScope {
        namespace: None,
        per_user: true,
        per_endpoint: false,
    };
    TestRunner::new(config())
        .run(&cases, |((body, request), user, namespace)| {
            let call = CallContext::detached().with_user(Some(Arc::from(user.as_str())));
            let key = CacheKey::of(&GatewayRequest::Chat(request.clone()), &call, &scope);

            // Field order does not matter.
            let shuffled: ChatRequest = serde_json::from_str(&reversed(&body))
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(
                CacheKey::of(&GatewayRequest::Chat(shuffled), &call, &scope),
                key
            );
            // A streamed request shares the plain one's key.
            prop_assert_eq!(
                CacheKey::of(&GatewayRequest::Stream(request.clone()), &call, &scope),
                key
            );
            // Another user, or a namespace, is another partition.
            let other = CallContext::detached().with_user(Some(Arc::from(format!("{user}!"))));
            prop_assert_ne!(
                CacheKey::of(&GatewayRequest::Chat(request.clone()), &other, &scope),
                key
            );
            let spaced = call.clone().with_cache_control(CacheControl {
                namespace: Some(Arc::from(namespace.as_str())),
                ..CacheControl::default()
            });
            prop_assert_ne!(
                CacheKey::of(&GatewayRequest::Chat(request), &spaced, &scope),
                key
            );
            Ok(())
        })
        .unwrap();
}

// ---- the conditional query evaluator ----

/// A query as a config author might write it: Portkey's fields and
/// operators, nested `$and`/`$or`, and wrong shapes.
fn query() -> BoxedStrategy<Value> {
    let field = proptest::sample::select(
        &[
            "metadata.tier",
            "metadata.user.plan",
            "params.model",
            "params.temperature",
            "params.max_tokens",
            "url.pathname",
            "tier",
            "",
        ][..],
    );
    let op = proptest::sample::select(
        &[
            "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$exists", "$x",
        ][..],
    );
    let operand = prop_oneof![
        scalar(),
        proptest::collection::vec(scalar(), 0..3).prop_map(Value::Array),
        proptest::sample::select(&["^pre", "(", "[a-z]+", ".*", "\\d{2}"][..])
            .prop_map(Value::from),
    ];
    let leaf = (
        field,
        prop_oneof![scalar(), (op, operand).prop_map(|(op, v)| json!({ op: v }))],
    )
        .prop_map(|(field, test)| json!({ field: test }));
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|all| json!({"$and": all})),
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|any| json!({"$or": any})),
            (inner.clone(), inner).prop_map(|(a, b)| {
                let mut both = a.as_object().cloned().unwrap_or_default();
                both.extend(b.as_object().cloned().unwrap_or_default());
                Value::Object(both)
            }),
            json_value(),
        ]
    })
    .boxed()
}

/// Metadata a request might carry.
fn request_metadata() -> BoxedStrategy<Map<String, Value>> {
    proptest::collection::vec(
        (
            proptest::sample::select(&["tier", "user", "env", "x"][..]).prop_map(str::to_owned),
            json_value(),
        ),
        0..3,
    )
    .prop_map(|entries| entries.into_iter().collect())
    .boxed()
}

/// A runtime with one mock provider answering every request, for the
/// targets below that go through gateways.
fn provider() -> &'static (tokio::runtime::Runtime, MockProvider) {
    static PROVIDER: OnceLock<(tokio::runtime::Runtime, MockProvider)> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let mock = runtime.block_on(MockProvider::start());
        mock.set_default(MockReply::text("routed"));
        (runtime, mock)
    })
}

#[test]
fn conditional_queries_never_panic_and_route_or_refuse() {
    let (runtime, mock) = provider();
    let target = |name: &str| json!({"name": name, "provider": "openai", "api_key": "sk-test", "custom_host": mock.base_url()});
    let (premium, standard) = (target("premium"), target("standard"));
    let cases = (query(), request_metadata(), proptest::option::of(scalar()));
    let (routed, refused) = (AtomicU32::new(0), AtomicU32::new(0));
    TestRunner::new(config())
        .run(&cases, |(query, metadata, temperature)| {
            let config = json!({
                "strategy": {"mode": "conditional", "conditions": [{"query": query, "then": "premium"}], "default": "standard"},
                "targets": [premium, standard]
            });
            // The rules may refuse the query; then so does start-up.
            let Ok(config) = PortkeyConfig::from_value(config) else {
                refused.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            };
            let gateway = PortkeyGateway::new()
                .config(config)
                .in_process(VirtualKeys::new());
            if gateway.check().is_err() {
                refused.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            let mut request = ChatRequest::new("gpt-4o-mini").user("hi");
            if let Some(temperature) = temperature {
                request.extra.insert("temperature".into(), temperature);
            }
            let call = CallContext::detached().with_request_metadata(Arc::new(metadata));
            let answer = runtime.block_on(gateway.chat(&call, request));
            match answer {
                Ok(response) => prop_assert_eq!(response.text(), "routed"),
                // A typed error (e.g. a parameter the provider refuses), never a panic.
                Err(error) => prop_assert!(error.status().is_some() || !error.to_string().is_empty()),
            }
            routed.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    let (routed, refused) = (routed.into_inner(), refused.into_inner());
    assert!(
        routed > 0 && refused > 0,
        "routed {routed}, refused {refused}"
    );
}

// ---- the provider translations ----

/// What an upstream might answer with 200: the provider's shape with any
/// field wrong, any JSON, or not JSON at all.
fn upstream_body(shape: Value) -> BoxedStrategy<(String, &'static str)> {
    let shaped = (
        Just(shape),
        proptest::collection::vec((key(), json_value()), 0..4),
    )
        .prop_map(|(mut shape, changes)| {
            if let Value::Object(fields) = &mut shape {
                for (k, v) in changes {
                    fields.insert(k, v);
                }
            }
            shape.to_string()
        });
    prop_oneof![
        3 => shaped.prop_map(|body| (body, "application/json")),
        1 => json_value().prop_map(|v| (v.to_string(), "application/json")),
        1 => ".{0,40}".prop_map(|body| (body, "application/json")),
        2 => proptest::collection::vec(prop_oneof![json_value().prop_map(|v| v.to_string()), ".{0,20}"], 0..4)
            .prop_map(|events| {
                let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
                (body, "text/event-stream")
            }),
    ]
    .boxed()
}

/// Sends a chat (plain or streamed, read to the end) through `gateway` to
/// the mock answering `body`: the answer or a typed error, never a panic.
fn through(gateway: &dyn LlmGateway, body: String, content_type: &str, streamed: bool) {
    let (runtime, mock) = provider();
    mock.push(MockReply::raw(200, body, content_type));
    let call = CallContext::detached();
    let request = ChatRequest::new("m").user("hi");
    runtime.block_on(async {
        if streamed {
            if let Ok(mut stream) = gateway.chat_stream(&call, request).await {
                while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                    if chunk.is_err() {
                        break;
                    }
                }
            }
        } else {
            let _ = gateway.chat(&call, request).await;
        }
    });
}

#[test]
fn provider_answers_never_panic_whatever_the_upstream_sends() {
    use fastagentic_providers::{AnthropicGateway, AzureOpenAiGateway, GeminiGateway};
    let (_, mock) = provider();
    let gateways: [(Box<dyn LlmGateway>, Value); 3] = [
        (
            Box::new(AnthropicGateway::new("sk-ant").base_url(mock.anthropic_base_url())),
            json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
                   "content": [{"type": "text", "text": "hi"}, {"type": "tool_use", "id": "t", "name": "f", "input": {}}],
                   "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}),
        ),
        (
            Box::new(
                AzureOpenAiGateway::new("unused", "azure-key").endpoint(mock.azure_endpoint()),
            ),
            json!({"id": "c", "object": "chat.completion", "model": "gpt-4o", "choices": [{"index": 0,
                   "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop",
                   "content_filter_results": {"hate": {"filtered": false}}}],
                   "prompt_filter_results": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}),
        ),
        (
            Box::new(GeminiGateway::new("AIza").base_url(mock.gemini_base_url())),
            json!({"id": "c", "object": "chat.completion", "model": "gemini", "choices": [{"index": 0,
                   "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}),
        ),
    ];
    for (gateway, shape) in gateways {
        let cases = (upstream_body(shape), any::<bool>());
        TestRunner::new(config())
            .run(&cases, |((body, content_type), streamed)| {
                through(gateway.as_ref(), body, content_type, streamed);
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn provider_requests_never_panic_whatever_the_client_sends() {
    use fastagentic_providers::AnthropicGateway;
    let (runtime, mock) = provider();
    let anthropic = AnthropicGateway::new("sk-ant").base_url(mock.anthropic_base_url());
    let requests = chat_body().prop_filter_map("a chat request", |body| {
        serde_json::from_value::<ChatRequest>(body).ok()
    });
    TestRunner::new(config())
        .run(&requests, |request| {
            // Translated and sent (the mock answers), or refused with a 400.
            match runtime.block_on(anthropic.chat(&CallContext::detached(), request)) {
                Ok(_) => {}
                Err(error) => prop_assert!(
                    matches!(error.status(), Some(400..=599)) || error.status().is_none(),
                    "{error}"
                ),
            }
            Ok(())
        })
        .unwrap();
}

/// Crashes and near misses found by the targets above, kept as plain cases.
mod regressions {
    use super::*;

    #[test]
    fn deeply_nested_bodies_are_refused_not_overflowed() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (status, body, raw) = post("/v1/chat/completions", deep.clone().into_bytes());
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error_shape(status, &body, &raw);
        let (status, _, _) = post("/tickets/1/triage", deep.clone().into_bytes());
        assert!(status.is_client_error(), "{status}");
        assert!(PortkeyConfig::from_json(&deep).is_err());
    }
}
