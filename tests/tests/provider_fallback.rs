//! The seed's chain, "when OpenAI fails, try Anthropic, then Azure", against
//! the mocks: as `ReliableGateway` fallback targets and as a `Fallback`
//! chain in process.

use std::time::Duration;

use fastagentic::gateway::shared;
use fastagentic::prelude::*;
use fastagentic::reliability::{Fallback, ReliableGateway, Target};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, LlmGateway};
use fastagentic_providers::{AnthropicGateway, AzureOpenAiGateway};
use futures_util::StreamExt;

struct Mocks {
    openai: MockProvider,
    anthropic: MockProvider,
    azure: MockProvider,
}

async fn mocks() -> Mocks {
    Mocks {
        openai: MockProvider::start().await,
        anthropic: MockProvider::start().await,
        azure: MockProvider::start().await,
    }
}

fn reliable(m: &Mocks) -> ReliableGateway {
    ReliableGateway::new(OpenAiGateway::new("sk-openai").base_url(m.openai.base_url())).fallback([
        Target::gateway(AnthropicGateway::new("sk-ant").base_url(m.anthropic.anthropic_base_url()))
            .with_model("claude-sonnet-4-5"),
        Target::gateway(
            AzureOpenAiGateway::new("res", "azure-key").endpoint(m.azure.azure_endpoint()),
        )
        .with_model("gpt-4o-backup"),
    ])
}

#[tokio::test]
async fn openai_fails_then_anthropic_answers() {
    let m = mocks().await;
    m.openai.set_default(MockReply::status(503));
    m.anthropic.set_default(MockReply::text("from Claude"));
    let reply = AgentContext::standalone(reliable(&m))
        .llm()
        .chat(ChatRequest::new("gpt-4o").user("hi"))
        .await
        .expect("Anthropic answers");
    assert_eq!(reply.text(), "from Claude");
    assert_eq!(reply.gateway_metadata["fastagentic"]["target_index"], 1);
    assert_eq!(
        reply.gateway_metadata["fastagentic"]["failed"][0]["status"],
        503
    );
    assert_eq!(m.anthropic.requests()[0].model(), Some("claude-sonnet-4-5"));
    assert_eq!(m.anthropic.requests()[0].path, "/v1/messages");
    assert!(
        reply.usage.and_then(|u| u.cost).is_some(),
        "Claude is priced"
    );
    assert_eq!(m.azure.request_count(), 0);
}

#[tokio::test]
async fn openai_and_anthropic_fail_then_azure_answers_plain_and_streamed() {
    let m = mocks().await;
    m.openai.set_default(MockReply::status(500));
    m.anthropic
        .set_default(MockReply::status(529).message("Overloaded"));
    m.azure.set_default(MockReply::stream(["from ", "Azure"]));
    let gateway = reliable(&m);
    let reply = gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("Azure answers");
    assert_eq!(reply.text(), "from Azure");
    assert_eq!(reply.gateway_metadata["fastagentic"]["target_index"], 2);
    let failed = &reply.gateway_metadata["fastagentic"]["failed"];
    assert_eq!(
        (failed[0]["status"].as_u64(), failed[1]["status"].as_u64()),
        (Some(500), Some(529))
    );
    assert_eq!(
        m.azure.requests()[0].path,
        "/openai/deployments/gpt-4o-backup/chat/completions"
    );

    let mut stream = gateway
        .chat_stream(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
        .expect("Azure streams");
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(chunk.expect("no error").delta_text());
    }
    assert_eq!(text, "from Azure");
}

#[tokio::test]
async fn the_same_chain_in_process_with_a_fallback_tree() {
    let m = mocks().await;
    m.openai
        .set_default(MockReply::status(429).retry_after(Duration::from_secs(1)));
    m.anthropic.set_default(MockReply::text("from Claude"));
    let chain = Fallback::chain([
        shared(OpenAiGateway::new("sk-openai").base_url(m.openai.base_url())),
        shared(fastagentic::reliability::Override::model(
            AnthropicGateway::new("sk-ant").base_url(m.anthropic.anthropic_base_url()),
            "claude-haiku-4-5",
        )),
        shared(AzureOpenAiGateway::new("res", "azure-key").endpoint(m.azure.azure_endpoint())),
    ]);
    chain.check().expect("every target is configured");
    let reply = chain
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o-mini").user("hi"),
        )
        .await
        .expect("Anthropic answers");
    assert_eq!(reply.text(), "from Claude");
    assert_eq!(m.openai.request_count(), 1);
    assert_eq!(m.anthropic.requests()[0].model(), Some("claude-haiku-4-5"));
}
