//! Running the hooks of one event, in order, without ever failing the server.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;

use super::{Hook, HookContext, HookEvent, HookRegistration, HookResult};

/// A registered hook: an object or a `#[hook]` function.
#[derive(Clone)]
enum Entry {
    Object(Arc<dyn Hook>),
    Function(&'static HookRegistration),
}

impl Entry {
    fn name(&self) -> String {
        match self {
            Entry::Object(hook) => hook.name().to_owned(),
            Entry::Function(reg) => format!("{}::{}", reg.module, reg.name),
        }
    }
}

/// A hook rejected the request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rejection {
    pub status: u16,
    pub message: String,
    pub hook: String,
}

/// The hooks of an app, one ordered list per event, computed once at start-up.
#[derive(Clone, Default)]
pub(crate) struct HookSet {
    per_event: [Vec<Entry>; HookEvent::ALL.len()],
}

impl HookSet {
    /// Objects first, in the given order, then functions sorted by module path and name.
    pub(crate) fn new(objects: &[Arc<dyn Hook>], functions: &[&'static HookRegistration]) -> Self {
        let mut set = Self::default();
        for hook in objects {
            for event in hook.events() {
                set.per_event[event.index()].push(Entry::Object(hook.clone()));
            }
        }
        let mut functions = functions.to_vec();
        functions.sort_by_key(|r| (r.module, r.name, r.line));
        for reg in functions {
            set.per_event[reg.event.index()].push(Entry::Function(reg));
        }
        set
    }

    /// Whether any hook handles `event` (when none does, callers skip building a context).
    pub(crate) fn has(&self, event: HookEvent) -> bool {
        !self.per_event[event.index()].is_empty()
    }

    /// Runs `event`'s hooks in order on `ctx`, applying their decisions:
    /// `Modify` replaces the request (`on_request`, `on_llm_start`) or
    /// the response (`on_response`), `SetUser` sets `ctx.user_id`,
    /// `SetRequestMetadata` adds to `ctx.request_metadata`, `Skip`
    /// ends the chain, `Reject` ends it with an error. Panics and errors of a
    /// hook are logged and passed over.
    pub(crate) async fn run(
        &self,
        event: HookEvent,
        ctx: &mut HookContext,
    ) -> Result<(), Rejection> {
        ctx.event = event;
        for entry in &self.per_event[event.index()] {
            let outcome = match entry {
                Entry::Object(hook) => AssertUnwindSafe(hook.handle(event, ctx))
                    .catch_unwind()
                    .await
                    .map(Ok),
                Entry::Function(reg) => AssertUnwindSafe((reg.func)(ctx)).catch_unwind().await,
            };
            let decision = match outcome {
                Ok(Ok(decision)) => decision,
                Ok(Err(message)) => {
                    tracing::error!(hook = %entry.name(), %event, run_id = %ctx.run_id, "hook failed: {message}");
                    continue;
                }
                Err(_) => {
                    tracing::error!(hook = %entry.name(), %event, run_id = %ctx.run_id, "hook panicked; passed over");
                    continue;
                }
            };
            match decision {
                HookResult::Proceed => {}
                HookResult::Skip => break,
                HookResult::SetUser(user) => ctx.user_id = Some(user),
                HookResult::SetRequestMetadata(entries) => {
                    std::sync::Arc::make_mut(&mut ctx.request_metadata).extend(entries);
                }
                HookResult::Modify(value) => match event {
                    HookEvent::OnRequest | HookEvent::OnLlmStart | HookEvent::OnResponse => {
                        ctx.modify(value)
                    }
                    _ => {
                        tracing::warn!(hook = %entry.name(), %event, "HookResult::Modify has no effect on this event")
                    }
                },
                HookResult::Reject { status, message } => {
                    return Err(Rejection {
                        status: status.clamp(400, 499),
                        message,
                        hook: entry.name(),
                    });
                }
            }
        }
        Ok(())
    }
}
