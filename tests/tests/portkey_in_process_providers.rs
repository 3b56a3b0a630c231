//! In-process Portkey targets for the providers that do not speak OpenAI's
//! API: `anthropic`, `azure-openai` (with Portkey's Azure fields) and
//! `google`, called through the adapters of `fastagentic-providers`, inline
//! (`provider` + `custom_host`) and behind virtual keys, against the mock
//! providers speaking each wire format. The seed's chain, "when OpenAI fails,
//! try Anthropic, then Azure", runs with no Portkey gateway.

use std::sync::Mutex;
use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic::{CallContext, ChatRequest, ChatResponse, GatewayError, LlmGateway};
use fastagentic_portkey::{
    ADAPTED_PROVIDERS, InProcessPortkey, PortkeyConfig, PortkeyGateway, VirtualKey, VirtualKeys,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// A fresh HTTP client per test (the shared pool may hold another
/// runtime's connections).
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

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

/// The seed's chain with inline credentials; each `custom_host` is the
/// provider's base URL as Portkey writes it (Anthropic's ends in `/v1`,
/// Azure's in `/openai`).
fn seed_chain(m: &Mocks) -> Value {
    json!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 529]},
        "targets": [
            {"provider": "openai", "api_key": "sk-openai", "custom_host": m.openai.base_url()},
            {"provider": "anthropic", "api_key": "sk-ant", "custom_host": format!("{}/v1", m.anthropic.url()),
             "override_params": {"model": "claude-sonnet-4-5"}},
            {"provider": "azure-openai", "api_key": "azure-key", "resource_name": "my-resource",
             "deployment_id": "gpt-4o-prod", "api_version": "2024-10-21",
             "custom_host": format!("{}/openai", m.azure.url())}
        ]
    })
}

fn engine(config: Value, keys: VirtualKeys) -> InProcessPortkey {
    PortkeyGateway::new()
        .config(PortkeyConfig::from_value(config).expect("valid config"))
        .http_client(http())
        .in_process(keys)
}

async fn chat(gateway: &InProcessPortkey) -> Result<ChatResponse, GatewayError> {
    gateway.check()?;
    gateway
        .chat(
            &CallContext::detached(),
            ChatRequest::new("gpt-4o").user("hi"),
        )
        .await
}

fn portkey(response: &ChatResponse) -> &Value {
    &response.gateway_metadata["portkey"]
}

#[test]
fn the_adapted_slugs_are_portkeys() {
    let slugs: Vec<&str> = ADAPTED_PROVIDERS.iter().map(|(slug, _)| *slug).collect();
    assert_eq!(slugs, ["anthropic", "azure-openai", "google"]);
}

#[tokio::test]
async fn openai_fails_then_anthropic_answers_in_its_own_wire_format() {
    let m = mocks().await;
    m.openai.set_default(MockReply::status(503));
    m.anthropic.set_default(MockReply::text("from Claude"));
    let gateway = engine(seed_chain(&m), VirtualKeys::new());
    let response = chat(&gateway).await.expect("Anthropic answers");
    assert_eq!(response.text(), "from Claude");
    let facts = portkey(&response);
    assert_eq!(facts["provider"], "anthropic", "{facts}");
    assert_eq!(facts["last_used_option_index"], "config.targets[1]");
    let sent = &m.anthropic.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant"));
    assert!(sent.header("anthropic-version").is_some());
    assert_eq!(sent.model(), Some("claude-sonnet-4-5"));
    assert_eq!(m.openai.request_count(), 1);
    assert_eq!(m.azure.request_count(), 0);
}

#[tokio::test]
async fn openai_and_anthropic_fail_then_azure_answers_at_its_deployment_url() {
    let m = mocks().await;
    m.openai.set_default(MockReply::status(503));
    m.anthropic
        .set_default(MockReply::status(529).message("Overloaded"));
    m.azure.set_default(MockReply::text("from Azure"));
    let gateway = engine(seed_chain(&m), VirtualKeys::new());
    let response = chat(&gateway).await.expect("Azure answers");
    assert_eq!(response.text(), "from Azure");
    assert_eq!(portkey(&response)["provider"], "azure-openai");
    assert_eq!(
        portkey(&response)["last_used_option_index"],
        "config.targets[2]"
    );
    // The adapter's own facts ride along: Azure's content-filter results.
    assert!(
        response.gateway_metadata["azure-openai"]["content_filter_results"].is_array(),
        "{:?}",
        response.gateway_metadata
    );
    let sent = &m.azure.requests()[0];
    assert_eq!(
        sent.path,
        "/openai/deployments/gpt-4o-prod/chat/completions"
    );
    assert_eq!(sent.query.as_deref(), Some("api-version=2024-10-21"));
    assert_eq!(sent.header("api-key"), Some("azure-key"));
    assert_eq!(sent.header("authorization"), None);
}

#[tokio::test]
async fn the_seed_chain_runs_behind_virtual_keys_with_an_entra_id_token() {
    let m = mocks().await;
    m.openai.set_default(MockReply::status(503));
    m.anthropic.set_default(MockReply::status(529));
    m.azure.set_default(MockReply::text("from Azure"));
    let keys = VirtualKeys::new()
        .insert(
            "openai-key",
            VirtualKey::new("openai", "sk-openai").base_url(m.openai.base_url()),
        )
        .insert(
            "anthropic-key",
            VirtualKey::new("anthropic", "sk-ant").base_url(format!("{}/v1", m.anthropic.url())),
        )
        .insert(
            "azure-key",
            VirtualKey::new("azure-openai", "")
                .azure_ad_token("eyJ-entra")
                .resource_name("my-resource")
                .deployment_id("gpt-4o-eu")
                .api_version("2025-01-01-preview")
                .base_url(format!("{}/openai", m.azure.url())),
        );
    let gateway = engine(
        json!({
            "strategy": {"mode": "fallback"},
            "targets": [
                {"virtual_key": "openai-key"},
                {"virtual_key": "anthropic-key", "override_params": {"model": "claude-sonnet-4-5"}},
                {"virtual_key": "azure-key"}
            ]
        }),
        keys,
    );
    let response = chat(&gateway).await.expect("Azure answers");
    assert_eq!(response.text(), "from Azure");
    assert_eq!(portkey(&response)["provider"], "azure-openai");
    assert_eq!(
        m.anthropic.requests()[0].header("x-api-key"),
        Some("sk-ant")
    );
    let sent = &m.azure.requests()[0];
    assert_eq!(sent.path, "/openai/deployments/gpt-4o-eu/chat/completions");
    assert_eq!(
        sent.query.as_deref(),
        Some("api-version=2025-01-01-preview")
    );
    assert_eq!(sent.header("authorization"), Some("Bearer eyJ-entra"));
    assert_eq!(sent.header("api-key"), None);
    assert!(!format!("{gateway:?}").contains("eyJ-entra"));
}

#[tokio::test]
async fn azure_keys_come_from_json_with_portkeys_field_names() {
    let azure = MockProvider::start().await;
    azure.set_default(MockReply::text("ok"));
    let keys = VirtualKeys::from_json(
        &json!({"az": {"provider": "azure-openai", "api_key": "azure-json", "resource_name": "r",
                       "deployment_id": "dep", "api_version": "2024-06-01",
                       "base_url": format!("{}/openai", azure.url())}})
        .to_string(),
    )
    .expect("valid keys");
    let gateway = engine(json!({"virtual_key": "az"}), keys);
    chat(&gateway).await.expect("answer");
    let sent = &azure.requests()[0];
    assert_eq!(sent.path, "/openai/deployments/dep/chat/completions");
    assert_eq!(sent.query.as_deref(), Some("api-version=2024-06-01"));
    assert_eq!(sent.header("api-key"), Some("azure-json"));
}

#[tokio::test]
async fn a_google_target_calls_gemini() {
    let google = MockProvider::start().await;
    google.set_default(MockReply::text("from Gemini").usage(1000, 1000));
    let gateway = engine(
        json!({"provider": "google", "api_key": "AIza-test", "custom_host": google.url(),
               "override_params": {"model": "gemini-2.5-flash"}}),
        VirtualKeys::new(),
    );
    let response = chat(&gateway).await.expect("Gemini answers");
    assert_eq!(response.text(), "from Gemini");
    assert_eq!(portkey(&response)["provider"], "google");
    assert_eq!(portkey(&response)["last_used_option_index"], "config");
    let sent = &google.requests()[0];
    assert_eq!(sent.path, "/v1beta/openai/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer AIza-test"));
    assert_eq!(sent.model(), Some("gemini-2.5-flash"));
}

#[tokio::test]
async fn unsupported_slugs_and_misshapen_hosts_fail_at_start_up_naming_the_node() {
    let m = mocks().await;
    let gateway = engine(
        json!({
            "strategy": {"mode": "fallback"},
            "targets": [
                {"provider": "openai", "api_key": "k", "custom_host": m.openai.base_url()},
                {"provider": "cohere", "api_key": "k"}
            ]
        }),
        VirtualKeys::new(),
    );
    let error = gateway.check().expect_err("no cohere adapter").to_string();
    assert!(
        error.contains("config.targets[1].provider: provider `cohere` cannot run in-process"),
        "{error}"
    );
    assert!(error.contains("anthropic, azure-openai, google"), "{error}");

    // Portkey's Anthropic base URL ends in /v1: a bare host would post elsewhere.
    let gateway = engine(
        json!({"provider": "anthropic", "api_key": "k", "custom_host": m.anthropic.url()}),
        VirtualKeys::new(),
    );
    let error = gateway.check().expect_err("no /v1").to_string();
    assert!(
        error.contains("config: ") && error.contains("ends in `/v1`"),
        "{error}"
    );

    // An Azure key with neither a resource nor a base URL.
    let keys = VirtualKeys::new().insert("az", VirtualKey::new("azure-openai", "k"));
    let gateway = engine(json!({"virtual_key": "az"}), keys);
    let error = gateway.check().expect_err("no resource").to_string();
    assert!(error.contains("needs `resource_name`"), "{error}");
    assert_eq!(m.anthropic.request_count(), 0);
}

// ---------------------------------------------------------------------------
// Through an app: what `on_llm_end` sees.

/// What `on_llm_end` saw, per run.
static LLM_ENDS: Mutex<Vec<(Uuid, Value, Option<f64>)>> = Mutex::new(Vec::new());

#[hook("on_llm_end")]
async fn record_portkey_metadata(ctx: &HookContext) {
    let portkey = ctx.metadata.get("portkey").cloned().unwrap_or(Value::Null);
    LLM_ENDS
        .lock()
        .expect("records")
        .push((ctx.run_id, portkey, ctx.usage.cost));
}

/// A question.
#[derive(Deserialize, JsonSchema)]
struct Ask {
    question: String,
}

/// The answer and the run that produced it.
#[derive(Serialize, JsonSchema)]
struct Answer {
    answer: String,
    run_id: String,
}

/// Asks gpt-4o through the app's gateway.
#[agent_endpoint(path = "/ask")]
async fn ask(ctx: AgentContext, input: Ask) -> Result<Answer, AgentError> {
    let reply = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o").user(input.question))
        .await?;
    Ok(Answer {
        answer: reply.text().to_owned(),
        run_id: ctx.run_id().to_string(),
    })
}

#[tokio::test]
async fn hooks_see_the_answering_provider_and_its_cost() {
    let m = mocks().await;
    m.openai.set_default(MockReply::status(503));
    m.anthropic
        .set_default(MockReply::text("four").usage(1000, 500));
    let gateway = engine(seed_chain(&m), VirtualKeys::new());
    let app = App::new("portkey in-process providers")
        .llm_gateway(gateway)
        .spawn("127.0.0.1:0")
        .await
        .expect("app");
    let answer: Value = http()
        .post(format!("{}/ask", app.url()))
        .json(&json!({"question": "2 + 2?"}))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["answer"], "four", "{answer}");
    let run: Uuid = answer["run_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("run id");
    let (metadata, cost) = LLM_ENDS
        .lock()
        .expect("records")
        .iter()
        .find(|(id, _, _)| *id == run)
        .map(|(_, metadata, cost)| (metadata.clone(), *cost))
        .expect("on_llm_end ran for this run");
    assert_eq!(metadata["provider"], "anthropic", "{metadata}");
    assert_eq!(metadata["last_used_option_index"], "config.targets[1]");
    // claude-sonnet-4-5: $3 / $15 per million tokens.
    let expected = (1000.0 * 3.0 + 500.0 * 15.0) / 1_000_000.0;
    let reported = metadata["cost"]
        .as_f64()
        .expect("cost in metadata[\"portkey\"]");
    assert!((reported - expected).abs() < 1e-12, "{metadata}");
    assert_eq!(cost, Some(reported));
    app.shutdown().await.expect("shutdown");
}
