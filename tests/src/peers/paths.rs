//! Where peers are installed and where they log: under the Cargo target dir,
//! so `cargo clean` removes them and no global state is touched.

use std::env;
use std::path::{Path, PathBuf};

use super::PeerError;

/// Overrides [`peers_dir`] (e.g. a cache directory that survives a fresh clone in CI).
const PEERS_DIR_ENV: &str = "FASTAGENTIC_PEERS_DIR";

/// The Cargo target directory of the running build.
///
/// In order: `CARGO_TARGET_DIR` when set (a relative value is taken from the
/// workspace root); else the nearest ancestor of the running executable that
/// holds Cargo's `CACHEDIR.TAG` (test binaries live in `<target>/debug/deps/`);
/// else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    target_dir_of_current_exe().unwrap_or_else(|| workspace_root().join("target"))
}

/// The directory holding the installed peers: `FASTAGENTIC_PEERS_DIR` when set,
/// else `<target>/peers`.
pub fn peers_dir() -> PathBuf {
    match env::var_os(PEERS_DIR_ENV).filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => target_dir().join("peers"),
    }
}

/// The directory holding install and run logs of the peers: `<peers>/logs`.
pub fn logs_dir() -> PathBuf {
    peers_dir().join("logs")
}

/// Creates `dir` and its parents if needed.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), PeerError> {
    std::fs::create_dir_all(dir).map_err(|e| PeerError::io("create directory", dir, e))
}

fn target_dir_of_current_exe() -> Option<PathBuf> {
    let exe = env::current_exe().ok()?;
    if let Some(dir) = exe
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
    {
        return Some(dir.to_path_buf());
    }
    // `<target>/<profile>/deps/<binary>` without a tag file (an older Cargo).
    let deps = exe.parent()?;
    if deps.file_name()? == "deps" {
        return Some(deps.parent()?.parent()?.to_path_buf());
    }
    None
}

fn workspace_root() -> PathBuf {
    // This crate lives in `<workspace>/tests`.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_dir_of_a_test_binary_is_found_from_its_path() {
        let dir = target_dir_of_current_exe().expect("test binaries run from the target dir");
        assert!(dir.join("CACHEDIR.TAG").is_file(), "{}", dir.display());
    }
}
