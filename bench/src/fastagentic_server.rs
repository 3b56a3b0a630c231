//! The FastAgentic service under test: the same workload as the baseline,
//! as `#[agent_endpoint]` functions, with hooks registered (a `#[hook]`
//! function and the `TracingHook`) and the OpenAI-compatible route on.
//! Its gateway is the built-in one, or a Portkey config run in-process or
//! sent to a Portkey gateway, or the LiteLLM proxy.

use std::sync::atomic::{AtomicU64, Ordering};

use fastagentic::ServerHandle;
use fastagentic::prelude::*;

use crate::workload::{MODEL, SYSTEM_PROMPT, SeedConfig, Ticket, Triage};

/// Classifies a support ticket with one LLM call.
#[agent_endpoint(path = "/triage")]
async fn triage(ctx: AgentContext, input: Ticket) -> Result<Triage, AgentError> {
    let reply = ctx
        .llm()
        .chat(
            ChatRequest::new(MODEL)
                .system(SYSTEM_PROMPT)
                .user(&input.text),
        )
        .await?;
    Ok(Triage {
        label: reply.text().to_owned(),
    })
}

/// Streams the answer to a support ticket.
#[agent_endpoint(path = "/stream", stream = true)]
async fn stream(ctx: AgentContext, input: Ticket) -> Result<ChatStream, AgentError> {
    Ok(ctx
        .llm()
        .chat_stream(
            ChatRequest::new(MODEL)
                .system(SYSTEM_PROMPT)
                .user(&input.text),
        )
        .await?)
}

/// Tokens seen by `on_llm_end` (what a cost-tracking hook does).
static TOKENS: AtomicU64 = AtomicU64::new(0);

/// Counts the tokens of every LLM call.
#[hook("on_llm_end")]
async fn count_tokens(ctx: &HookContext) {
    TOKENS.fetch_add(ctx.usage.total_tokens, Ordering::Relaxed);
}

/// Which gateway the app's LLM calls go through.
#[derive(Clone, Debug)]
pub enum Gateway {
    /// The built-in `OpenAiGateway`, to this OpenAI-compatible API root.
    OpenAi {
        /// e.g. `http://127.0.0.1:PORT/v1`.
        upstream_v1: String,
    },
    /// `PortkeyGateway` to a self-hosted Portkey gateway, which routes to the upstream.
    Portkey {
        /// The Portkey gateway's `/v1` root.
        portkey_v1: String,
        /// The upstream's `/v1` root (`x-portkey-custom-host`).
        upstream_v1: String,
    },
    /// One of the seed's Portkey configs, run in this process
    /// (`PortkeyGateway::new().config(..).in_process(..)`), its targets at the upstream.
    PortkeyInProcess {
        /// Which config.
        config: SeedConfig,
        /// The upstream's `/v1` root (every target's `custom_host`).
        upstream_v1: String,
    },
    /// The same config sent to a Portkey gateway (`x-portkey-config`), which
    /// runs it against the upstream.
    PortkeyConfigRemote {
        /// Which config.
        config: SeedConfig,
        /// The Portkey gateway's `/v1` root.
        portkey_v1: String,
        /// The upstream's `/v1` root (every target's `custom_host`).
        upstream_v1: String,
    },
    /// `LiteLLMGateway` to a LiteLLM proxy whose model list points at the upstream.
    LiteLlm {
        /// The proxy's base URL.
        base_url: String,
        /// The proxy's master key.
        api_key: String,
    },
}

/// What the app runs besides its endpoints. The benchmark measures the
/// default (hooks registered, metrics on); the rest is for profiling.
#[derive(Clone, Copy, Debug)]
pub struct Extras {
    /// `TracingHook` and the `#[hook]` function.
    pub hooks: bool,
    /// `GET /metrics` and the counting behind it.
    pub metrics: bool,
    /// The dashboard and its log of recent calls (off unless asked for).
    pub dashboard: bool,
}

/// Starts the app on a free loopback port.
pub async fn spawn(gateway: Gateway, extras: Extras) -> Result<ServerHandle, String> {
    let app = App::new("FastAgentic benchmark")
        .openai_compatible("/v1")
        .metrics(extras.metrics);
    let app = if extras.dashboard {
        app.dashboard(fastagentic::Dashboard::new())
    } else {
        app
    };
    let app = if extras.hooks {
        app.hook(TracingHook::new())
    } else {
        // Without inventory the `#[hook]` function is not collected either.
        app.without_inventory()
            .endpoint(&TRIAGE_ENDPOINT)
            .endpoint(&STREAM_ENDPOINT)
    };
    let app = match gateway {
        Gateway::OpenAi { upstream_v1 } => {
            app.llm_gateway(OpenAiGateway::new("sk-test").base_url(upstream_v1))
        }
        Gateway::Portkey {
            portkey_v1,
            upstream_v1,
        } => app.llm_gateway(
            fastagentic_portkey::PortkeyGateway::new()
                .base_url(portkey_v1)
                .provider("openai")
                .provider_api_key("sk-test")
                .custom_host(upstream_v1),
        ),
        Gateway::PortkeyInProcess {
            config,
            upstream_v1,
        } => app.llm_gateway(
            fastagentic_portkey::PortkeyGateway::new()
                .config(seed_config(config, &upstream_v1)?)
                .in_process(fastagentic_portkey::VirtualKeys::new()),
        ),
        Gateway::PortkeyConfigRemote {
            config,
            portkey_v1,
            upstream_v1,
        } => app.llm_gateway(
            fastagentic_portkey::PortkeyGateway::new()
                .base_url(portkey_v1)
                .config(seed_config(config, &upstream_v1)?),
        ),
        Gateway::LiteLlm { base_url, api_key } => app.llm_gateway(
            fastagentic_litellm::LiteLLMGateway::new()
                .base_url(base_url)
                .api_key(api_key),
        ),
    };
    app.spawn("127.0.0.1:0").await.map_err(|e| e.to_string())
}

/// A seed config as a checked `PortkeyConfig`.
fn seed_config(
    config: SeedConfig,
    upstream_v1: &str,
) -> Result<fastagentic_portkey::PortkeyConfig, String> {
    fastagentic_portkey::PortkeyConfig::from_value(config.json(upstream_v1))
        .map_err(|e| format!("the seed's `{}` config: {e}", config.name()))
}
