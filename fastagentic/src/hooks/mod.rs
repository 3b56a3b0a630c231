//! Lifecycle hooks: code that runs at fixed points of every request and LLM
//! call (logging, cost tracking, auth, guardrails).
//!
//! A hook is either an `async fn` marked `#[hook("on_llm_end")]`, or an
//! object implementing [`Hook`] passed to [`App::hooks`](crate::App::hooks).
//!
//! **Order.** For each event, the `App::hooks` objects run first, in the
//! order given, then the `#[hook]` functions, sorted by module path and name.
//! A hook that returns [`HookResult::Skip`] ends that event's chain; one that
//! returns [`HookResult::Reject`] fails the request with its status and
//! message. A hook that panics is logged and passed over: it never takes the
//! server down.

mod context;
mod event;
mod hook;
mod lazy_json;
mod registration;
mod result;
mod runner;
mod tracing_hook;

pub use context::{ErrorInfo, HookContext};
pub use event::HookEvent;
pub use hook::Hook;
pub use registration::{HookEntry, HookFn, HookRegistration};
pub use result::{HookResult, IntoHookResult};
pub(crate) use runner::HookSet;
pub use tracing_hook::TracingHook;
