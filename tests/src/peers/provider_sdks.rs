//! The providers' official Python SDKs (`openai`, `anthropic`,
//! `google-genai`), pinned, in one venv: to drive FastAgentic's
//! OpenAI-compatible route with the client users really run, and to check
//! that the mock provider's wire formats parse in each provider's own client.

use std::path::PathBuf;

use super::PeerError;
use super::venv::{VenvSpec, ensure_venv};

/// The `openai` SDK version (also the one the LiteLLM proxy's venv pins).
pub const OPENAI_SDK_VERSION: &str = "2.54.0";

/// The `anthropic` SDK version.
pub const ANTHROPIC_SDK_VERSION: &str = "2.10.0";

/// The `google-genai` SDK version (Google's SDK for the Gemini API).
pub const GOOGLE_GENAI_SDK_VERSION: &str = "3.3.0";

/// The pip requirements, pinned exactly.
const REQUIREMENTS: &[&str] = &["openai==2.54.0", "anthropic==2.10.0", "google-genai==3.3.0"];

/// Every package the requirements pull in, pinned (`pip install -c`).
const CONSTRAINTS: &str = include_str!("provider-sdks-constraints.txt");

/// A Python interpreter that can `import openai, anthropic, google.genai`
/// at the pinned versions, installing their venv under
/// [`peers_dir`](super::peers_dir) first if needed.
pub async fn provider_sdks_python() -> Result<PathBuf, PeerError> {
    let installation = ensure_venv(VenvSpec {
        peer: "Python SDKs openai 2.54.0, anthropic 2.10.0, google-genai 3.3.0",
        dir_name: "provider-sdks-openai-2.54.0-anthropic-2.10.0-google-genai-3.3.0",
        requirements: REQUIREMENTS,
        constraints: CONSTRAINTS,
        entry: "bin/python",
    })
    .await?;
    Ok(installation.dir.join("bin/python"))
}

/// A Python interpreter that can `import openai` at [`OPENAI_SDK_VERSION`]
/// (the providers' SDK venv).
pub async fn openai_sdk_python() -> Result<PathBuf, PeerError> {
    provider_sdks_python().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_and_constraints_pin_the_same_versions() {
        let pins = [
            ("openai", OPENAI_SDK_VERSION),
            ("anthropic", ANTHROPIC_SDK_VERSION),
            ("google-genai", GOOGLE_GENAI_SDK_VERSION),
        ];
        for (name, version) in pins {
            let pin = format!("{name}=={version}");
            assert!(REQUIREMENTS.contains(&pin.as_str()), "{pin}");
            assert!(CONSTRAINTS.lines().any(|line| line == pin), "{pin}");
        }
        let unpinned = super::super::venv::unpinned(CONSTRAINTS);
        assert!(unpinned.is_empty(), "unpinned constraints: {unpinned:?}");
    }
}
