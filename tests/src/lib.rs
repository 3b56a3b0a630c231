//! Test support for FastAgentic's own test suite: provisioning of the real
//! peers (the Portkey gateway and the LiteLLM proxy) on loopback, and small
//! helpers the test files share.

pub mod captured_log;
pub mod loopback;
pub mod peers;
pub mod reference_bert;
pub mod sse;

/// The embedding model the semantic cache's tests run, fetched pinned into
/// the target dir: [`embedding_model::model_dir`].
pub use peers::embedding_model;

/// The guides' Rust snippets, compiled (and run unless marked `no_run`) as
/// doctests, so the documentation cannot drift from the code.
#[cfg(doctest)]
mod documentation {
    #[doc = include_str!("../../docs/caching.md")]
    struct Caching;
    #[doc = include_str!("../../docs/dashboard.md")]
    struct Dashboard;
    #[doc = include_str!("../../docs/litellm.md")]
    struct LiteLlm;
    #[doc = include_str!("../../docs/observability.md")]
    struct Observability;
    #[doc = include_str!("../../docs/portkey.md")]
    struct Portkey;
    #[doc = include_str!("../../docs/providers.md")]
    struct Providers;
    #[doc = include_str!("../../docs/reliability.md")]
    struct Reliability;
    #[doc = include_str!("../../docs/scale-out.md")]
    struct ScaleOut;
    #[doc = include_str!("../../README.md")]
    struct Readme;
}
