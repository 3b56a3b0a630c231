//! The real peers our gateway crates are tested against, provisioned on demand.
//!
//! - [`PortkeyPeer`]: the open-source Portkey AI gateway (npm
//!   `@portkey-ai/gateway` [`PORTKEY_GATEWAY_VERSION`]), started with `node` on a
//!   free loopback port. One gateway can serve every test of a test binary
//!   ([`PortkeyPeer::shared`]): each request names its own upstream in
//!   `x-portkey-custom-host`.
//! - [`LiteLlmPeer`]: the LiteLLM proxy (PyPI `litellm[proxy]`
//!   [`LITELLM_VERSION`]), started from a venv with the config a test gives it.
//! - [`provider_sdks_python`]: a Python with the providers' official SDKs
//!   (`openai`, `anthropic`, `google-genai`, pinned, one venv), to drive the
//!   OpenAI-compatible route and to check the mock provider's wire formats.
//! - [`portkey_sdk_python`]: a Python with the official `portkey-ai` SDK
//!   [`PORTKEY_SDK_VERSION`], to drive the Portkey drop-in route.
//!
//! Both are installed once under the Cargo target dir (`<target>/peers/`, see
//! [`peers_dir`]), pinned exactly, behind an exclusive file lock so that
//! concurrent test processes install once, and reused by every later run.
//! Logs go to `<target>/peers/logs/`; every start-up error carries the tail of
//! the peer's log.
//!
//! A running peer never outlives the test process: see [`PeerProcess`].
//!
//! A test that needs a peer must fail when it cannot get one: every function
//! here returns a [`PeerError`] that says what is missing and how to fix it,
//! and whose `Debug` is that same message, so `.expect("...")` reads well.

pub mod embedding_model;
mod error;
mod install;
mod litellm;
mod paths;
mod port;
mod portkey;
mod portkey_sdk;
mod process;
mod provider_sdks;
mod python_script;
mod ready;
mod venv;

pub use error::{LogExcerpt, PeerError};
pub use install::Installation;
pub use litellm::{LITELLM_VERSION, LiteLlmPeer};
pub use paths::{logs_dir, peers_dir, target_dir};
pub use port::free_loopback_port;
pub use portkey::{
    HONO_NODE_SERVER_VERSION, PORTKEY_GATEWAY_VERSION, PORTKEY_PACKAGE_JSON, PortkeyPeer,
};
pub use portkey_sdk::{PORTKEY_SDK_VERSION, portkey_sdk_python};
pub use process::PeerProcess;
pub use provider_sdks::{
    ANTHROPIC_SDK_VERSION, GOOGLE_GENAI_SDK_VERSION, OPENAI_SDK_VERSION, openai_sdk_python,
    provider_sdks_python,
};
pub use python_script::python_json;
