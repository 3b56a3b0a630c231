//! Secrets never leave: provider keys, virtual keys, the Portkey and LiteLLM
//! keys are absent from every log line (any level, any crate), every answer
//! a client gets, `/metrics`, `Debug` and error texts — even when the
//! providers echo the key they were sent into their error messages.

use fastagentic::prelude::*;
use fastagentic::reliability::{ReliableGateway, Target};
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, LlmGateway};
use fastagentic_litellm::LiteLLMGateway;
use fastagentic_portkey::{PortkeyGateway, VirtualKey, VirtualKeys, portkey_config};
use fastagentic_providers::{AnthropicGateway, AzureOpenAiGateway, GeminiGateway};
use fastagentic_tests::captured_log::{CapturedLog, capture_log};
use serde_json::json;

const OPENAI_KEY: &str = "sk-audit-openai-7f3a9c";
const ANTHROPIC_KEY: &str = "sk-ant-audit-2b8e41";
const AZURE_KEY: &str = "azure-audit-5d0c77";
const GEMINI_KEY: &str = "gemini-audit-91ae3f";
const VIRTUAL_PROVIDER_KEY: &str = "sk-audit-virtual-4c62d0";
const PORTKEY_KEY: &str = "pk-audit-portkey-8e1b5a";
const LITELLM_KEY: &str = "sk-audit-litellm-3f9d27";

const SECRETS: [&str; 7] = [
    OPENAI_KEY,
    ANTHROPIC_KEY,
    AZURE_KEY,
    GEMINI_KEY,
    VIRTUAL_PROVIDER_KEY,
    PORTKEY_KEY,
    LITELLM_KEY,
];

/// Everything the process logs, at every level.
fn logs() -> CapturedLog {
    capture_log(tracing::Level::TRACE)
}

/// Fails with the secret and the place it was seen.
fn assert_clean(place: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{secret} appears in {place}:\n{text}"
        );
    }
}

/// A reply that echoes `key` the way OpenAI does for a wrong key.
fn echoing(status: u16, key: &str) -> MockReply {
    MockReply::status(status).message(format!("Incorrect API key provided: {key}"))
}

#[tokio::test]
async fn no_secret_in_logs_answers_metrics_debug_or_errors() {
    let captured = logs();
    let openai = MockProvider::start().await;
    let anthropic = MockProvider::start().await;
    let azure = MockProvider::start().await;
    let gemini = MockProvider::start().await;
    let virtual_target = MockProvider::start().await;
    openai.set_default(echoing(503, OPENAI_KEY));
    anthropic.set_default(echoing(529, ANTHROPIC_KEY));
    azure.set_default(echoing(500, AZURE_KEY));
    gemini.set_default(echoing(503, GEMINI_KEY));
    virtual_target.set_default(echoing(401, VIRTUAL_PROVIDER_KEY));

    let chain = ReliableGateway::new(OpenAiGateway::new(OPENAI_KEY).base_url(openai.base_url()))
        .fallback([
            Target::gateway(
                AnthropicGateway::new(ANTHROPIC_KEY).base_url(anthropic.anthropic_base_url()),
            )
            .with_model("claude-sonnet-4-5"),
            Target::gateway(
                AzureOpenAiGateway::new("audit", AZURE_KEY).endpoint(azure.azure_endpoint()),
            )
            .with_model("gpt-4o"),
            Target::gateway(GeminiGateway::new(GEMINI_KEY).base_url(gemini.gemini_base_url()))
                .with_model("gemini-2.5-flash"),
        ]);
    let keys = VirtualKeys::new().insert(
        "audit-key",
        VirtualKey::new("openai", VIRTUAL_PROVIDER_KEY).base_url(virtual_target.base_url()),
    );
    let in_process = PortkeyGateway::new()
        .api_key(PORTKEY_KEY)
        .config(portkey_config!({
            "strategy": {"mode": "fallback"},
            "targets": [{"virtual_key": "audit-key"}]
        }))
        .in_process(keys);
    // Peers that are not running: their connection errors are checked too.
    let remote_portkey = PortkeyGateway::new()
        .api_key(PORTKEY_KEY)
        .base_url("http://127.0.0.1:9/v1")
        .provider("openai")
        .provider_api_key(OPENAI_KEY);
    let litellm = LiteLLMGateway::new()
        .api_key(LITELLM_KEY)
        .base_url("http://127.0.0.1:9");

    for (name, debug) in [
        ("ReliableGateway", format!("{chain:?}")),
        ("in-process Portkey", format!("{in_process:?}")),
        ("PortkeyGateway", format!("{remote_portkey:?}")),
        ("LiteLLMGateway", format!("{litellm:?}")),
    ] {
        assert_clean(&format!("{name}'s Debug"), &debug);
    }

    // Errors as code sees them, from each gateway.
    let call = CallContext::detached();
    for (name, gateway) in [
        (
            "in-process Portkey",
            fastagentic::gateway::shared(in_process),
        ),
        (
            "PortkeyGateway",
            fastagentic::gateway::shared(remote_portkey),
        ),
        ("LiteLLMGateway", fastagentic::gateway::shared(litellm)),
    ] {
        let error = gateway
            .chat(&call, ChatRequest::new("gpt-4o").user("hi"))
            .await
            .expect_err("every upstream fails");
        assert_clean(&format!("{name}'s error"), &format!("{error} {error:?}"));
    }

    // Through the app: the OpenAI-compatible route, its error answers, /metrics.
    let app = App::new("Audit")
        .without_inventory()
        .llm_gateway(chain)
        .openai_compatible("/v1")
        .spawn("127.0.0.1:0")
        .await
        .expect("the app starts");
    let http = reqwest::Client::new();
    for stream in [false, true] {
        let answer = http
            .post(format!("{}/v1/chat/completions", app.url()))
            .header("x-fastagentic-metadata", r#"{"tenant": "audit"}"#)
            .json(&json!({
                "model": "gpt-4o",
                "stream": stream,
                "messages": [{"role": "user", "content": "hi"}]
            }))
            .send()
            .await
            .expect("the app answers");
        let status = answer.status();
        let body = answer.text().await.expect("a body");
        assert!(
            !status.is_success() || stream,
            "every target fails: {status} {body}"
        );
        assert_clean(&format!("the answer (stream: {stream})"), &body);
    }
    let metrics = http
        .get(format!("{}/metrics", app.url()))
        .send()
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("a body");
    assert!(metrics.contains("fastagentic_"), "{metrics}");
    assert_clean("/metrics", &metrics);
    app.shutdown().await.expect("the app stops");

    // The providers did get the keys: the audit is not vacuous.
    assert!(openai.request_count() > 0 && anthropic.request_count() > 0);
    assert!(azure.request_count() > 0 && gemini.request_count() > 0);
    assert!(virtual_target.request_count() > 0);

    let logs = captured.text();
    assert!(
        logs.contains("Incorrect API key provided"),
        "the echoed errors were logged (else this checks nothing):\n{logs}"
    );
    assert_clean("the logs", &logs);
}
