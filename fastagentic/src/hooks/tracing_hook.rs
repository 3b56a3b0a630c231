//! `TracingHook`: every lifecycle event as a `tracing` event.

use super::{Hook, HookContext, HookEvent, HookResult};
use crate::gateway::BoxFuture;

/// Logs every lifecycle event through `tracing` (target `fastagentic::hooks`),
/// with the run id, endpoint, model, tokens and cost: `on_llm_end` at info,
/// `on_error` at warn, the others at debug. Install the `tracing` subscriber
/// before the app starts: the hook handles only the events whose level is
/// enabled then.
#[derive(Clone, Debug, Default)]
pub struct TracingHook {
    _private: (),
}

impl TracingHook {
    /// A tracing hook.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Hook for TracingHook {
    fn name(&self) -> &str {
        "tracing"
    }

    /// Only the events whose log level is enabled for `fastagentic::hooks`
    /// when the app starts: a hook on an event makes every request build
    /// that event's context (the request and response as JSON), which is
    /// wasted for log lines the subscriber drops (callgrind: a quarter of
    /// a request's instructions with the default `info` or `warn` filter).
    fn events(&self) -> &[HookEvent] {
        use tracing::Level;
        const TARGET: &str = "fastagentic::hooks";
        if tracing::enabled!(target: TARGET, Level::DEBUG) {
            HookEvent::ALL
        } else if tracing::enabled!(target: TARGET, Level::INFO) {
            &[HookEvent::OnLlmEnd, HookEvent::OnError]
        } else if tracing::enabled!(target: TARGET, Level::WARN) {
            &[HookEvent::OnError]
        } else {
            &[]
        }
    }

    fn handle<'a>(&'a self, event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        Box::pin(async move {
            match event {
                HookEvent::OnLlmEnd => tracing::info!(
                    target: "fastagentic::hooks",
                    run_id = %ctx.run_id,
                    endpoint = %ctx.endpoint,
                    gen_ai.response.model = ctx.model.as_deref().unwrap_or(""),
                    gen_ai.usage.input_tokens = ctx.usage.input_tokens,
                    gen_ai.usage.output_tokens = ctx.usage.output_tokens,
                    cost_usd = ctx.usage.cost.unwrap_or(0.0),
                    "on_llm_end"
                ),
                HookEvent::OnError => tracing::warn!(
                    target: "fastagentic::hooks",
                    run_id = %ctx.run_id,
                    endpoint = %ctx.endpoint,
                    error = ctx.error.as_ref().map_or("", |e| e.message.as_str()),
                    "on_error"
                ),
                _ => tracing::debug!(
                    target: "fastagentic::hooks",
                    run_id = %ctx.run_id,
                    endpoint = %ctx.endpoint,
                    model = ctx.model.as_deref().unwrap_or(""),
                    "{event}"
                ),
            }
            HookResult::Proceed
        })
    }
}
