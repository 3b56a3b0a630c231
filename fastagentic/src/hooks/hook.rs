//! The `Hook` trait for hook objects.

use super::{HookContext, HookEvent, HookResult};
use crate::gateway::BoxFuture;

/// A hook object: a tracer, a cost tracker, an exporter. Pass it to
/// [`App::hooks`](crate::App::hooks) or [`App::hook`](crate::App::hook).
///
/// ```
/// use fastagentic::{BoxFuture, Hook, HookContext, HookEvent, HookResult};
///
/// struct CountTokens;
/// impl Hook for CountTokens {
///     fn events(&self) -> &[HookEvent] { &[HookEvent::OnLlmEnd] }
///     fn handle<'a>(&'a self, _event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
///         Box::pin(async move {
///             println!("{} tokens", ctx.usage.total_tokens);
///             HookResult::Proceed
///         })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a hook",
    label = "this must implement `fastagentic::Hook`",
    note = "implement `Hook` (events + handle), or write an `async fn` with `#[hook(\"on_llm_end\")]`"
)]
pub trait Hook: Send + Sync + 'static {
    /// A name for logs.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// The events this hook handles; it is not called for others, and an
    /// event no hook handles costs nothing.
    fn events(&self) -> &[HookEvent] {
        HookEvent::ALL
    }

    /// Handles one event.
    fn handle<'a>(&'a self, event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult>;
}

impl<H: Hook + ?Sized> Hook for Box<H> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn events(&self) -> &[HookEvent] {
        (**self).events()
    }
    fn handle<'a>(&'a self, event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        (**self).handle(event, ctx)
    }
}

impl<H: Hook + ?Sized> Hook for std::sync::Arc<H> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn events(&self) -> &[HookEvent] {
        (**self).events()
    }
    fn handle<'a>(&'a self, event: HookEvent, ctx: &'a HookContext) -> BoxFuture<'a, HookResult> {
        (**self).handle(event, ctx)
    }
}
