//! The record `#[hook]` registers.

use super::{HookContext, HookEvent, HookResult};
use crate::gateway::BoxFuture;

/// A hook function, as `#[hook]` generates it: it calls the user's `async fn`
/// and turns its return value into a decision (`Err` = the hook failed).
pub type HookFn = for<'a> fn(&'a HookContext) -> BoxFuture<'a, Result<HookResult, String>>;

/// A hook function registered by `#[hook("event")]` (through `inventory`),
/// or passed to [`App::hook_fn`](crate::App::hook_fn) where `inventory` does
/// not work: `#[hook]` on `fn log_tokens` also defines `LOG_TOKENS_HOOK`.
#[derive(Debug)]
pub struct HookRegistration {
    /// When it runs.
    pub event: HookEvent,
    /// The function's name.
    pub name: &'static str,
    /// The module that defines it (`module_path!()`).
    pub module: &'static str,
    /// The generated wrapper.
    pub func: HookFn,
    /// Where it is defined.
    pub file: &'static str,
    /// The line of the definition.
    pub line: u32,
}

/// The `inventory` entry: a reference to a hook's record.
#[derive(Debug)]
pub struct HookEntry(pub &'static HookRegistration);

inventory::collect!(HookEntry);
