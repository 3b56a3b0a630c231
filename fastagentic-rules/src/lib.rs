//! Rules that FastAgentic checks both at compile time (in `fastagentic-macros`)
//! and at run time (in `fastagentic`, `fastagentic-portkey`, `fastagentic-litellm`).
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
//! | [`litellm`] | LiteLLM gateway option bounds |
//! | [`portkey`] | the Portkey gateway config (schema of gateway 1.15.2 plus request-time traps) |
//! | [`reliability`] | retry, backoff, rate-limit, circuit-breaker and timeout bounds |

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod duration;
pub mod hook_event;
pub mod litellm;
pub mod path;
pub mod portkey;
pub mod reliability;
pub mod suggest;
