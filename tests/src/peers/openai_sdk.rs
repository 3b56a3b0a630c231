//! The official `openai` Python SDK, for testing FastAgentic's
//! OpenAI-compatible route with the client users really run.

use std::path::PathBuf;

use super::{LiteLlmPeer, PeerError};

/// The SDK version: pinned by the LiteLLM proxy's committed constraints,
/// whose venv it shares (one install serves both).
pub const OPENAI_SDK_VERSION: &str = "2.54.0";

/// A Python interpreter that can `import openai` at [`OPENAI_SDK_VERSION`],
/// installing the shared venv first if needed.
pub async fn openai_sdk_python() -> Result<PathBuf, PeerError> {
    let installation = LiteLlmPeer::install().await?;
    Ok(installation.dir.join("bin/python"))
}
