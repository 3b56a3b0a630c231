//! A Python venv holding exactly pinned packages: the one install recipe
//! behind every Python peer (the LiteLLM proxy, the providers' SDKs).

use std::process::Command;

use super::PeerError;
use super::install::{InstallSpec, Installation, ensure_installed, fnv1a64, require_tool_version};

const PYTHON_HINT: &str =
    "install Python 3.11+ with venv and pip (Debian packages python3, python3-venv, python3-pip)";

/// What goes into one venv under [`peers_dir`](super::peers_dir).
pub(crate) struct VenvSpec {
    /// The peer and its version, for messages.
    pub peer: &'static str,
    /// The venv's directory name under the peers dir.
    pub dir_name: &'static str,
    /// The pip requirements, each pinned with `==`.
    pub requirements: &'static [&'static str],
    /// Every package the requirements pull in, pinned (`pip install -c`).
    pub constraints: &'static str,
    /// A file, relative to the venv, that a finished install has.
    pub entry: &'static str,
}

/// Makes sure the venv of `spec` is installed: `python3 -m venv <dir>`, then
/// `pip install --only-binary=:all: -c <constraints> <requirements>` (wheels
/// only: no package code runs at install time). Reinstalls when the
/// requirements or constraints change.
pub(crate) async fn ensure_venv(spec: VenvSpec) -> Result<Installation, PeerError> {
    let mut parts: Vec<&str> = spec.requirements.to_vec();
    parts.push(spec.constraints);
    let identity = format!(
        "{}\nconstraints fnv1a64 {:016x}\n",
        spec.requirements.join("\n"),
        fnv1a64(&parts)
    );
    let install = InstallSpec {
        peer: spec.peer,
        dir_name: spec.dir_name,
        identity,
        entry: spec.entry,
    };
    let (requirements, constraints) = (spec.requirements, spec.constraints);
    ensure_installed(install, move |installer| {
        let python = require_tool_version("python3", (3, 11), "Python 3.11+", PYTHON_HINT)?;
        let venv = installer.dir();
        let mut create_venv = Command::new(python);
        create_venv.args(["-m", "venv"]).arg(venv);
        installer.run(&create_venv)?;

        installer.write("constraints.txt", constraints)?;
        let mut pip = Command::new(venv.join("bin/python"));
        pip.args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .arg("--only-binary=:all:")
        .arg("-c")
        .arg(venv.join("constraints.txt"))
        .args(requirements)
        .current_dir(venv);
        installer.run(&pip)
    })
    .await
}

/// The pins of a constraints file that are not `name==version`.
#[cfg(test)]
pub(crate) fn unpinned(constraints: &str) -> Vec<&str> {
    constraints
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.contains("=="))
        .collect()
}
