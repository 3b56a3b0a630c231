//! `PortkeyGateway` on the wire and at start-up, with a `MockProvider` standing
//! in for Portkey so every header it sends is visible: exactly the headers of
//! Portkey's official SDKs, cache/retry/fallback merged into one compact
//! `x-portkey-config`, per-request metadata and trace ids, Portkey's
//! response headers in `metadata["portkey"]`, start-up checks that name the
//! fix, and secrets that never show in `Debug`, errors or logs.
//!
//! The same behaviour against the real gateway is in `portkey_real_gateway.rs`.

mod portkey_support;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatRequest, GatewayError, LlmGateway, Secret};
use fastagentic_portkey::{
    Cache, FallbackModel, PortkeyConfig, PortkeyGateway, RetryConfig, portkey_config,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// A question for `/ask`.
#[derive(Deserialize, JsonSchema)]
struct Ask {
    question: String,
}

/// The model's answer.
#[derive(Serialize, JsonSchema)]
struct Answer {
    answer: String,
}

/// Asks the model through the app's gateway.
#[agent_endpoint(path = "/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o-mini").user(input.question))
        .await?;
    Ok(Answer {
        answer: reply.text().to_owned(),
    })
}

fn request() -> ChatRequest {
    ChatRequest::new("gpt-4o-mini").user("hello")
}

fn header_json(value: Option<&str>) -> Value {
    serde_json::from_str(value.expect("header present")).expect("header holds JSON")
}

fn portkey_headers(request: &fastagentic::testing::CapturedRequest) -> BTreeSet<String> {
    request
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("x-portkey-"))
        .collect()
}

#[tokio::test]
async fn a_saved_config_id_is_sent_as_the_config_header() {
    let portkey = MockProvider::start().await;
    let gateway = PortkeyGateway::new()
        .api_key("pk-test-123")
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .config_id("pc-saved-1a2b");
    gateway
        .check()
        .expect("an id alone routes the call (hosted Portkey)");
    gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    let seen = &portkey.requests()[0];
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(
        seen.header("x-portkey-config"),
        Some("pc-saved-1a2b"),
        "the id as it is, not JSON"
    );
    assert_eq!(seen.header("x-portkey-api-key"), Some("pk-test-123"));
    assert_eq!(
        portkey_headers(seen),
        ["x-portkey-api-key", "x-portkey-config"]
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
    );
}

#[tokio::test]
async fn requests_carry_the_sdk_headers_with_cache_and_retry_merged_into_the_config() {
    let portkey = MockProvider::start().await;
    let gateway = PortkeyGateway::new()
        .api_key("pk-test-123")
        .virtual_key("openai-key")
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .config(portkey_config!({
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
            "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}]
        }))
        .cache(Cache::semantic().max_age(Duration::from_secs(3600)))
        .retry(RetryConfig::attempts(3).on_status_codes([429, 500, 502, 503, 504]))
        .metadata("environment", "production")
        .metadata_with("_user", |ctx| ctx.user_id())
        .trace_id_with(|ctx| ctx.run_id().to_string());
    gateway.check().expect("a complete hosted-style gateway");

    let run = Uuid::new_v4();
    let call = CallContext::new(run, "premium").with_user(Some("alice".into()));
    let response = gateway.chat(&call, request()).await.expect("answer");
    assert_eq!(response.text(), "Mock reply to: hello");

    let seen = &portkey.requests()[0];
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(
        portkey_headers(seen),
        [
            "x-portkey-api-key",
            "x-portkey-config",
            "x-portkey-metadata",
            "x-portkey-trace-id",
            "x-portkey-virtual-key"
        ]
        .map(str::to_owned)
        .into(),
        "exactly the SDK's headers for these options"
    );
    assert_eq!(seen.header("x-portkey-api-key"), Some("pk-test-123"));
    assert_eq!(seen.header("x-portkey-virtual-key"), Some("openai-key"));
    assert_eq!(
        seen.header("x-portkey-trace-id"),
        Some(run.to_string().as_str())
    );
    assert_eq!(
        header_json(seen.header("x-portkey-metadata")),
        json!({"environment": "production", "_user": "alice"})
    );
    let config = seen.header("x-portkey-config").expect("config header");
    let expected = json!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503]},
        "targets": [{"virtual_key": "openai-key"}, {"virtual_key": "anthropic-key"}],
        "cache": {"mode": "semantic", "max_age": 3600},
        "retry": {"attempts": 3, "on_status_codes": [429, 500, 502, 503, 504]}
    });
    assert_eq!(
        header_json(Some(config)),
        expected,
        "cache and retry sit beside strategy/targets"
    );
    assert_eq!(config, expected.to_string(), "compact JSON");
    assert_eq!(
        gateway
            .effective_config()
            .expect("valid")
            .map(|c| c.as_json().clone()),
        Some(expected)
    );
    // The body is the request, untouched.
    assert_eq!(seen.body["model"], "gpt-4o-mini");
    assert!(seen.body.get("metadata").is_none());
}

#[tokio::test]
async fn the_config_is_serialized_once_and_reused_by_every_call() {
    let portkey = MockProvider::start().await;
    let config = portkey_config!({"provider": "openai", "api_key": "sk-x"});
    // Without merging, the macro's own compact JSON is what goes out: no re-serialization.
    let plain = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .config(config.clone());
    let sent = plain.effective_config().expect("valid").expect("config");
    assert!(
        std::ptr::eq(sent.compact_json(), config.compact_json()),
        "the literal is reused"
    );

    // With cache and retry merged, the merged config is built once, at check(),
    // and every later call uses that same serialization.
    let merged = plain.cache(Cache::simple()).retry(RetryConfig::attempts(1));
    merged.check().expect("valid");
    let first = merged.effective_config().expect("valid").expect("config");
    merged
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    merged
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    let later = merged.effective_config().expect("valid").expect("config");
    assert!(
        std::ptr::eq(first.compact_json(), later.compact_json()),
        "serialized once"
    );
    let seen = portkey.requests();
    assert_eq!(
        seen[0].header("x-portkey-config"),
        Some(first.compact_json())
    );
    assert_eq!(
        seen[1].header("x-portkey-config"),
        Some(first.compact_json())
    );
    // A builder call starts over.
    let changed = merged.clone().metadata("k", "v");
    let rebuilt = changed.effective_config().expect("valid").expect("config");
    assert!(!std::ptr::eq(first.compact_json(), rebuilt.compact_json()));
    assert_eq!(first, rebuilt, "same value");
}

#[tokio::test]
async fn static_options_only_send_static_headers_and_dynamic_values_follow_each_call() {
    let portkey = MockProvider::start().await;
    let gateway = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .provider("openai")
        .provider_api_key("sk-provider")
        .custom_host("http://localhost:11434/v1")
        .request_timeout(Duration::from_secs(30))
        .forward_headers(["x-request-id", "x-tenant"])
        .cache_namespace("team-a")
        .cache_force_refresh(true)
        .metadata("environment", "staging");
    gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    let seen = &portkey.requests()[0];
    assert_eq!(seen.header("x-portkey-provider"), Some("openai"));
    assert_eq!(seen.header("authorization"), Some("Bearer sk-provider"));
    assert_eq!(
        seen.header("x-portkey-custom-host"),
        Some("http://localhost:11434/v1")
    );
    assert_eq!(seen.header("x-portkey-request-timeout"), Some("30000"));
    assert_eq!(
        seen.header("x-portkey-forward-headers"),
        Some("x-request-id,x-tenant")
    );
    assert_eq!(seen.header("x-portkey-cache-namespace"), Some("team-a"));
    assert_eq!(seen.header("x-portkey-cache-force-refresh"), Some("true"));
    assert_eq!(
        seen.header("x-portkey-metadata"),
        Some(r#"{"environment":"staging"}"#)
    );
    for absent in [
        "x-portkey-api-key",
        "x-portkey-config",
        "x-portkey-trace-id",
        "x-portkey-virtual-key",
    ] {
        assert_eq!(seen.header(absent), None, "{absent} was not configured");
    }

    // Dynamic metadata: absent values are left out, present ones merge with the static ones.
    let portkey = MockProvider::start().await;
    let gateway = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .provider("openai")
        .metadata("environment", "staging")
        .metadata_with("_user", |ctx| ctx.user_id())
        .metadata_with("endpoint", |ctx| Some(ctx.endpoint()))
        .metadata_with_owned("run", |ctx| Some(ctx.run_id().to_string()));
    let run = Uuid::new_v4();
    let anonymous = CallContext::new(run, "standard");
    let bob = CallContext::new(Uuid::new_v4(), "premium").with_user(Some("bob".into()));
    gateway.chat(&anonymous, request()).await.expect("answer");
    gateway.chat(&bob, request()).await.expect("answer");
    let seen = portkey.requests();
    assert_eq!(
        header_json(seen[0].header("x-portkey-metadata")),
        json!({"environment": "staging", "endpoint": "standard", "run": run.to_string()})
    );
    assert_eq!(
        header_json(seen[1].header("x-portkey-metadata"))["_user"],
        "bob"
    );
    assert_eq!(
        header_json(seen[1].header("x-portkey-metadata"))["endpoint"],
        "premium"
    );
}

#[tokio::test]
async fn non_ascii_config_and_metadata_travel_as_ascii_json_of_the_same_value() {
    let portkey = MockProvider::start().await;
    let gateway = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .config(portkey_config!({"provider": "openai", "api_key": "sk-x", "override_params": {"user": "zoë"}}))
        .metadata("team", "données 🚀");
    gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    let seen = &portkey.requests()[0];
    let config = seen.header("x-portkey-config").expect("ASCII header");
    assert!(config.contains("zo\\u00eb"), "{config}");
    assert_eq!(header_json(Some(config))["override_params"]["user"], "zoë");
    assert_eq!(
        header_json(seen.header("x-portkey-metadata"))["team"],
        "données 🚀"
    );
}

#[tokio::test]
async fn fallback_models_become_a_fallback_strategy_with_each_targets_credentials() {
    let portkey = MockProvider::start().await;
    // Hosted style: plain model names take the gateway's virtual key.
    let hosted = PortkeyGateway::new()
        .api_key("pk")
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .virtual_key("openai-key")
        .fallback(["gpt-4o", "claude-3-sonnet"]);
    assert_eq!(
        hosted
            .effective_config()
            .expect("valid")
            .expect("config")
            .as_json(),
        &json!({
            "strategy": {"mode": "fallback"},
            "targets": [
                {"virtual_key": "openai-key", "override_params": {"model": "gpt-4o"}},
                {"virtual_key": "openai-key", "override_params": {"model": "claude-3-sonnet"}}
            ]
        })
    );
    // Self-hosted style: each target carries provider and api_key (children
    // never inherit them), per-model credentials and Model Catalog models too.
    let self_hosted = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .provider("openai")
        .provider_api_key("sk-openai")
        .retry(RetryConfig::attempts(1))
        .fallback([
            FallbackModel::from("gpt-4"),
            FallbackModel::model("claude-3-opus-20240229")
                .provider("anthropic")
                .api_key("sk-ant"),
            FallbackModel::model("@openai-prod/gpt-4o-mini"),
        ])
        .fallback_on_status_codes([429, 503]);
    assert_eq!(
        self_hosted
            .effective_config()
            .expect("valid")
            .expect("config")
            .as_json(),
        &json!({
            "retry": {"attempts": 1},
            "strategy": {"mode": "fallback", "on_status_codes": [429, 503]},
            "targets": [
                {"provider": "openai", "api_key": "sk-openai", "override_params": {"model": "gpt-4"}},
                {"provider": "anthropic", "api_key": "sk-ant", "override_params": {"model": "claude-3-opus-20240229"}},
                {"override_params": {"model": "@openai-prod/gpt-4o-mini"}}
            ]
        })
    );
    self_hosted
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    let seen = &portkey.requests()[0];
    let sent = header_json(seen.header("x-portkey-config"));
    assert_eq!(
        sent["targets"][0]["api_key"], "sk-openai",
        "each target carries its key"
    );
    assert_eq!(seen.header("x-portkey-provider"), Some("openai"));
}

#[tokio::test]
async fn portkeys_response_headers_fill_the_metadata_section() {
    let portkey = MockProvider::start().await;
    portkey.push(
        MockReply::text("cached")
            .header("x-portkey-cache-status", "SEMANTIC HIT")
            .header("x-portkey-retry-attempt-count", "1")
            .header("x-portkey-last-used-option-index", "config.targets[1]")
            .header("x-portkey-provider", "anthropic")
            .header("x-portkey-trace-id", "trace-from-portkey"),
    );
    portkey.push(MockReply::text("tired").header("x-portkey-retry-attempt-count", "-1"));
    let gateway = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .provider("openai")
        .retry(RetryConfig::attempts(2))
        .trace_id_with(|_| "sent-trace".to_owned());
    let first = gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    assert_eq!(
        first.gateway_metadata["portkey"],
        json!({
            "cache_status": "SEMANTIC HIT",
            "cache_hit": true,
            "retry_attempts": 1,
            "retries_exhausted": false,
            "last_used_option_index": "config.targets[1]",
            "provider": "anthropic",
            "trace_id": "trace-from-portkey",
        })
    );
    let second = gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect("answer");
    let section = &second.gateway_metadata["portkey"];
    assert_eq!(
        section["retry_attempts"], 2,
        "-1 means every configured retry was used"
    );
    assert_eq!(section["retries_exhausted"], true);
    assert_eq!(section["cache_hit"], false);
    assert_eq!(section["cache_status"], Value::Null);
    assert_eq!(section["trace_id"], "sent-trace", "no echo: the id we sent");
}

#[tokio::test]
async fn failures_say_why_no_fallback_or_retry_happened() {
    let portkey = MockProvider::start().await;
    portkey.push(MockReply::status(401).message("bad key"));
    let gateway = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .config(portkey_config!({
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500]},
            "targets": [
                {"provider": "openai", "api_key": "sk-a"},
                {"provider": "openai", "api_key": "sk-b"}
            ]
        }))
        .retry(RetryConfig::attempts(1).on_status_codes([429]));
    let error = gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect_err("401");
    assert_eq!(error.status(), Some(401));
    let message = error.to_string();
    assert!(
        message.contains("fallback not triggered: 401 is not in on_status_codes [429, 500]"),
        "{message}"
    );
    assert!(
        message.contains("not retried: 401 is not in retry.on_status_codes [429]"),
        "{message}"
    );
    assert!(
        message.contains("bad key"),
        "the provider's own message stays: {message}"
    );

    // A status the strategy does fall back on gets no such note.
    portkey.push(MockReply::status(500));
    let error = gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect_err("500");
    assert!(!error.to_string().contains("not triggered"), "{error}");
}

#[tokio::test]
async fn portkeys_own_refusals_list_its_errors_verbatim() {
    let portkey = MockProvider::start().await;
    let body = json!({
        "status": "failure",
        "message": "Invalid config passed",
        "errors": ["path: strategy,mode, message: Invalid enum value", "path: targets,0, message: Required"]
    });
    portkey.push(MockReply::raw(400, body.to_string(), "application/json"));
    let gateway = PortkeyGateway::new()
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .provider("openai");
    let error = gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect_err("400");
    assert_eq!(
        error.to_string(),
        "portkey answered 400: Portkey refused the request: Invalid config passed\n  \
         - path: strategy,mode, message: Invalid enum value\n  - path: targets,0, message: Required"
    );
}

fn check_error(gateway: &PortkeyGateway) -> String {
    match gateway.check() {
        Err(error @ GatewayError::Config { .. }) => error.to_string(),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn start_up_checks_report_every_problem_with_its_fix() {
    let self_hosted = || PortkeyGateway::new().base_url("http://127.0.0.1:8787/v1");

    let expired = check_error(
        &self_hosted()
            .provider("openai")
            .cache(Cache::simple().max_age(Duration::ZERO)),
    );
    assert!(
        expired.contains("`.cache(..)`: `cache.max_age`: `max_age` must be positive, got 0: an entry that is already expired"),
        "{expired}"
    );
    let too_many = check_error(
        &self_hosted()
            .provider("openai")
            .retry(RetryConfig::attempts(9)),
    );
    assert!(
        too_many.contains(
            "`.retry(..)`: `retry.attempts`: `attempts` is 9, but Portkey retries at most 5 times"
        ),
        "{too_many}"
    );
    let bad_codes = check_error(
        &self_hosted()
            .provider("openai")
            .retry(RetryConfig::attempts(2).on_status_codes([700])),
    );
    assert!(
        bad_codes.contains("`700` is not an HTTP status code"),
        "{bad_codes}"
    );

    let twice = check_error(
        &self_hosted()
            .config(portkey_config!({"strategy": {"mode": "single"}, "targets": [{"provider": "openai", "api_key": "k"}]}))
            .fallback(["gpt-4o"]),
    );
    assert!(twice.contains("`.fallback(..)` builds the config's `strategy` and `targets`, but the config already has `strategy`"), "{twice}");
    let no_credentials = check_error(&self_hosted().fallback(["gpt-4o", "claude-3-opus"]));
    assert!(
        no_credentials.contains("fallback model `gpt-4o` has no credentials"),
        "{no_credentials}"
    );
    assert!(
        no_credentials.contains("fallback model `claude-3-opus` has no credentials"),
        "{no_credentials}"
    );

    let several = check_error(
        &self_hosted()
            .provider("opneai")
            .custom_host("http://169.254.169.254/v1")
            .config_id("pc-saved")
            .cache(Cache::simple()),
    );
    assert!(
        several.starts_with("gateway `portkey` is misconfigured: 3 problems:"),
        "{several}"
    );
    assert!(
        several.contains("`.provider(..)`: unknown provider `opneai`"),
        "{several}"
    );
    assert!(several.contains("did you mean `openai`?"), "{several}");
    assert!(
        several.contains("`.custom_host(..)`: custom_host `http://169.254.169.254/v1` is refused"),
        "{several}"
    );
    assert!(
        several.contains("`.config_id(..)` names a config saved in Portkey"),
        "{several}"
    );

    let nowhere = check_error(&self_hosted());
    assert!(
        nowhere.contains("nothing tells the gateway where to send requests"),
        "{nowhere}"
    );
    let bad_url = check_error(
        &PortkeyGateway::new()
            .api_key("pk")
            .base_url("localhost:8787"),
    );
    assert!(
        bad_url.contains("is not an absolute http(s) URL"),
        "{bad_url}"
    );
    let lone_codes = check_error(
        &self_hosted()
            .provider("openai")
            .fallback_on_status_codes([503]),
    );
    assert!(
        lone_codes.contains("`.fallback_on_status_codes(..)` needs `.fallback([...])`"),
        "{lone_codes}"
    );

    // Valid forms pass.
    self_hosted()
        .provider("openai")
        .check()
        .expect("provider header");
    self_hosted()
        .provider("openai")
        .provider_api_key("sk")
        .fallback(["a", "b"])
        .check()
        .expect("fallback");
    PortkeyGateway::new()
        .api_key("pk")
        .base_url("https://api.portkey.ai/v1")
        .check()
        .expect("hosted, key only");
}

#[test]
fn a_gateway_that_fails_its_check_fails_every_call_with_the_same_error() {
    let gateway = PortkeyGateway::new().base_url("http://127.0.0.1:9/v1");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let call = runtime.block_on(gateway.chat(&CallContext::detached(), request()));
    assert_eq!(
        call.expect_err("misconfigured").to_string(),
        check_error(&gateway)
    );
}

// ---------------------------------------------------------------------------
// The environment: PORTKEY_API_KEY and PORTKEY_BASE_URL, read by new().
// Environment variables are process-wide, so each case runs in a child
// process of this test binary with exactly the variables it needs.

/// Runs `helper` (an ignored test below) in a child process with `env` set
/// and the two Portkey variables otherwise removed; returns its stdout.
fn run_helper(helper: &str, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("test binary");
    let mut command = Command::new(exe);
    command
        .args([
            helper,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("PORTKEY_API_KEY")
        .env_remove("PORTKEY_BASE_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run the helper");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "helper {helper} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The line `RESULT <text>` a helper printed.
fn result_of(stdout: &str) -> &str {
    stdout
        .lines()
        .find_map(|line| line.split_once("RESULT ").map(|(_, result)| result))
        .unwrap_or_else(|| panic!("no RESULT line in:\n{stdout}"))
}

#[test]
#[ignore = "helper, run in a child process by the environment tests"]
fn helper_check_from_env() {
    let gateway = PortkeyGateway::new();
    match gateway.check() {
        Ok(()) => println!("RESULT ok"),
        Err(error) => println!("RESULT {error}"),
    }
}

#[test]
#[ignore = "helper, run in a child process by the environment tests"]
fn helper_call_from_env() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let gateway = PortkeyGateway::new().provider("openai");
    let outcome = runtime.block_on(gateway.chat(&CallContext::detached(), request()));
    println!(
        "RESULT {}",
        outcome
            .map(|r| r.text().to_owned())
            .unwrap_or_else(|e| e.to_string())
    );
}

#[test]
fn without_a_key_hosted_portkey_fails_at_start_up_naming_portkey_api_key() {
    let message = run_helper("helper_check_from_env", &[]);
    let message = result_of(&message);
    assert!(
        message.starts_with(
            "gateway `portkey` is misconfigured: no Portkey API key: set PORTKEY_API_KEY"
        ),
        "{message}"
    );
    assert!(message.contains("https://api.portkey.ai/v1"), "{message}");

    // The same through App start-up.
    let app = App::new("no key")
        .without_inventory()
        .llm_gateway(
            PortkeyGateway::new()
                .api_key("")
                .base_url("https://api.portkey.ai/v1"),
        )
        .into_router();
    let error = app.expect_err("refused at start-up").to_string();
    assert!(error.contains("PORTKEY_API_KEY"), "{error}");
}

#[tokio::test]
async fn the_environment_gives_the_key_and_the_base_url() {
    let portkey = MockProvider::start().await;
    // The child calls the mock served by this process: wait for it off the runtime's thread.
    let base_url = portkey.base_url();
    let stdout = tokio::task::spawn_blocking(move || {
        run_helper(
            "helper_call_from_env",
            &[
                ("PORTKEY_API_KEY", "pk-from-env"),
                ("PORTKEY_BASE_URL", &base_url),
            ],
        )
    })
    .await
    .expect("helper");
    assert_eq!(result_of(&stdout), "Mock reply to: hello");
    let seen = &portkey.requests()[0];
    assert_eq!(seen.header("x-portkey-api-key"), Some("pk-from-env"));

    // A self-hosted base URL needs no key.
    let stdout = run_helper(
        "helper_check_from_env",
        &[("PORTKEY_BASE_URL", "http://localhost:8787/v1")],
    );
    let message = result_of(&stdout);
    assert!(!message.contains("PORTKEY_API_KEY"), "{message}");
    assert!(
        message.contains("(from PORTKEY_BASE_URL)")
            || message.contains("nothing tells the gateway"),
        "{message}"
    );
    // An invalid base URL from the environment is named as such.
    let stdout = run_helper(
        "helper_check_from_env",
        &[("PORTKEY_API_KEY", "pk"), ("PORTKEY_BASE_URL", "not a url")],
    );
    assert!(
        result_of(&stdout)
            .contains("`not a url` (from PORTKEY_BASE_URL) is not an absolute http(s) URL"),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------
// Secrets

const SECRETS: &[&str] = &[
    "pk-SECRET-api",
    "vk-SECRET-virtual",
    "sk-SECRET-provider",
    "sk-SECRET-target",
    "hunter2-SECRET",
];

fn assert_no_secret(text: &str, place: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{place} leaks {secret}:\n{text}");
    }
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn secrets_never_appear_in_debug_errors_or_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let portkey = MockProvider::start().await;
    let config = PortkeyConfig::from_value(json!({
        "strategy": {"mode": "fallback"},
        "targets": [{"provider": "openai", "api_key": "sk-SECRET-target"}, {"virtual_key": "vk-SECRET-virtual"}]
    }))
    .expect("valid");
    let gateway = PortkeyGateway::new()
        .api_key(Secret::new("pk-SECRET-api"))
        .virtual_key("vk-SECRET-virtual")
        .provider_api_key("sk-SECRET-provider")
        .base_url(portkey.base_url())
        .http_client(portkey_support::http_client())
        .config(config.clone());
    assert_no_secret(&format!("{gateway:?}"), "Debug of the gateway");
    assert_no_secret(&format!("{config:?}"), "Debug of the config");
    assert_no_secret(
        &format!("{:?}", gateway.effective_config()),
        "Debug of the effective config",
    );

    // An upstream error, a connection error, a start-up error.
    portkey.push(MockReply::status(401).message("invalid api key"));
    let upstream = gateway
        .chat(&CallContext::detached(), request())
        .await
        .expect_err("401");
    assert_no_secret(&format!("{upstream} {upstream:?}"), "an upstream error");
    let closed = gateway.clone().base_url("http://127.0.0.1:9/v1");
    let connection = closed
        .chat(&CallContext::detached(), request())
        .await
        .expect_err("refused");
    assert_no_secret(
        &format!("{connection} {connection:?}"),
        "a connection error",
    );
    let broken = gateway
        .clone()
        .provider("opneai")
        .base_url("http://user:hunter2-SECRET@127.0.0.1:8787/v1");
    let startup = broken.check().expect_err("misconfigured");
    assert!(
        startup.to_string().contains("carries credentials"),
        "{startup}"
    );
    assert_no_secret(&format!("{startup} {startup:?}"), "a start-up error");
    let bad_header = PortkeyGateway::new()
        .api_key("pk-SECRET-api\n")
        .base_url("https://api.portkey.ai/v1");
    let header_error = bad_header.check().expect_err("newline");
    assert!(
        header_error
            .to_string()
            .contains("the Portkey API key holds characters"),
        "{header_error}"
    );
    assert_no_secret(&format!("{header_error:?}"), "a header error");

    // Through an app: its logs of a failed call, and the error the client sees.
    portkey.push(MockReply::status(401).message("invalid api key"));
    let app = App::new("secrets")
        .without_inventory()
        .endpoint(&ASK_ENDPOINT)
        .llm_gateway(gateway.clone())
        .spawn("127.0.0.1:0")
        .await
        .expect("app");
    let answer = reqwest::Client::new()
        .post(format!("{}/ask", app.url()))
        .json(&json!({"question": "hi"}))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 502);
    assert_no_secret(&answer.text().await.expect("body"), "the HTTP error");
    app.shutdown().await.expect("shutdown");
    let logs = String::from_utf8_lossy(&logs.0.lock().expect("logs")).into_owned();
    assert!(
        logs.contains("401"),
        "the failed call is logged, so the check means something:\n{logs}"
    );
    assert_no_secret(&logs, "the logs");
}
