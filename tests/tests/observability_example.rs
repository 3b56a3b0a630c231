//! The `observability` example's app, run as written against a
//! `MockProvider` and a local Langfuse stand-in: its request shows up on
//! `/metrics` and in a schema-valid Langfuse batch.

#[allow(dead_code)]
#[path = "../../examples/src/bin/observability.rs"]
mod example;
mod observability_support;

use fastagentic::OpenAiGateway;
use fastagentic::observability::LangfuseHook;
use fastagentic::testing::{MockProvider, MockReply};
use observability_support::langfuse_server::LangfuseServer;
use serde_json::json;

#[tokio::test]
async fn the_example_reports_to_metrics_and_langfuse() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::status(503));
    mock.set_default(MockReply::text("billing").usage(9, 1));
    let langfuse_server = LangfuseServer::start().await;
    let langfuse = LangfuseHook::new("pk-lf-test", "sk-lf-test").host(langfuse_server.url());
    let gateway = OpenAiGateway::new("sk-test").base_url(mock.base_url());
    let app = example::app(gateway, Some(langfuse.clone()))
        .spawn("127.0.0.1:0")
        .await
        .unwrap();

    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/triage", app.url()))
        .json(&json!({"text": "I was charged twice"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply, json!({"label": "billing"}));

    let metrics = reqwest::get(format!("{}/metrics", app.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"fastagentic_requests_total{endpoint="triage",status="200"} 1"#,
        r#"fastagentic_llm_retries_total{endpoint="triage",model="gpt-4o-mini"} 1"#,
        r#"fastagentic_llm_tokens_total{endpoint="triage",model="gpt-4o-mini",type="input"} 9"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in\n{metrics}"
        );
    }

    langfuse.flush().await;
    let events = langfuse_server.events();
    for batch in langfuse_server.received() {
        assert!(batch.errors.is_empty(), "{:#?}", batch.errors);
        // base64("pk-lf-test:sk-lf-test")
        let expected = "Basic cGstbGYtdGVzdDpzay1sZi10ZXN0";
        assert_eq!(batch.authorization.as_deref(), Some(expected));
    }
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "generation-create").count(),
        1
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "event-create").count(),
        1,
        "the retry"
    );
    app.shutdown().await.unwrap();
}
