//! [`LangfuseHook`]: traces and generations to Langfuse.

mod batcher;
mod events;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use batcher::Batcher;

use crate::gateway::BoxFuture;
use crate::hooks::{Hook, HookContext, HookEvent, HookResult};
use crate::secret::Secret;

/// Langfuse Cloud (EU), used when no host is given.
pub const DEFAULT_HOST: &str = "https://cloud.langfuse.com";

/// Sends each request as a Langfuse trace and each LLM call as a
/// generation in it, through Langfuse's public ingestion API
/// (`POST {host}/api/public/ingestion`, basic auth with the project's
/// public and secret keys).
///
/// | hook event | Langfuse event |
/// |---|---|
/// | `on_request` | `trace-create`: id = the run id, name = the endpoint, user, input |
/// | `on_llm_end` | `generation-create`: model, messages, answer, start and end time, `usageDetails` (input, output, total), `costDetails.total`, gateway metadata |
/// | `on_response` | `trace-create` again (same id, Langfuse merges): the output |
/// | `on_retry` | `event-create`, level `WARNING`: attempt, next delay, error |
/// | `on_error` | `event-create`, level `ERROR`: error type, status, message |
/// | `on_shutdown` | sends what is still queued |
///
/// Nothing is sent on the request path: the hook queues events (bounded;
/// a full queue drops events with a warning) and a background task posts
/// them in batches, when [`batch_size`](Self::batch_size) are waiting or
/// [`flush_interval`](Self::flush_interval) after the first one.
///
/// ```no_run
/// use fastagentic::observability::LangfuseHook;
/// use fastagentic::prelude::*;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and (optionally) LANGFUSE_HOST
/// let app = App::new("My Agent").hooks([LangfuseHook::from_env()?]);
/// # let _ = app; Ok(()) }
/// ```
#[derive(Clone)]
pub struct LangfuseHook {
    config: Arc<Config>,
    batcher: Arc<OnceLock<Batcher>>,
}

/// The hook's settings, fixed once it sends.
#[derive(Clone)]
pub(crate) struct Config {
    pub host: String,
    pub public_key: String,
    pub secret_key: Secret,
    pub environment: Option<String>,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub max_queue: usize,
}

impl std::fmt::Debug for LangfuseHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LangfuseHook")
            .field("host", &self.config.host)
            .field("public_key", &self.config.public_key)
            .field("secret_key", &self.config.secret_key)
            .field("batch_size", &self.config.batch_size)
            .field("flush_interval", &self.config.flush_interval)
            .finish_non_exhaustive()
    }
}

/// `LangfuseHook::from_env` found no keys.
#[derive(Debug, thiserror::Error)]
#[error(
    "Langfuse is not configured: set {0} (the project's API keys are under Settings → API Keys in Langfuse)"
)]
pub struct LangfuseConfigError(&'static str);

impl LangfuseHook {
    /// A hook for the project with these keys, on Langfuse Cloud (EU)
    /// unless [`host`](Self::host) says otherwise.
    pub fn new(public_key: impl Into<String>, secret_key: impl Into<Secret>) -> Self {
        Self {
            config: Arc::new(Config {
                host: DEFAULT_HOST.to_owned(),
                public_key: public_key.into(),
                secret_key: secret_key.into(),
                environment: None,
                batch_size: 100,
                flush_interval: Duration::from_secs(1),
                max_queue: 10_000,
            }),
            batcher: Arc::default(),
        }
    }

    /// From `LANGFUSE_PUBLIC_KEY` and `LANGFUSE_SECRET_KEY` (required),
    /// `LANGFUSE_HOST` (default [`DEFAULT_HOST`]) and
    /// `LANGFUSE_TRACING_ENVIRONMENT` (optional).
    pub fn from_env() -> Result<Self, LangfuseConfigError> {
        let public_key = Secret::from_env("LANGFUSE_PUBLIC_KEY")
            .ok_or(LangfuseConfigError("LANGFUSE_PUBLIC_KEY"))?;
        let secret_key = Secret::from_env("LANGFUSE_SECRET_KEY")
            .ok_or(LangfuseConfigError("LANGFUSE_SECRET_KEY"))?;
        let mut hook = Self::new(public_key.expose(), secret_key);
        if let Ok(host) = std::env::var("LANGFUSE_HOST")
            && !host.trim().is_empty()
        {
            hook = hook.host(host.trim());
        }
        if let Ok(environment) = std::env::var("LANGFUSE_TRACING_ENVIRONMENT")
            && !environment.trim().is_empty()
        {
            hook = hook.environment(environment.trim());
        }
        Ok(hook)
    }

    fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// The Langfuse server, e.g. `https://us.cloud.langfuse.com` or a
    /// self-hosted `http://langfuse:3000`.
    pub fn host(mut self, url: impl Into<String>) -> Self {
        self.config_mut().host = url.into();
        self
    }

    /// The environment traces are filed under (`production`, `staging`).
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.config_mut().environment = Some(environment.into());
        self
    }

    /// Posts as soon as this many events wait (default 100).
    pub fn batch_size(mut self, events: usize) -> Self {
        self.config_mut().batch_size = events.max(1);
        self
    }

    /// Posts what waits this long after the first event of a batch (default 1 s).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.config_mut().flush_interval = interval;
        self
    }

    /// How many events may wait before new ones are dropped (default 10 000).
    pub fn max_queue(mut self, events: usize) -> Self {
        self.config_mut().max_queue = events.max(1);
        self
    }

    /// Sends every event queued so far and waits until Langfuse answered
    /// (runs on `on_shutdown` too).
    pub async fn flush(&self) {
        if let Some(batcher) = self.batcher.get() {
            batcher.flush().await;
        }
    }

    fn send(&self, event: events::Envelope) {
        self.batcher
            .get_or_init(|| Batcher::start(self.config.clone()))
            .push(event);
    }
}

impl Hook for LangfuseHook {
    fn name(&self) -> &str {
        "langfuse"
    }

    fn events(&self) -> &[HookEvent] {
        &[
            HookEvent::OnRequest,
            HookEvent::OnResponse,
            HookEvent::OnLlmEnd,
            HookEvent::OnRetry,
            HookEvent::OnError,
            HookEvent::OnShutdown,
        ]
    }

    fn handle<'a>(&'a self, event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        let environment = self.config.environment.as_deref();
        let envelope = match event {
            HookEvent::OnRequest => Some(events::trace_started(ctx, environment)),
            HookEvent::OnResponse => Some(events::trace_answered(ctx, environment)),
            HookEvent::OnLlmEnd => Some(events::generation(ctx, environment)),
            HookEvent::OnRetry => Some(events::retry(ctx, environment)),
            HookEvent::OnError => Some(events::error(ctx, environment)),
            _ => None,
        };
        match envelope {
            Some(envelope) => {
                self.send(envelope);
                Box::pin(std::future::ready(HookResult::Proceed))
            }
            None => Box::pin(async move {
                if event == HookEvent::OnShutdown {
                    self.flush().await;
                }
                HookResult::Proceed
            }),
        }
    }
}
