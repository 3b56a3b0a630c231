//! `PortkeyDropIn`: the Portkey gateway's HTTP surface served by an app and
//! run in-process, in front of `MockProvider`s. Headers in and out,
//! fallback, retry counts (`-1` when they run out), the cache on a repeat,
//! streaming, embeddings, the security switches (client configs, custom
//! hosts, providers, the SSRF guard), Portkey-shaped errors, a path clash at
//! start-up, and the official `portkey-ai` Python SDK talking to it.

use std::time::Duration;

use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{App, ServerHandle};
use fastagentic_portkey::{PortkeyDropIn, VirtualKey, VirtualKeys, portkey_config};
use fastagentic_tests::peers::{PORTKEY_SDK_VERSION, portkey_sdk_python, python_json};
use serde_json::{Value, json};

/// Keys `first` and `second` pointing at two mocks.
fn keys(first: &MockProvider, second: &MockProvider) -> VirtualKeys {
    VirtualKeys::new()
        .insert(
            "first",
            VirtualKey::new("openai", "sk-first").base_url(first.base_url()),
        )
        .insert(
            "second",
            VirtualKey::new("openai", "sk-second").base_url(second.base_url()),
        )
}

async fn serve(drop_in: PortkeyDropIn) -> ServerHandle {
    App::new("drop-in")
        .without_inventory()
        .mount(drop_in.retry_base_delay(Duration::from_millis(5)))
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts")
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

async fn post(app: &ServerHandle, path: &str, headers: &[(&str, &str)], body: Value) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", app.url()))
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the app answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    Answer {
        status,
        headers,
        text,
    }
}

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello"}]})
}

const CHAT: &str = "/v1/chat/completions";

#[tokio::test]
async fn headers_in_and_out_with_a_fallback() {
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    first.set_default(MockReply::status(503));
    second.set_default(MockReply::text("from the second"));
    let app = serve(
        PortkeyDropIn::new(keys(&first, &second)).default_config(portkey_config!({
            "strategy": {"mode": "fallback"},
            "targets": [{"virtual_key": "first"}, {"virtual_key": "second"}]
        })),
    )
    .await;

    let answer = post(
        &app,
        CHAT,
        &[
            ("x-portkey-trace-id", "trace-42"),
            ("x-portkey-metadata", r#"{"_user": "u1"}"#),
        ],
        chat("gpt-4o-mini"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        "from the second"
    );
    assert_eq!(
        answer.header("x-portkey-last-used-option-index"),
        Some("config.targets[1]")
    );
    assert_eq!(answer.header("x-portkey-retry-attempt-count"), Some("0"));
    assert_eq!(answer.header("x-portkey-cache-status"), Some("DISABLED"));
    assert_eq!(answer.header("x-portkey-trace-id"), Some("trace-42"));
    assert_eq!(answer.header("x-portkey-provider"), Some("openai"));
    assert!(
        answer.header("x-fastagentic-run-id").is_some(),
        "served by the app's route machinery"
    );
    assert_eq!(first.request_count(), 1);
    assert_eq!(
        second.requests()[0].header("authorization"),
        Some("Bearer sk-second")
    );

    let none = post(&app, CHAT, &[], chat("gpt-4o-mini")).await;
    assert_eq!(
        none.header("x-portkey-trace-id"),
        Some(""),
        "echoed empty, as Portkey does"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn retry_counts_and_exhausted_retries() {
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    first.push(MockReply::status(503));
    first.push(MockReply::status(503));
    first.push(MockReply::text("third time"));
    let app = serve(
        PortkeyDropIn::new(keys(&first, &second)).default_config(portkey_config!({
            "retry": {"attempts": 2},
            "virtual_key": "first"
        })),
    )
    .await;
    let answer = post(&app, CHAT, &[], chat("m")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("x-portkey-retry-attempt-count"), Some("2"));
    assert_eq!(first.request_count(), 3);

    first.clear_requests();
    first.set_default(MockReply::status(503).message("down for good"));
    let failed = post(&app, CHAT, &[], chat("m")).await;
    assert_eq!(failed.status, 503, "the provider's status comes back");
    assert_eq!(failed.header("x-portkey-retry-attempt-count"), Some("-1"));
    assert_eq!(first.request_count(), 3, "one call and two retries");
    let body = failed.json();
    assert_eq!(body["provider"], "openai");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("openai error: ") && message.contains("down for good"),
        "{body}"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_cache_hits_on_a_repeat_and_refreshes_when_told() {
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    first.set_default(MockReply::text("cached answer"));
    let app = serve(PortkeyDropIn::new(keys(&first, &second)).client_configs(true)).await;
    let config = r#"{"cache": {"mode": "simple"}, "virtual_key": "first"}"#;
    let headers = [("x-portkey-config", config)];
    let miss = post(&app, CHAT, &headers, chat("m")).await;
    assert_eq!(
        miss.header("x-portkey-cache-status"),
        Some("MISS"),
        "{}",
        miss.text
    );
    // The same config text again: the compiled tree (and its cache) is reused.
    let hit = post(&app, CHAT, &headers, chat("m")).await;
    assert_eq!(hit.header("x-portkey-cache-status"), Some("HIT"));
    assert_eq!(
        hit.json()["choices"][0]["message"]["content"],
        "cached answer"
    );
    assert_eq!(
        first.request_count(),
        1,
        "the hit never reached the provider"
    );
    let refresh = post(
        &app,
        CHAT,
        &[headers[0], ("x-portkey-cache-force-refresh", "true")],
        chat("m"),
    )
    .await;
    assert_eq!(refresh.header("x-portkey-cache-status"), Some("REFRESH"));
    assert_eq!(first.request_count(), 2);
    let other = post(
        &app,
        CHAT,
        &[headers[0], ("x-portkey-cache-namespace", "tenant-b")],
        chat("m"),
    )
    .await;
    assert_eq!(
        other.header("x-portkey-cache-status"),
        Some("MISS"),
        "another namespace"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn streaming_falls_back_before_the_first_chunk() {
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    first.set_default(MockReply::status(500));
    second.set_default(MockReply::stream(["one ", "two"]));
    let app = serve(
        PortkeyDropIn::new(keys(&first, &second)).default_config(portkey_config!({
            "strategy": {"mode": "fallback"},
            "targets": [{"virtual_key": "first"}, {"virtual_key": "second"}]
        })),
    )
    .await;
    let mut body = chat("m");
    body["stream"] = json!(true);
    let answer = post(&app, CHAT, &[], body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        answer.header("x-portkey-last-used-option-index"),
        Some("config.targets[1]")
    );
    assert!(
        answer.text.contains("one ") && answer.text.contains("two"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.trim_end().ends_with("data: [DONE]"),
        "{}",
        answer.text
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn embeddings_through_a_provider_and_custom_host() {
    let mock = MockProvider::start().await;
    let app = serve(PortkeyDropIn::new(VirtualKeys::new()).client_custom_hosts(true)).await;
    let host = mock.base_url();
    let answer = post(
        &app,
        "/v1/embeddings",
        &[
            ("x-portkey-provider", "openai"),
            ("x-portkey-custom-host", &host),
            ("authorization", "Bearer sk-client"),
        ],
        json!({"model": "text-embedding-3-small", "input": ["a", "bb"]}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        answer.header("x-portkey-last-used-option-index"),
        Some("config")
    );
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some("Bearer sk-client")
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn client_configs_and_custom_hosts_are_refused_unless_allowed() {
    let mock = MockProvider::start().await;
    let config = json!({"provider": "openai", "api_key": "sk-c", "custom_host": mock.base_url()})
        .to_string();
    let headers = [("x-portkey-config", config.as_str())];

    let closed = serve(PortkeyDropIn::new(VirtualKeys::new())).await;
    let refused = post(&closed, CHAT, &headers, chat("m")).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.json()["status"], "failure");
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("client_configs(true)")
    );
    let host = mock.base_url();
    let header_host = post(
        &closed,
        CHAT,
        &[
            ("x-portkey-provider", "openai"),
            ("x-portkey-custom-host", &host),
        ],
        chat("m"),
    )
    .await;
    assert_eq!(header_host.status, 403, "{}", header_host.text);

    let configs_only = serve(PortkeyDropIn::new(VirtualKeys::new()).client_configs(true)).await;
    let host_in_config = post(&configs_only, CHAT, &headers, chat("m")).await;
    assert_eq!(
        host_in_config.status, 403,
        "a config's custom_host needs client_custom_hosts"
    );
    assert!(
        host_in_config.text.contains("config.custom_host"),
        "{}",
        host_in_config.text
    );

    let open = serve(
        PortkeyDropIn::new(VirtualKeys::new())
            .client_configs(true)
            .client_custom_hosts(true)
            .allowed_providers(["openai"]),
    )
    .await;
    let allowed = post(&open, CHAT, &headers, chat("m")).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    let groq = post(&open, CHAT, &[("x-portkey-provider", "groq")], chat("m")).await;
    assert_eq!(groq.status, 403, "{}", groq.text);
    assert!(
        groq.text.contains("provider `groq` is not allowed"),
        "{}",
        groq.text
    );
    let invalid = post(
        &open,
        CHAT,
        &[(
            "x-portkey-config",
            r#"{"strategy": {"mode": "fallbak"}, "targets": []}"#,
        )],
        chat("m"),
    )
    .await;
    assert_eq!(invalid.status, 400, "{}", invalid.text);
    assert_eq!(invalid.json()["message"], "Invalid config passed");
    assert!(
        invalid.json()["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(
        mock.request_count(),
        1,
        "only the allowed request reached the provider"
    );
    for app in [closed, configs_only, open] {
        app.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn the_ssrf_guard_refuses_metadata_and_private_hosts_unless_trusted() {
    let app = serve(PortkeyDropIn::new(VirtualKeys::new()).client_custom_hosts(true)).await;
    for host in [
        "http://169.254.169.254/latest",
        "http://10.0.0.7:8000/v1",
        "ftp://example.com/v1",
    ] {
        let answer = post(
            &app,
            CHAT,
            &[
                ("x-portkey-provider", "openai"),
                ("x-portkey-custom-host", host),
            ],
            chat("m"),
        )
        .await;
        assert_eq!(answer.status, 400, "{host}: {}", answer.text);
        assert!(
            answer.text.contains("is refused"),
            "{host}: {}",
            answer.text
        );
    }
    app.shutdown().await.unwrap();
    let trusting = serve(
        PortkeyDropIn::new(VirtualKeys::new())
            .client_custom_hosts(true)
            .trusted_custom_hosts(["10.0.0.7"]),
    )
    .await;
    let answer = post(
        &trusting,
        CHAT,
        &[
            ("x-portkey-provider", "openai"),
            ("x-portkey-custom-host", "http://10.0.0.7:9/v1"),
            ("authorization", "Bearer sk-client"),
            ("x-portkey-request-timeout", "200"),
        ],
        chat("m"),
    )
    .await;
    assert_ne!(
        answer.status, 400,
        "a trusted host passes the guard: {}",
        answer.text
    );
    trusting.shutdown().await.unwrap();
}

#[tokio::test]
async fn request_timeout_answers_408_like_portkey() {
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    first.set_default(MockReply::text("late").delay(Duration::from_millis(800)));
    let app = serve(
        PortkeyDropIn::new(keys(&first, &second)).default_config(portkey_config!({
            "virtual_key": "first"
        })),
    )
    .await;
    let answer = post(
        &app,
        CHAT,
        &[("x-portkey-request-timeout", "100")],
        chat("m"),
    )
    .await;
    assert_eq!(answer.status, 408, "{}", answer.text);
    assert_eq!(answer.json()["error"]["type"], "timeout_error");
    assert_eq!(
        answer.json()["error"]["message"],
        "Request exceeded the timeout sent in the request: 100ms"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_path_clash_stops_start_up_naming_both() {
    let error = App::new("clash")
        .without_inventory()
        .openai_compatible("/v1")
        .mount(PortkeyDropIn::new(VirtualKeys::new()))
        .into_router()
        .expect_err("both serve /v1/chat/completions");
    let message = error.to_string();
    assert!(
        message.contains("/v1/chat/completions")
            && message.contains("openai_chat_completions")
            && message.contains("portkey_chat_completions")
            && message.contains("portkey_drop_in"),
        "{message}"
    );
    assert!(
        App::new("side by side")
            .without_inventory()
            .openai_compatible("/v1")
            .mount(PortkeyDropIn::new(VirtualKeys::new()).prefix("/portkey/v1"))
            .into_router()
            .is_ok()
    );
}

const SDK_SCRIPT: &str = r#"
import json, os, portkey_ai
from portkey_ai import Portkey
out = {"version": portkey_ai.__version__ if hasattr(portkey_ai, "__version__") else None}
client = Portkey(
    base_url=os.environ["DROP_IN"], api_key="pk-anything",
    config={"strategy": {"mode": "conditional",
                         "conditions": [{"query": {"metadata.tier": {"$eq": "premium"}}, "then": "premium"}],
                         "default": "standard"},
            "targets": [{"name": "premium", "virtual_key": "first", "override_params": {"model": "big"}},
                        {"name": "standard", "virtual_key": "second"}]},
    metadata={"tier": "premium"}, trace_id="sdk-trace", max_retries=0,
)
r = client.chat.completions.create(model="small", messages=[{"role": "user", "content": "hello"}])
out["text"] = r.choices[0].message.content
chunks = []
for chunk in client.chat.completions.create(model="small", messages=[{"role": "user", "content": "s"}], stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        chunks.append(chunk.choices[0].delta.content)
out["stream"] = chunks
standard = client.with_options(metadata={"tier": "free"})
out["standard"] = standard.chat.completions.create(model="small", messages=[{"role": "user", "content": "x"}]).choices[0].message.content
e = client.embeddings.create(model="text-embedding-3-small", input=["a", "bb"])
out["embeddings"] = len(e.data)
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_portkey_sdk_talks_to_the_drop_in() {
    let python = portkey_sdk_python()
        .await
        .expect("the portkey-ai Python SDK is needed");
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    first.push_for_model("big", MockReply::text("premium answer"));
    first.push_for_model("big", MockReply::stream(["pre", "mium"]));
    second.set_default(MockReply::text("standard answer"));
    let app = serve(PortkeyDropIn::new(keys(&first, &second)).client_configs(true)).await;
    let out = python_json(
        &python,
        SDK_SCRIPT,
        &[("DROP_IN", format!("{}/v1", app.url()))],
    )
    .await;
    assert_eq!(out["text"], "premium answer", "{out}");
    assert_eq!(out["stream"], json!(["pre", "mium"]));
    assert_eq!(out["standard"], "standard answer");
    assert_eq!(out["embeddings"], 2);
    let premium = first.requests();
    assert_eq!(
        premium[0].model(),
        Some("big"),
        "override_params reached the provider"
    );
    assert_eq!(premium[0].header("authorization"), Some("Bearer sk-first"));
    let _ = PORTKEY_SDK_VERSION;
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_app_key_echoed_by_a_provider_never_reaches_the_client() {
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    first.set_default(MockReply::status(401).message("Incorrect API key provided: sk-first"));
    let app = serve(
        PortkeyDropIn::new(keys(&first, &second))
            .default_config(portkey_config!({"virtual_key": "first"})),
    )
    .await;
    let answer = post(&app, CHAT, &[], chat("m")).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert!(!answer.text.contains("sk-first"), "{}", answer.text);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("openai error: Incorrect API key provided")),
        "{}",
        answer.text
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn mounted_routes_get_the_apps_body_limit_and_metrics() {
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    let app = App::new("limits")
        .without_inventory()
        .body_limit(1024)
        .mount(
            PortkeyDropIn::new(keys(&first, &second))
                .default_config(portkey_config!({"virtual_key": "first"})),
        )
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    let big = json!({"model": "m", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let too_large = post(&app, CHAT, &[], big).await;
    assert_eq!(too_large.status, 413, "{}", too_large.text);
    let answer = post(&app, CHAT, &[], chat("m")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let metrics = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics
            .lines()
            .any(|line| line.contains("portkey_chat_completions") && !line.starts_with('#')),
        "the mounted route is counted per name:\n{metrics}"
    );
    app.shutdown().await.unwrap();
}
