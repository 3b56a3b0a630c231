//! `TracingHook`: every lifecycle event as a `tracing` event.

use super::{Hook, HookContext, HookEvent, HookResult};
use crate::gateway::BoxFuture;

/// Logs every lifecycle event through `tracing` (target `fastagentic::hooks`),
/// with the run id, endpoint, model, tokens and cost.
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
