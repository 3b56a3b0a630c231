//! `AzureOpenAiGateway` against the mock's deployment paths: the URL
//! (resource, deployment, `api-version`), the `api-key` header or a bearer
//! token, Azure's error shapes and content-filter results in the facts.

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, GatewayError};
use fastagentic_providers::AzureOpenAiGateway;
use futures_util::StreamExt;
use serde_json::json;

fn azure(mock: &MockProvider) -> AzureOpenAiGateway {
    AzureOpenAiGateway::new("unused", "azure-key").endpoint(mock.azure_endpoint())
}

#[tokio::test]
async fn the_deployment_and_api_version_are_in_the_url_and_the_key_in_api_key() {
    let mock = MockProvider::start().await;
    mock.on_model(
        "gpt-4o-prod",
        MockReply::text("from Azure").model("gpt-4o-2024-11-20"),
    );
    let reply = AgentContext::standalone(azure(&mock))
        .llm()
        .chat(ChatRequest::new("gpt-4o-prod").user("hi"))
        .await
        .expect("the deployment answers");
    assert_eq!(reply.text(), "from Azure");
    let seen = &mock.requests()[0];
    assert_eq!(
        seen.path,
        "/openai/deployments/gpt-4o-prod/chat/completions"
    );
    assert_eq!(seen.query.as_deref(), Some("api-version=2024-10-21"));
    assert_eq!(seen.header("api-key"), Some("azure-key"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(
        seen.body["messages"],
        json!([{"role": "user", "content": "hi"}])
    );
    // The answer names the model behind the deployment: it is priced.
    assert!(reply.usage.as_ref().and_then(|u| u.cost).is_some());
    let facts = &reply.gateway_metadata["azure-openai"];
    assert_eq!(facts["request_id"], "apim-mock");
    assert_eq!(facts["region"], "Mock Region");
    assert_eq!(
        facts["prompt_filter_results"][0]["content_filter_results"]["hate"]["filtered"],
        false
    );
    assert_eq!(
        facts["content_filter_results"][0]["violence"]["severity"],
        "safe"
    );
}

#[tokio::test]
async fn a_fixed_deployment_a_version_and_a_bearer_token() {
    let mock = MockProvider::start().await;
    let gateway = azure(&mock)
        .deployment("chat-prod")
        .api_version("2025-01-01-preview")
        .bearer_token("entra-token");
    gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .unwrap();
    let seen = &mock.requests()[0];
    assert_eq!(seen.path, "/openai/deployments/chat-prod/chat/completions");
    assert_eq!(
        seen.query.as_deref(),
        Some("api-version=2025-01-01-preview")
    );
    assert_eq!(seen.header("authorization"), Some("Bearer entra-token"));
    assert_eq!(seen.header("api-key"), None);

    let reply = gateway
        .embed(
            &CallContext::detached(),
            fastagentic::EmbeddingRequest::new("emb", ["a", "b"]),
        )
        .await
        .unwrap();
    assert_eq!(reply.data.len(), 2);
    assert_eq!(
        mock.requests()[1].path,
        "/openai/deployments/chat-prod/embeddings"
    );
}

#[tokio::test]
async fn streams_carry_usage_and_the_facts() {
    let mock = MockProvider::start().await;
    mock.push(MockReply::stream(["one ", "two"]));
    let mut stream = azure(&mock)
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o-mini").user("hi"),
        )
        .await
        .unwrap();
    assert_eq!(
        stream.gateway_metadata["azure-openai"]["request_id"],
        "apim-mock"
    );
    let mut text = String::new();
    let mut usage = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("no error");
        text.push_str(chunk.delta_text());
        usage = usage.or(chunk.usage().cloned());
    }
    assert_eq!(text, "one two");
    assert!(usage.is_some(), "include_usage was asked for");
    assert_eq!(
        mock.requests()[0].body["stream_options"],
        json!({"include_usage": true})
    );
}

#[tokio::test]
async fn azure_error_shapes_are_read() {
    let mock = MockProvider::start().await;
    let filtered = json!({"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        "type": null, "param": "prompt", "code": "content_filter", "status": 400,
        "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {
            "hate": {"filtered": false, "severity": "safe"}, "violence": {"filtered": true, "severity": "medium"}}}}});
    mock.push(MockReply::raw(
        400,
        filtered.to_string(),
        "application/json",
    ));
    let error = azure(&mock)
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("x"),
        )
        .await
        .unwrap_err();
    match &error {
        GatewayError::Upstream {
            status: 400,
            message,
            provider,
            ..
        } => {
            assert_eq!(provider, "azure-openai");
            assert!(
                message.starts_with("content_filter: The response was filtered"),
                "{message}"
            );
            assert!(message.ends_with("(filtered: violence)"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    mock.push(
        MockReply::status(429).message(
            "Requests to the ChatCompletions_Create Operation have exceeded the rate limit.",
        ),
    );
    let error = azure(&mock)
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("x"),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert!(
        error.to_string().contains("exceeded the rate limit"),
        "{error}"
    );
    // The mock, as Azure, refuses a call without api-version: proof the gateway always sends it.
    assert!(mock.requests().iter().all(|r| {
        r.query
            .as_deref()
            .is_some_and(|q| q.contains("api-version="))
    }));
}

#[tokio::test]
async fn bad_settings_are_named_at_check() {
    let error = AzureOpenAiGateway::new("res", "")
        .api_version("2024 10 21")
        .check()
        .unwrap_err()
        .to_string();
    assert!(error.contains("AZURE_OPENAI_API_KEY"), "{error}");
    assert!(error.contains("api-version"), "{error}");
    assert!(AzureOpenAiGateway::new("res", "k").check().is_ok());
}
