//! One app replica for the scale-out tests, configured from the environment:
//!
//! - `PORT`: where it listens (on 127.0.0.1);
//! - `UPSTREAM_URL`: the OpenAI-compatible provider it calls (the tests' mock);
//! - `REDIS_URL`: the shared store (unset: each replica on its own);
//! - `RPM`, `TPM`: the app's rate limit, requests and tokens per minute;
//! - `LIMIT_BY`: `user` (one budget per user: an `on_request` hook runs the
//!   request as the body's `user`, OpenAI's field for the end user) or the
//!   name of a request-metadata entry (one budget per value, e.g. `api_key`
//!   sent in `x-fastagentic-metadata`); unset, one budget for all;
//! - `BREAKER_FAILURES`: a circuit breaker over the provider opening after
//!   that many failures in a minute (30 s cool-down);
//! - `STORE_TIMEOUT_MS`: the store's per-call timeout (default 100 ms);
//! - `SEMANTIC`: set, a semantic cache (all-MiniLM-L6-v2 from
//!   `FASTAGENTIC_EMBEDDING_MODEL_DIR`) instead of the exact cache.
//!
//! It serves the OpenAI-compatible route `/v1` through a cache that takes
//! the app's shared store (`App::shared_store`), as every piece does.

use std::time::Duration;

use fastagentic::OpenAiGateway;
use fastagentic::cache::ExactCache;
use fastagentic::cache::semantic::{MiniLmEmbedder, SemanticCache};
use fastagentic::reliability::{BreakerPolicy, CircuitBreaker, RateLimit};
use fastagentic::store::{RedisOptions, RedisStore, SharedStore};
use fastagentic::{App, BoxFuture, Hook, HookContext, HookEvent, HookResult};

fn number(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

/// Runs each request as the user its body names (`"user"`).
struct UserFromBody;

impl Hook for UserFromBody {
    fn events(&self) -> &[HookEvent] {
        &[HookEvent::OnRequest]
    }
    fn handle<'a>(&'a self, _event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        Box::pin(async move {
            match ctx.request().and_then(|body| body["user"].as_str()) {
                Some(user) => HookResult::SetUser(user.to_owned()),
                None => HookResult::Proceed,
            }
        })
    }
}

#[tokio::main]
async fn main() {
    if let Err(message) = run().await {
        eprintln!("scale_out_replica: {message}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let port = number("PORT").ok_or("set PORT")?;
    let upstream = std::env::var("UPSTREAM_URL").map_err(|_| "set UPSTREAM_URL")?;
    let store = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let options = RedisOptions::new().timeout(Duration::from_millis(
                number("STORE_TIMEOUT_MS").unwrap_or(100),
            ));
            SharedStore::from(
                RedisStore::connect_with(&url, options)
                    .await
                    .map_err(|e| e.to_string())?,
            )
        }
        _ => SharedStore::Local,
    };
    let provider = OpenAiGateway::new("sk-scale-out-test").base_url(&upstream);
    let threshold = number("BREAKER_FAILURES").unwrap_or(1_000) as u32;
    let guarded = CircuitBreaker::new(
        provider,
        BreakerPolicy::new(threshold, Duration::from_secs(60)).cooldown(Duration::from_secs(30)),
    )
    .target("mock-provider");
    let mut app = App::new("scale-out replica").without_inventory();
    app = if std::env::var_os("SEMANTIC").is_some() {
        let embedder = MiniLmEmbedder::from_env().map_err(|e| e.to_string())?;
        app.llm_gateway(SemanticCache::new(guarded, embedder))
    } else {
        app.llm_gateway(ExactCache::new(guarded))
    };
    app = app.openai_compatible("/v1").shared_store(store);
    let mut limit = RateLimit::new();
    let mut limited = false;
    if let Some(rpm) = number("RPM") {
        limit = limit.requests_per_minute(rpm as u32);
        limited = true;
    }
    if let Some(tpm) = number("TPM") {
        limit = limit.tokens_per_minute(tpm);
        limited = true;
    }
    match std::env::var("LIMIT_BY").ok().as_deref() {
        None | Some("") => {}
        Some("user") => {
            limit = limit.per_user();
            app = app.hook(UserFromBody);
        }
        Some(entry) => limit = limit.per_metadata(entry),
    }
    if limited {
        app = app.rate_limit(limit);
    }
    app.serve(&format!("127.0.0.1:{port}"))
        .await
        .map_err(|e| e.to_string())
}
