//! # FastAgentic for LiteLLM
//!
//! [`LiteLLMGateway`] sends every LLM call of a FastAgentic app through a
//! [LiteLLM proxy](https://docs.litellm.ai/docs/simple_proxy): one
//! OpenAI-compatible endpoint in front of 100+ providers, with the proxy's
//! fallbacks, retries, timeouts, cache, spend tracking, tags and metadata.
//!
//! ```no_run
//! use fastagentic::App;
//! use fastagentic_litellm::LiteLLMGateway;
//!
//! # async fn run() -> Result<(), fastagentic::Error> {
//! App::new("My Agent")
//!     .llm_gateway(LiteLLMGateway::new().fallback_models(["gpt-4o", "claude-3-sonnet", "gemini-pro"]))
//!     .serve("127.0.0.1:8000")
//!     .await
//! # }
//! ```
//!
//! The connection comes from the LiteLLM ecosystem's own variables,
//! `LITELLM_PROXY_API_BASE` (default `http://localhost:4000`) and
//! `LITELLM_PROXY_API_KEY`, or from builder calls.
//!
//! Option bounds are one set of rules (`fastagentic_rules::litellm`), applied
//! at compile time to literals in [`litellm_options!`] and at start-up
//! ([`LlmGateway::check`](fastagentic::LlmGateway::check)) to values known
//! only at run time. The guide is `docs/litellm.md`.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

extern crate self as fastagentic_litellm;

mod cache;
mod compiled;
mod diagnose;
mod facts;
mod fallback;
mod gateway;
mod options;
mod request;
mod settings;
pub mod wire;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use cache::CacheControl;
pub use fallback::IntoFallbackModels;
pub use gateway::LiteLLMGateway;
pub use options::LiteLLMOptions;
pub use request::LiteLLMRequest;
pub use settings::{API_BASE_ENV, API_KEY_ENV, DEFAULT_API_BASE, NAME};

/// LiteLLM options written as literals and checked at compile time, with the
/// rules [`LiteLLMGateway::check`](fastagentic::LlmGateway::check) applies at
/// start-up to values known only at run time (`fastagentic_rules::litellm`).
/// Each problem is reported on the literal at fault.
///
/// Keys: `fallback_models: [<string literals>]` (at least one, no blank, no
/// repeat), `num_retries: <integer>` (at least 1), `timeout_secs: <number>`
/// (greater than 0). Apply the result with [`LiteLLMGateway::options`].
///
/// ```
/// use fastagentic_litellm::{LiteLLMGateway, litellm_options};
///
/// let gateway = LiteLLMGateway::new().options(litellm_options! {
///     fallback_models: ["claude-3-sonnet", "gemini-pro"],
///     num_retries: 2,
///     timeout_secs: 30,
/// });
/// # let _ = gateway;
/// ```
///
/// ```compile_fail
/// // error: `num_retries` must be at least 1, got 0 (0 retries means none); to
/// //        disable retries, don't call `num_retries` at all
/// let options = fastagentic_litellm::litellm_options! { num_retries: 0 };
/// ```
pub use fastagentic_litellm_macros::litellm_options;
