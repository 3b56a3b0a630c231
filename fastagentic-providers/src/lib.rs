//! # FastAgentic provider adapters
//!
//! Gateways to providers that are not OpenAI, each usable on its own, as a
//! [`ReliableGateway`](fastagentic::ReliableGateway) or
//! [`Fallback`](fastagentic::reliability::Fallback) target, or anywhere an
//! [`LlmGateway`](fastagentic::LlmGateway) goes. Every one speaks
//! FastAgentic's OpenAI-shaped types to the app and the provider's own wire
//! format to the provider:
//!
//! - [`AnthropicGateway`]: Anthropic's Messages API, translated both ways
//!   (streams included); OpenAI parameters it cannot honour are refused.
//! - [`AzureOpenAiGateway`]: Azure OpenAI deployments (`api-version`,
//!   `api-key` or a bearer token, content-filter results in the facts).
//! - [`GeminiGateway`]: Google Gemini through its OpenAI-compatible endpoint.
//!
//! ```no_run
//! use fastagentic::reliability::Fallback;
//! use fastagentic::OpenAiGateway;
//! use fastagentic_providers::{AnthropicGateway, AzureOpenAiGateway};
//!
//! # fn main() -> Result<(), fastagentic::Error> {
//! // When OpenAI fails, try Anthropic, then Azure.
//! let chain = Fallback::chain([
//!     fastagentic::gateway::shared(OpenAiGateway::from_env()?),
//!     fastagentic::gateway::shared(AnthropicGateway::from_env()?),
//!     fastagentic::gateway::shared(AzureOpenAiGateway::from_env()?),
//! ]);
//! # let _ = chain; Ok(()) }
//! ```
//!
//! The guide, with the translation table and what is refused, is
//! `docs/providers.md`.

#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod anthropic;
mod azure;
mod gemini;
mod http_post;

pub use anthropic::{AnthropicGateway, DEFAULT_MAX_TOKENS};
pub use azure::AzureOpenAiGateway;
pub use gemini::GeminiGateway;
