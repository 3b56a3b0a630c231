//! What `LiteLLMGateway` puts on the wire and reads back, against a
//! `MockProvider` standing in for the proxy (it captures each request and
//! answers with scripted `x-litellm-*` headers). The real proxy's behaviour
//! is proven in `tests/tests/litellm_proxy.rs`.

use std::sync::Arc;
use std::time::Duration;

use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{
    App, CallContext, ChatRequest, EmbeddingRequest, GatewayError, LlmClient, LlmGateway,
};
use fastagentic_litellm::{CacheControl, LiteLLMGateway, LiteLLMRequest, litellm_options};
use fastagentic_rules::litellm::{check_fallback_models, check_num_retries, check_timeout_secs};
use futures_util::StreamExt;
use serde_json::{Value, json};

const KEY: &str = "sk-proxy-master-0123456789";

fn gateway(mock: &MockProvider) -> LiteLLMGateway {
    LiteLLMGateway::new().base_url(mock.url()).api_key(KEY)
}

fn user_call(user: &str) -> CallContext {
    CallContext::detached().with_user(Some(Arc::from(user)))
}

fn config_message(error: GatewayError) -> String {
    match error {
        GatewayError::Config { gateway, message } => {
            assert_eq!(gateway, "litellm");
            message
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn the_seed_snippet_builds_an_app_that_passes_its_start_up_checks() {
    let app = App::new("My Agent").llm_gateway(LiteLLMGateway::new().fallback_models([
        "gpt-4o",
        "claude-3-sonnet",
        "gemini-pro",
    ]));
    let _router = app.into_router().expect("the seed's gateway is valid");
}

#[tokio::test]
async fn gateway_options_travel_in_the_body_and_the_key_in_authorization() {
    let mock = MockProvider::start().await;
    let gateway = gateway(&mock)
        .fallback_models(["claude-3-sonnet", "gemini-pro"])
        .num_retries(2)
        .timeout(Duration::from_millis(2500))
        .metadata("service", "support-bot")
        .metadata_with("run_id", |ctx| Some(ctx.run_id().to_string().into()))
        .tags(["fastagentic", "support"])
        .cache(CacheControl::new().ttl(Duration::from_secs(300)));
    gateway.check().expect("valid options");
    let call = user_call("alice");
    let reply = gateway
        .chat(&call, ChatRequest::new("gpt-4o").user("hi"))
        .await
        .expect("the mock answers");
    assert_eq!(reply.text(), "Mock reply to: hi");

    let seen = &mock.requests()[0];
    assert_eq!(seen.path, "/chat/completions");
    assert_eq!(
        seen.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    let body = &seen.body;
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(body["fallbacks"], json!(["claude-3-sonnet", "gemini-pro"]));
    assert_eq!(body["num_retries"], json!(2));
    assert_eq!(body["timeout"], json!(2.5));
    assert_eq!(
        body["metadata"],
        json!({"service": "support-bot", "run_id": call.run_id().to_string()})
    );
    assert_eq!(body["tags"], json!(["fastagentic", "support"]));
    assert_eq!(body["cache"], json!({"ttl": 300}));
    assert_eq!(body["user"], "alice");
}

#[tokio::test]
async fn a_request_s_own_options_win_over_the_gateway_s() {
    let mock = MockProvider::start().await;
    let gateway = gateway(&mock)
        .fallback_models(["claude-3-sonnet"])
        .num_retries(2)
        .metadata("team", "gateway-default")
        .metadata("service", "support-bot")
        .tags(["fastagentic"])
        .cache(CacheControl::new().ttl(Duration::from_secs(300)))
        .end_user("service-account");
    let request = ChatRequest::new("gpt-4o")
        .user("hi")
        .extra("fallbacks", json!(["gemini-pro"]))
        .extra("num_retries", json!(5))
        .litellm_metadata("team", "billing")
        .litellm_tags(["premium", "fastagentic"])
        .litellm_cache(CacheControl::new().no_cache().ttl(Duration::from_secs(5)))
        .litellm_end_user("customer-7")
        .litellm_mock_testing_fallbacks();
    gateway
        .chat(&user_call("alice"), request)
        .await
        .expect("the mock answers");
    let body = &mock.requests()[0].body;
    assert_eq!(body["fallbacks"], json!(["gemini-pro"]));
    assert_eq!(body["num_retries"], json!(5));
    assert_eq!(
        body["metadata"],
        json!({"team": "billing", "service": "support-bot"})
    );
    assert_eq!(body["tags"], json!(["premium", "fastagentic"]));
    assert_eq!(body["cache"], json!({"no-cache": true, "ttl": 5}));
    assert_eq!(body["user"], "customer-7");
    assert_eq!(body["mock_testing_fallbacks"], json!(true));
}

#[tokio::test]
async fn the_request_s_own_model_is_left_out_of_its_fallbacks() {
    let mock = MockProvider::start().await;
    let gateway = gateway(&mock).fallback_models(["gpt-4o", "claude-3-sonnet", "gemini-pro"]);
    let call = CallContext::detached();
    for model in ["gpt-4o", "claude-3-sonnet", "mistral-large"] {
        gateway
            .chat(&call, ChatRequest::new(model).user("hi"))
            .await
            .expect("the mock answers");
    }
    let fallbacks: Vec<Value> = mock
        .requests()
        .iter()
        .map(|r| r.body["fallbacks"].clone())
        .collect();
    assert_eq!(
        fallbacks,
        [
            json!(["claude-3-sonnet", "gemini-pro"]),
            json!(["gpt-4o", "gemini-pro"]),
            json!(["gpt-4o", "claude-3-sonnet", "gemini-pro"]),
        ]
    );

    // A lone fallback equal to the request's model sends no `fallbacks` at all.
    let lone = gateway_for_lone(&mock);
    lone.chat(&call, ChatRequest::new("gpt-4o").user("hi"))
        .await
        .expect("the mock answers");
    assert!(mock.requests()[3].body.get("fallbacks").is_none());
}

fn gateway_for_lone(mock: &MockProvider) -> LiteLLMGateway {
    gateway(mock).fallback_models(["gpt-4o"])
}

#[tokio::test]
async fn the_end_user_is_the_request_s_user_unless_told_otherwise() {
    let mock = MockProvider::start().await;
    let alice = user_call("alice");
    let ask = |gateway: LiteLLMGateway| {
        let alice = alice.clone();
        async move {
            gateway
                .chat(&alice, ChatRequest::new("m").user("hi"))
                .await
                .expect("the mock answers");
        }
    };
    ask(gateway(&mock)).await;
    ask(gateway(&mock).end_user("service-account")).await;
    ask(gateway(&mock).end_user_with(|ctx| ctx.user_id().map(|id| format!("tenant-a:{id}")))).await;
    ask(gateway(&mock).end_user_with(|_| None)).await;
    gateway(&mock)
        .chat(&CallContext::detached(), ChatRequest::new("m").user("hi"))
        .await
        .expect("the mock answers");
    let users: Vec<Value> = mock
        .requests()
        .iter()
        .map(|r| r.body.get("user").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        users,
        [
            json!("alice"),
            json!("service-account"),
            json!("tenant-a:alice"),
            Value::Null,
            Value::Null,
        ]
    );
}

#[tokio::test]
async fn client_timeout_bounds_the_whole_call_and_http_client_is_used() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::text("late").delay(Duration::from_secs(2)));
    let started = std::time::Instant::now();
    let error = gateway(&mock)
        .client_timeout(Duration::from_millis(200))
        .chat(&CallContext::detached(), ChatRequest::new("m").user("hi"))
        .await
        .expect_err("too slow");
    assert_eq!(error.kind(), "upstream_timeout", "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));

    let mut headers = http::HeaderMap::new();
    headers.insert("x-client", http::HeaderValue::from_static("my-agent"));
    let own = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client");
    gateway(&mock)
        .http_client(own)
        .chat(&CallContext::detached(), ChatRequest::new("m").user("hi"))
        .await
        .expect("the mock answers");
    let last = mock.requests().pop().expect("a request");
    assert_eq!(last.header("x-client"), Some("my-agent"));
}

#[tokio::test]
async fn nothing_is_added_when_no_option_is_set() {
    let mock = MockProvider::start().await;
    LiteLLMGateway::new()
        .base_url(mock.url())
        .chat(&CallContext::detached(), ChatRequest::new("m").user("hi"))
        .await
        .expect("the mock answers");
    let seen = &mock.requests()[0];
    assert_eq!(seen.header("authorization"), None, "no key, no header");
    let keys: Vec<&String> = seen
        .body
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    for absent in [
        "fallbacks",
        "num_retries",
        "timeout",
        "metadata",
        "tags",
        "cache",
        "user",
    ] {
        assert!(!keys.iter().any(|k| *k == absent), "{absent} in {keys:?}");
    }
}

#[tokio::test]
async fn literal_options_from_the_macro_reach_the_body() {
    let mock = MockProvider::start().await;
    const OPTIONS: fastagentic_litellm::LiteLLMOptions = litellm_options! {
        fallback_models: ["claude-3-sonnet", "gemini-pro"],
        num_retries: 3,
        timeout_secs: 12.5,
    };
    let gateway = gateway(&mock).options(OPTIONS);
    gateway.check().expect("checked at compile time");
    gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("the mock answers");
    let body = &mock.requests()[0].body;
    assert_eq!(body["fallbacks"], json!(["claude-3-sonnet", "gemini-pro"]));
    assert_eq!(body["num_retries"], json!(3));
    assert_eq!(body["timeout"], json!(12.5));
}

fn with_litellm_headers(reply: MockReply) -> MockReply {
    reply
        .header("x-litellm-response-cost", "0.0042")
        .header("x-litellm-model-id", "deployment-7")
        .header("x-litellm-model-api-base", "http://upstream.test/v1")
        .header("x-litellm-model-group", "claude-3-sonnet")
        .header("x-litellm-call-id", "call-1")
        .header("x-litellm-attempted-retries", "1")
        .header("x-litellm-attempted-fallbacks", "2")
        .header("x-litellm-cache-key", "abc123")
        .header("x-litellm-overhead-duration-ms", "3.5")
        .header("x-litellm-response-duration-ms", "41.25")
}

#[tokio::test]
async fn response_headers_fill_the_litellm_section_and_the_cost() {
    let mock = MockProvider::start().await;
    mock.push(with_litellm_headers(MockReply::text("hello").usage(10, 5)));
    // The client's price table knows gpt-4o: LiteLLM's own figure must win.
    let client = LlmClient::standalone(Arc::new(gateway(&mock)));
    let reply = client
        .chat(ChatRequest::new("gpt-4o").user("hi"))
        .await
        .expect("the mock answers");
    let usage = reply.usage.clone().expect("usage");
    assert_eq!(usage.cost, Some(0.0042));
    assert_eq!(
        reply.gateway_metadata["litellm"],
        json!({
            "cost": 0.0042, "model_id": "deployment-7", "model_api_base": "http://upstream.test/v1",
            "model_group": "claude-3-sonnet", "call_id": "call-1", "attempted_retries": 1,
            "attempted_fallbacks": 2, "cache_hit": true, "cache_key": "abc123",
            "overhead_ms": 3.5, "response_ms": 41.25
        })
    );

    // Without the header, the cost is left to the app's price table.
    mock.push(MockReply::text("hello").usage(10, 5));
    let reply = client
        .chat(ChatRequest::new("no-price-model").user("hi"))
        .await
        .expect("the mock answers");
    assert_eq!(reply.usage.and_then(|u| u.cost), None);
    assert_eq!(
        reply.gateway_metadata["litellm"],
        json!({"cache_hit": false})
    );
}

#[tokio::test]
async fn a_stream_carries_the_facts_known_when_it_opens() {
    let mock = MockProvider::start().await;
    mock.push(with_litellm_headers(MockReply::stream(["Hel", "lo"])));
    let gateway = gateway(&mock).fallback_models(["claude-3-sonnet"]);
    let mut stream = gateway
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("the stream opens");
    assert_eq!(stream.gateway_metadata["litellm"]["attempted_fallbacks"], 2);
    assert_eq!(
        stream.gateway_metadata["litellm"]["model_group"],
        "claude-3-sonnet"
    );
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(chunk.expect("a chunk").delta_text());
    }
    assert_eq!(text, "Hello");
    let body = &mock.requests()[0].body;
    assert_eq!(body["stream"], true);
    assert_eq!(body["fallbacks"], json!(["claude-3-sonnet"]));
}

#[tokio::test]
async fn embeddings_get_every_option_but_the_chat_fallbacks() {
    let mock = MockProvider::start().await;
    let gateway = gateway(&mock)
        .fallback_models(["claude-3-sonnet"])
        .num_retries(1)
        .metadata("service", "search")
        .tags(["embeddings"]);
    let reply = gateway
        .embed(
            &user_call("alice"),
            EmbeddingRequest::new("text-embedding-3-small", ["a"]),
        )
        .await
        .expect("the mock embeds");
    assert_eq!(reply.data.len(), 1);
    assert_eq!(
        reply.gateway_metadata["litellm"],
        json!({"cache_hit": false})
    );
    let body = &mock.requests()[0].body;
    assert!(body.get("fallbacks").is_none(), "{body}");
    assert_eq!(body["num_retries"], json!(1));
    assert_eq!(body["metadata"], json!({"service": "search"}));
    assert_eq!(body["tags"], json!(["embeddings"]));
    assert_eq!(body["user"], "alice");
}

#[test]
fn start_up_applies_the_rules_to_run_time_values_in_their_words() {
    let check = |gateway: LiteLLMGateway| config_message(gateway.check().expect_err("rejected"));
    let base = || LiteLLMGateway::new().base_url("http://127.0.0.1:4000");

    let empty: Vec<String> = Vec::new();
    assert_eq!(
        check(base().fallback_models(empty)),
        check_fallback_models(&[]).expect_err("rule")
    );
    assert_eq!(
        check(base().fallback_models(vec!["a", "b", "a"])),
        check_fallback_models(&["a", "b", "a"]).expect_err("rule")
    );
    assert_eq!(
        check(base().fallback_models(vec!["gpt-4o", " "])),
        check_fallback_models(&["gpt-4o", " "]).expect_err("rule")
    );
    assert_eq!(
        check(base().num_retries(0)),
        check_num_retries(0).expect_err("rule")
    );
    for secs in [0.0, -1.5, f64::NAN, f64::INFINITY] {
        assert_eq!(
            check(base().timeout_secs(secs)),
            check_timeout_secs(secs).expect_err("rule")
        );
    }
    assert_eq!(
        check(base().timeout(Duration::ZERO)),
        check_timeout_secs(0.0).expect_err("rule")
    );

    // Every problem at once.
    let all = check(
        LiteLLMGateway::new()
            .base_url("localhost:4000")
            .api_key("   ")
            .num_retries(0)
            .tags(["ok", ""])
            .client_timeout(Duration::ZERO),
    );
    assert!(all.starts_with("5 problems:"), "{all}");
    for part in [
        "base URL `localhost:4000` is not an absolute http(s) URL",
        "the API key is empty",
        "`num_retries` must be at least 1",
        "tag #2 is blank",
        "`client_timeout` is 0",
    ] {
        assert!(all.contains(part), "{part} missing from {all}");
    }

    // Valid values pass.
    base()
        .fallback_models(vec!["a".to_owned()])
        .num_retries(1)
        .timeout_secs(0.5)
        .check()
        .expect("valid");
}

#[test]
fn secrets_never_reach_debug_or_error_output() {
    let gateway = LiteLLMGateway::new()
        .base_url("http://127.0.0.1:4000")
        .api_key(KEY)
        .fallback_models(["claude-3-sonnet"]);
    let debug = format!("{gateway:?}");
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains("Secret(***)"), "{debug}");
    assert!(debug.contains("claude-3-sonnet"), "{debug}");

    let with_key_in_url = LiteLLMGateway::new()
        .base_url(format!("http://admin:{KEY}@127.0.0.1:4000"))
        .api_key(KEY);
    let debug = format!("{with_key_in_url:?}");
    assert!(!debug.contains(KEY), "{debug}");
    let message = config_message(with_key_in_url.check().expect_err("credentials in the URL"));
    assert!(!message.contains(KEY), "{message}");
    assert!(message.contains("holds credentials"), "{message}");

    let bad_header = LiteLLMGateway::new().api_key("sk-line\nbreak");
    let message = config_message(bad_header.check().expect_err("not a header value"));
    assert!(!message.contains("sk-line"), "{message}");
}

#[tokio::test]
async fn a_proxy_echoing_the_key_never_puts_it_in_the_error() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(401).message(format!(
        "Authentication Error, Invalid proxy server token passed. Received API Key = {KEY}"
    )));
    let error = gateway(&mock)
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect_err("rejected");
    let everything = format!("{error} {error:?}");
    assert!(!everything.contains(KEY), "{everything}");
    assert_eq!(error.status(), Some(401));
    assert!(
        error
            .to_string()
            .contains("rejected the API key: Authentication Error"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_proxy_names_where_it_was_looked_for() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("address").port()
    };
    let error = LiteLLMGateway::new()
        .base_url(format!("http://127.0.0.1:{port}"))
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect_err("nothing listens");
    assert_eq!(error.kind(), "upstream_unreachable");
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "is the LiteLLM proxy running at http://127.0.0.1:{port}? set LITELLM_PROXY_API_BASE"
        )),
        "{text}"
    );
}

/// Run by `the_environment_configures_the_gateway` in a child process whose
/// environment names the proxy (tests cannot change their own: edition 2024
/// makes `set_var` unsafe, and the workspace forbids unsafe code). Prints the
/// gateway, then calls through it when the environment names a proxy.
#[tokio::test]
#[ignore = "helper, run in a child process by the_environment_configures_the_gateway"]
async fn helper_call_through_the_environment() {
    let gateway = LiteLLMGateway::new();
    println!("DEBUG {gateway:?}");
    if let Err(error) = gateway.check() {
        println!("CHECK {error}");
        return;
    }
    println!("CHECK ok");
    if std::env::var_os("LITELLM_PROXY_API_BASE").is_some() {
        gateway
            .chat(
                &CallContext::detached(),
                ChatRequest::new("gpt-4o").user("from env"),
            )
            .await
            .expect("the mock answers");
    }
}

async fn run_helper(env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let mut command = tokio::process::Command::new(exe);
    command
        .args([
            "helper_call_through_the_environment",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env_remove("LITELLM_PROXY_API_BASE")
        .env_remove("LITELLM_PROXY_API_KEY");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("run the helper");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn the_environment_configures_the_gateway() {
    let mock = MockProvider::start().await;
    let base = mock.base_url();
    let stdout = run_helper(&[
        ("LITELLM_PROXY_API_BASE", &base),
        ("LITELLM_PROXY_API_KEY", "sk-from-the-environment"),
    ])
    .await;
    assert!(!stdout.contains("sk-from-the-environment"), "{stdout}");
    assert!(
        stdout.contains(&format!("base_url: \"{base}\"")),
        "{stdout}"
    );
    assert!(stdout.contains("api_key: Some(Secret(***))"), "{stdout}");
    let seen = &mock.requests()[0];
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(
        seen.header("authorization"),
        Some("Bearer sk-from-the-environment")
    );

    // Nothing set: the proxy's default address, no key.
    let stdout = run_helper(&[]).await;
    assert!(
        stdout.contains("base_url: \"http://localhost:4000\""),
        "{stdout}"
    );
    assert!(stdout.contains("api_key: None"), "{stdout}");

    assert!(stdout.contains("CHECK ok"), "{stdout}");

    // A bad value from the environment is named in the start-up error.
    let stdout = run_helper(&[
        ("LITELLM_PROXY_API_BASE", "ftp://proxy"),
        ("LITELLM_PROXY_API_KEY", "sk-x"),
    ])
    .await;
    let check = stdout
        .lines()
        .find(|line| line.starts_with("CHECK "))
        .unwrap_or_default();
    assert!(
        check.contains(
            "the base URL `ftp://proxy` (from LITELLM_PROXY_API_BASE) is not an absolute http(s) URL"
        ),
        "the value and the variable it came from are named: {stdout}"
    );
    assert!(!stdout.contains("sk-x"), "the key stays secret: {stdout}");
}
