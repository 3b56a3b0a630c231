//! The official `portkey-ai` Python SDK, for testing the Portkey drop-in
//! route with the client Portkey users really run.

use std::path::PathBuf;

use super::PeerError;
use super::venv::{VenvSpec, ensure_venv};

/// The pinned version of PyPI `portkey-ai`.
pub const PORTKEY_SDK_VERSION: &str = "2.3.4";

/// The pip requirement, pinned exactly.
const REQUIREMENTS: &[&str] = &["portkey-ai==2.3.4"];

/// Every package the requirement pulls in, pinned (`pip install -c`).
const CONSTRAINTS: &str = include_str!("portkey-sdk-constraints.txt");

/// A Python interpreter that can `import portkey_ai` at
/// [`PORTKEY_SDK_VERSION`], installing its venv under
/// [`peers_dir`](super::peers_dir) first if needed.
pub async fn portkey_sdk_python() -> Result<PathBuf, PeerError> {
    let installation = ensure_venv(VenvSpec {
        peer: "portkey-ai Python SDK 2.3.4",
        dir_name: "portkey-sdk-2.3.4",
        requirements: REQUIREMENTS,
        constraints: CONSTRAINTS,
        entry: "bin/python",
    })
    .await?;
    Ok(installation.dir.join("bin/python"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requirement_and_its_constraints_are_pinned() {
        assert_eq!(REQUIREMENTS, [format!("portkey-ai=={PORTKEY_SDK_VERSION}")]);
        assert!(super::super::venv::unpinned(CONSTRAINTS).is_empty());
    }
}
