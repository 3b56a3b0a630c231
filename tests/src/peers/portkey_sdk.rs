//! The official `portkey-ai` Python SDK, for testing the Portkey drop-in
//! route with the client Portkey users really run.

use std::path::PathBuf;
use std::process::Command;

use super::PeerError;
use super::install::{InstallSpec, ensure_installed, fnv1a64, require_tool_version};

/// The pinned version of PyPI `portkey-ai`.
pub const PORTKEY_SDK_VERSION: &str = "2.3.4";

/// The pip requirement, pinned exactly.
const REQUIREMENT: &str = "portkey-ai==2.3.4";

/// Every package the requirement pulls in, pinned (`pip install -c`).
const CONSTRAINTS: &str = include_str!("portkey-sdk-constraints.txt");

const PEER: &str = "portkey-ai Python SDK 2.3.4";
const DIR_NAME: &str = "portkey-sdk-2.3.4";
const ENTRY: &str = "bin/python";
const PYTHON_HINT: &str =
    "install Python 3.11+ with venv and pip (Debian packages python3, python3-venv, python3-pip)";

/// A Python interpreter that can `import portkey_ai` at
/// [`PORTKEY_SDK_VERSION`]: a venv under [`peers_dir`](super::peers_dir)
/// (`python3 -m venv portkey-sdk-2.3.4`, then `pip install --only-binary=:all:
/// -c <committed constraints> portkey-ai==2.3.4`), installed once.
pub async fn portkey_sdk_python() -> Result<PathBuf, PeerError> {
    let spec = InstallSpec {
        peer: PEER,
        dir_name: DIR_NAME,
        identity: format!(
            "{REQUIREMENT}\nconstraints fnv1a64 {:016x}\n",
            fnv1a64(&[REQUIREMENT, CONSTRAINTS])
        ),
        entry: ENTRY,
    };
    let installation = ensure_installed(spec, |installer| {
        let python = require_tool_version("python3", (3, 11), "Python 3.11+", PYTHON_HINT)?;
        let venv = installer.dir();
        let mut create_venv = Command::new(python);
        create_venv.args(["-m", "venv"]).arg(venv);
        installer.run(&create_venv)?;

        installer.write("constraints.txt", CONSTRAINTS)?;
        let mut pip = Command::new(venv.join("bin/python"));
        pip.args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ])
        // Wheels only: no package code runs at install time.
        .arg("--only-binary=:all:")
        .arg("-c")
        .arg(venv.join("constraints.txt"))
        .arg(REQUIREMENT)
        .current_dir(venv);
        installer.run(&pip)
    })
    .await?;
    Ok(installation.dir.join(ENTRY))
}
