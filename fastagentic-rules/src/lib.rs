//! Rules that FastAgentic checks both at compile time (in `fastagentic-macros`,
//! `fastagentic-portkey-macros`, `fastagentic-litellm-macros`) and at run time
//! (in `fastagentic`, `fastagentic-portkey`, `fastagentic-litellm`).
//!
//! One fact, one home: every rule lives here once, so the compiler and the
//! server always give the same verdict on the same input.
//!
//! Every check is a pure function. Errors are plain data with messages that
//! name the fix; where the input is structured (a Portkey config), an error
//! also says *where*: a JSON path and whether the key or the value is at fault,
//! so a proc macro can put it on the offending token.
//!
//! | module | what it checks |
//! |---|---|
//! | [`suggest`] | "did you mean ...?" for every closed set of names |
//! | [`path`] | endpoint path syntax (axum 0.8 router) and reserved paths |
//! | [`duration`] | durations written as text (`"250ms"`, `"30s"`) |
//! | [`hook_event`] | hook event names |
//! | [`reliability`] | retry, backoff, rate-limit, circuit-breaker and timeout bounds |
//! | `litellm` (feature `litellm`) | LiteLLM gateway option bounds |
//! | `portkey` (feature `portkey`) | the Portkey gateway config (schema of gateway 1.15.2 plus request-time traps) |
//!
//! The core (`fastagentic`, `fastagentic-macros`) uses neither feature: only
//! the integration crates and their macro crates enable theirs, so an app
//! that uses neither integration compiles neither set of rules.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod duration;
pub mod hook_event;
#[cfg(feature = "litellm")]
pub mod litellm;
pub mod path;
#[cfg(feature = "portkey")]
pub mod portkey;
pub mod reliability;
pub mod suggest;
