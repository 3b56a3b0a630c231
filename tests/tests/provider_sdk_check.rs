//! The mock provider's wire formats, checked by the providers' own clients:
//! the official Python SDKs (`anthropic`, `openai` for OpenAI, Azure OpenAI
//! and Gemini's OpenAI-compatible endpoint, `google-genai` for Gemini's
//! native API), pinned, call the mock and assert that they parsed each
//! answer into their typed objects: plain and streamed text, a tool call
//! (plain and streamed), an error. The scripts live in
//! `provider_sdk_support/`; the replies are scripted here, in their order.

use std::path::{Path, PathBuf};

use fastagentic::testing::{MockProvider, MockReply};
use fastagentic_tests::peers::provider_sdks_python;
use serde_json::json;

/// The scripted replies of every script's first five calls.
fn script_common(mock: &MockProvider) {
    mock.push(MockReply::text("Hello from the mock").usage(12, 5));
    mock.push(MockReply::stream(["Hel", "lo", " there"]).usage(7, 3));
    mock.push(MockReply::tool_call(
        "get_weather",
        json!({"city": "Paris"}),
    ));
    mock.push(MockReply::tool_call(
        "get_weather",
        json!({"city": "Paris"}),
    ));
    mock.push(MockReply::status(429).message("slow down"));
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/provider_sdk_support")
        .join(name)
}

/// Runs a check script; panics with its output unless it printed `ok`.
async fn run(script_name: &str, args: &[&str]) {
    let python = provider_sdks_python()
        .await
        .expect("the providers' Python SDKs (a pinned venv under target/peers) are needed");
    let output = tokio::process::Command::new(&python)
        .arg(script(script_name))
        .args(args)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "{script_name} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_reads_the_messages_api() {
    let mock = MockProvider::start().await;
    script_common(&mock);
    mock.push(MockReply::status(529).message("Overloaded"));
    mock.push(MockReply::text("Hello from the mock"));
    run("anthropic_check.py", &[&mock.anthropic_base_url()]).await;
    let seen = mock.requests();
    assert_eq!(seen.len(), 7, "{seen:#?}");
    assert!(seen.iter().all(|r| r.path == "/v1/messages"), "{seen:#?}");
    // This SDK sends the API key as a bearer token, not as `x-api-key`
    // (which Anthropic's docs and our gateway use): the mock takes both.
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-ant-test"));
    assert!(seen[0].header("anthropic-version").is_some());
    assert_eq!(seen[6].header("authorization"), Some("Bearer sk-ant-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_reads_the_chat_completions_api() {
    let mock = MockProvider::start().await;
    script_common(&mock);
    run("openai_check.py", &["openai", &mock.base_url()]).await;
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.path == "/v1/chat/completions")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_reads_azure_openai_deployments() {
    let mock = MockProvider::start().await;
    script_common(&mock);
    run("openai_check.py", &["azure", &mock.azure_endpoint()]).await;
    let seen = mock.requests();
    assert_eq!(seen.len(), 5, "{seen:#?}");
    for request in &seen {
        assert_eq!(
            request.path,
            "/openai/deployments/gpt-4o-prod/chat/completions"
        );
        assert_eq!(request.query.as_deref(), Some("api-version=2024-10-21"));
        assert_eq!(request.header("api-key"), Some("azure-test"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_reads_geminis_openai_compatible_endpoint() {
    let mock = MockProvider::start().await;
    script_common(&mock);
    run("openai_check.py", &["gemini", &mock.gemini_base_url()]).await;
    let seen = mock.requests();
    assert!(
        seen.iter()
            .all(|r| r.path == "/v1beta/openai/chat/completions"),
        "{seen:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_genai_sdk_reads_the_native_gemini_api() {
    for version in ["v1beta", "v1"] {
        let mock = MockProvider::start().await;
        script_common(&mock);
        run("gemini_check.py", &[&mock.gemini_native_url(), version]).await;
        let seen = mock.requests();
        let paths: Vec<&str> = seen.iter().map(|r| r.path.as_str()).collect();
        let plain = format!("/{version}/models/gemini-2.5-flash:generateContent");
        let streamed = format!("/{version}/models/gemini-2.5-flash:streamGenerateContent");
        assert_eq!(
            paths,
            [&plain, &streamed, &plain, &streamed, &plain],
            "{seen:#?}"
        );
        assert_eq!(seen[1].query.as_deref(), Some("alt=sse"));
        assert_eq!(seen[0].header("x-goog-api-key"), Some("AIza-test"));
    }
}

#[tokio::test]
async fn unknown_paths_are_recorded_and_answered_404() {
    let mock = MockProvider::start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/v2/nowhere?x=1", mock.url()))
        .json(&json!({"model": "m"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "mock provider: no route for POST /v2/nowhere"
    );
    let seen = mock.requests();
    assert_eq!(seen[0].path, "/v2/nowhere");
    assert_eq!(seen[0].query.as_deref(), Some("x=1"));
    assert_eq!(seen[0].body, json!({"model": "m"}));
}
