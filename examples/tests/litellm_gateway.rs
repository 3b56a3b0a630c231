//! The `litellm_gateway` example runs as documented: configured from
//! `LITELLM_PROXY_API_BASE` / `LITELLM_PROXY_API_KEY`, it sends the seed's
//! fallback models, per-request metadata and cache controls, and its hook
//! logs what the proxy reported. A `MockProvider` stands in for the proxy
//! (the real proxy is exercised in `tests/tests/litellm_proxy.rs`).

mod support;

use fastagentic::testing::{MockProvider, MockReply};
use serde_json::{Value, json};
use support::Example;

#[tokio::test]
async fn the_litellm_example_sends_the_seed_s_options_through_the_proxy() {
    let proxy = MockProvider::start().await;
    proxy.set_default(
        MockReply::text("Hi from the proxy")
            .header("x-litellm-response-cost", "0.0125")
            .header("x-litellm-attempted-fallbacks", "1"),
    );
    let app = Example::start(
        env!("CARGO_BIN_EXE_litellm_gateway"),
        &[
            ("LITELLM_PROXY_API_BASE", proxy.url()),
            ("LITELLM_PROXY_API_KEY", "sk-example-key".into()),
        ],
    )
    .await;
    let http = reqwest::Client::new();

    for body in [
        json!({"question": "Hello!"}),
        json!({"question": "Hello!", "fresh": true}),
    ] {
        let reply: Value = http
            .post(app.url("/ask"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(reply["answer"], "Hi from the proxy", "{reply}");
    }

    let seen = proxy.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer sk-example-key")
    );
    assert_eq!(seen[0].body["model"], "gpt-4o");
    // The request's own model is left out of its fallbacks.
    assert_eq!(
        seen[0].body["fallbacks"],
        json!(["claude-3-sonnet", "gemini-pro"])
    );
    assert_eq!(seen[0].body["metadata"], json!({"endpoint": "ask"}));
    assert!(seen[0].body.get("cache").is_none());
    assert_eq!(seen[1].body["cache"], json!({"no-cache": true}));

    let (_, log) = app.stop();
    assert!(log.contains("LLM call through LiteLLM"), "{log}");
    assert!(log.contains("Some(0.0125)"), "LiteLLM's cost: {log}");
    assert!(!log.contains("sk-example-key"), "{log}");
}
