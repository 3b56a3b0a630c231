//! `cargo run` works offline: the quickstart binary, started with no API key,
//! answers `/chat` from the demo gateway and stops cleanly on SIGTERM; with
//! gateway variables set, it picks the gateway they name.

mod support;

use fastagentic::testing::{CapturedRequest, MockProvider};
use serde_json::{Value, json};
use support::Example;

const QUICKSTART: &str = env!("CARGO_BIN_EXE_quickstart");

#[tokio::test]
async fn quickstart_answers_offline_and_stops_on_sigterm() {
    let app = Example::start(QUICKSTART, &[]).await;
    let http = reqwest::Client::new();

    let reply: Value = http
        .post(app.url("/chat"))
        .json(&json!({"message": "Hello!"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["model"], "fastagentic-demo", "{reply}");
    assert!(reply["reply"].as_str().unwrap().contains("Hello!"));
    assert!(reply["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let summary = http
        .post(app.url("/summarize"))
        .json(&json!({"text": "A long text."}))
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status().as_u16(), 200);

    let stream = http
        .post(app.url("/chat/stream"))
        .json(&json!({"message": "Hi"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(stream.ends_with("data: [DONE]\n\n"), "{stream}");

    let doc: Value = http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in ["/chat", "/chat/stream", "/summarize"] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }

    // The one-line dashboard: the page, and the calls just made.
    let page = http.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    // (a stream's request is counted when its body has ended: poll briefly)
    let mut snapshot = Value::Null;
    for _ in 0..50 {
        snapshot = http
            .get(app.url("/dashboard/snapshot"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if snapshot["requests"]["total"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(snapshot["llm"]["calls"], 3, "{snapshot}");
    assert_eq!(snapshot["requests"]["total"], 3, "{snapshot}");

    let (status, log) = app.stop();
    assert!(status.success(), "clean exit: {status:?}\n{log}");
    assert!(log.contains("demo"), "the log says it is the demo: {log}");
    assert!(log.contains("stopped"), "{log}");
}

/// Starts the quickstart with `env`, sends one `/chat`, and returns what the mock upstream saw.
async fn chat_through_env(env: &[(&str, String)], mock: &MockProvider) -> CapturedRequest {
    let app = Example::start(QUICKSTART, env).await;
    let response = reqwest::Client::new()
        .post(app.url("/chat"))
        .json(&json!({"message": "Hello!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    mock.requests()
        .pop()
        .expect("the chat reached the upstream")
}

#[tokio::test]
async fn the_environment_picks_the_gateway() {
    let mock = MockProvider::start().await;
    let openai = chat_through_env(
        &[
            ("OPENAI_API_KEY", "sk-openai".into()),
            ("OPENAI_BASE_URL", mock.base_url()),
        ],
        &mock,
    )
    .await;
    assert_eq!(openai.header("authorization"), Some("Bearer sk-openai"));

    let litellm = chat_through_env(
        &[
            ("LITELLM_PROXY_API_BASE", mock.url()),
            ("LITELLM_PROXY_API_KEY", "sk-litellm".into()),
            ("OPENAI_API_KEY", "sk-openai".into()),
        ],
        &mock,
    )
    .await;
    assert_eq!(
        litellm.header("authorization"),
        Some("Bearer sk-litellm"),
        "LiteLLM wins over OpenAI"
    );

    let portkey = chat_through_env(
        &[
            ("PORTKEY_API_KEY", "pk-test".into()),
            ("PORTKEY_BASE_URL", mock.base_url()),
            ("PORTKEY_VIRTUAL_KEY", "openai-vk".into()),
            ("LITELLM_PROXY_API_BASE", mock.url()),
        ],
        &mock,
    )
    .await;
    assert_eq!(
        portkey.header("x-portkey-api-key"),
        Some("pk-test"),
        "Portkey wins over LiteLLM"
    );
    assert_eq!(portkey.header("x-portkey-virtual-key"), Some("openai-vk"));
}
