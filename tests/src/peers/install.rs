//! Installing a peer once per target dir: an exclusive file lock so that
//! concurrent test processes install once, a marker written only after
//! success (naming the pinned versions), and logged install steps.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::PeerError;
use super::error::LogExcerpt;
use super::paths::{ensure_dir, logs_dir, peers_dir};
use super::process::{PeerProcess, command_line};

/// Written into an install dir after a successful install; its first lines must
/// equal the install's identity (versions and manifest hash) for reuse.
const MARKER: &str = ".fastagentic-installed";

/// The longest one install step (npm ci, pip install) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How many log lines an install error shows.
const TAIL_LINES: usize = 40;

/// A peer installed on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The install directory (the npm prefix, or the venv).
    pub dir: PathBuf,
    /// How long this call spent installing; `None` when an earlier install was reused.
    pub installed_in: Option<Duration>,
}

/// What to install, and how to recognise a finished install of it.
pub(crate) struct InstallSpec {
    /// The peer and its version, for messages, e.g. `Portkey gateway 1.15.2`.
    pub peer: &'static str,
    /// The directory name under [`peers_dir`], e.g. `portkey-gateway-1.15.2`.
    pub dir_name: &'static str,
    /// The pinned versions and a hash of the committed manifests; a change
    /// makes the next call reinstall.
    pub identity: String,
    /// A file, relative to the install dir, that a finished install has.
    pub entry: &'static str,
}

/// Runs one install's steps, all logging to the same install log.
pub(crate) struct Installer {
    peer: &'static str,
    dir: PathBuf,
    log: PathBuf,
}

impl Installer {
    /// The install directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `contents` to `name` inside the install directory.
    pub fn write(&self, name: &str, contents: &str) -> Result<(), PeerError> {
        let path = self.dir.join(name);
        fs::write(&path, contents).map_err(|e| PeerError::io("write", path, e))
    }

    /// An install failure of the step `step` (not a command: a check the
    /// install makes itself), with the end of the install log.
    pub fn failed(&self, step: &str, outcome: String) -> PeerError {
        PeerError::InstallFailed {
            peer: self.peer,
            command: step.to_owned(),
            outcome,
            log: LogExcerpt::read(&self.log, TAIL_LINES),
        }
    }

    /// Runs `command` to completion, appending its output to the install log;
    /// fails unless it exits with status 0 within [`STEP_TIMEOUT`].
    pub fn run(&self, command: &Command) -> Result<(), PeerError> {
        let mut log_file = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| PeerError::io("open install log", &self.log, e))?;
        writeln!(log_file, "# fastagentic-tests: {}", command_line(command))
            .map_err(|e| PeerError::io("write install log", &self.log, e))?;
        let process = PeerProcess::spawn_logging_to(self.peer, command, &self.log, log_file)?;
        let failed = |outcome: String| PeerError::InstallFailed {
            peer: self.peer,
            command: process.command_line().to_owned(),
            outcome,
            log: LogExcerpt::read(&self.log, TAIL_LINES),
        };
        let started = Instant::now();
        loop {
            if let Some(status) = process.exit_status() {
                return if status.success() {
                    Ok(())
                } else {
                    Err(failed(format!("ended with {status}")))
                };
            }
            if started.elapsed() > STEP_TIMEOUT {
                return Err(failed(format!(
                    "timed out after {} s",
                    STEP_TIMEOUT.as_secs()
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Makes sure `spec` is installed, running `steps` in a fresh install dir if
/// it is not; safe to call from many tests and processes at once.
pub(crate) async fn ensure_installed<F>(
    spec: InstallSpec,
    steps: F,
) -> Result<Installation, PeerError>
where
    F: FnOnce(&Installer) -> Result<(), PeerError> + Send + 'static,
{
    let peer = spec.peer;
    tokio::task::spawn_blocking(move || ensure_installed_blocking(&spec, steps))
        .await
        .map_err(|e| PeerError::Task {
            peer,
            reason: e.to_string(),
        })?
}

pub(crate) fn ensure_installed_blocking<F>(
    spec: &InstallSpec,
    steps: F,
) -> Result<Installation, PeerError>
where
    F: FnOnce(&Installer) -> Result<(), PeerError>,
{
    let peers = peers_dir();
    let logs = logs_dir();
    ensure_dir(&peers)?;
    ensure_dir(&logs)?;
    let dir = peers.join(spec.dir_name);

    // Held until this function returns; the kernel releases it if we die.
    let lock_path = peers.join(format!("{}.lock", spec.dir_name));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| PeerError::io("open install lock", &lock_path, e))?;
    lock.lock()
        .map_err(|e| PeerError::io("lock", &lock_path, e))?;

    let marker = dir.join(MARKER);
    if is_installed(&marker, &spec.identity) && dir.join(spec.entry).is_file() {
        return Ok(Installation {
            dir,
            installed_in: None,
        });
    }

    let log = logs.join(format!("{}-install.log", spec.dir_name));
    eprintln!(
        "fastagentic-tests: installing {} (once per target dir), log: {}",
        spec.peer,
        log.display()
    );
    let started = Instant::now();
    if dir.exists() {
        fs::remove_dir_all(&dir)
            .map_err(|e| PeerError::io("remove the unfinished install", &dir, e))?;
    }
    ensure_dir(&dir)?;
    File::create(&log).map_err(|e| PeerError::io("create install log", &log, e))?;
    let installer = Installer {
        peer: spec.peer,
        dir: dir.clone(),
        log: log.clone(),
    };
    steps(&installer)?;
    if !dir.join(spec.entry).is_file() {
        return Err(PeerError::InstallFailed {
            peer: spec.peer,
            command: "the install steps".to_owned(),
            outcome: format!("succeeded but left no {}", spec.entry),
            log: LogExcerpt::read(&log, TAIL_LINES),
        });
    }

    let took = started.elapsed();
    let contents = format!("{}installed_in_ms={}\n", spec.identity, took.as_millis());
    let partial = dir.join(format!("{MARKER}.partial"));
    fs::write(&partial, contents).map_err(|e| PeerError::io("write", &partial, e))?;
    fs::rename(&partial, &marker).map_err(|e| PeerError::io("write", &marker, e))?;
    eprintln!(
        "fastagentic-tests: installed {} in {:.1} s",
        spec.peer,
        took.as_secs_f64()
    );
    Ok(Installation {
        dir,
        installed_in: Some(took),
    })
}

fn is_installed(marker: &Path, identity: &str) -> bool {
    fs::read_to_string(marker).is_ok_and(|text| text.starts_with(identity))
}

/// The first executable named `tool` on `PATH`, or `hint` in a
/// [`PeerError::ToolMissing`].
pub(crate) fn require_tool(tool: &'static str, hint: &'static str) -> Result<PathBuf, PeerError> {
    find_on_path(OsStr::new(tool)).ok_or(PeerError::ToolMissing { tool, hint })
}

/// The first executable named `tool` on `PATH`, checked to be at least
/// version `major.minor` by running `tool --version`; otherwise an error
/// naming what was found and what is needed.
pub(crate) fn require_tool_version(
    tool: &'static str,
    (major, minor): (u32, u32),
    needed: &'static str,
    hint: &'static str,
) -> Result<PathBuf, PeerError> {
    let path = require_tool(tool, hint)?;
    let found = match Command::new(&path).arg("--version").output() {
        Ok(output) => {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            text.trim().to_owned()
        }
        Err(error) => format!("(`{tool} --version` failed: {error})"),
    };
    match parse_version(&found) {
        Some(version) if version >= (major, minor) => Ok(path),
        _ => Err(PeerError::ToolTooOld {
            tool,
            path,
            found,
            needed,
            hint,
        }),
    }
}

/// The first `major.minor` in a `--version` output such as `v20.11.1` or
/// `Python 3.11.2`.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let mut parts = text[start..].split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The first executable named `tool` on `PATH`.
pub(crate) fn find_on_path(tool: &OsStr) -> Option<PathBuf> {
    let path: OsString = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A stable 64-bit FNV-1a hash, to name the committed manifests in a marker
/// (std's `DefaultHasher` may change between Rust releases).
pub(crate) fn fnv1a64(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_is_stable_and_separates_parts() {
        assert_eq!(fnv1a64(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a64(&["ab", "c"]), fnv1a64(&["a", "bc"]));
        assert_eq!(fnv1a64(&["x"]), fnv1a64(&["x"]));
    }

    #[test]
    fn versions_are_read_from_version_output() {
        assert_eq!(parse_version("v20.20.2"), Some((20, 20)));
        assert_eq!(parse_version("Python 3.11.7\n"), Some((3, 11)));
        assert_eq!(parse_version("Python 3.10.12"), Some((3, 10)));
        assert!(parse_version("Python 3.10.12") < Some((3, 11)));
        assert_eq!(parse_version("no digits"), None);
        assert_eq!(parse_version("v20"), None);
    }

    #[test]
    fn a_too_old_tool_is_named_with_what_is_needed() {
        // `sh --version` prints no `major.minor` on dash, and a huge
        // minimum fails on any shell: either way the message says why.
        let error = require_tool_version("sh", (999, 0), "999.0+", "get a newer sh")
            .expect_err("no sh is that new");
        let message = error.to_string();
        assert!(message.starts_with("sh "), "{message}");
        assert!(
            message.contains("999.0+ is needed: get a newer sh"),
            "{message}"
        );
    }

    #[test]
    fn sh_is_found_on_path() {
        assert!(find_on_path(OsStr::new("sh")).is_some());
        assert!(matches!(
            require_tool("no-such-tool-fastagentic", "hint"),
            Err(PeerError::ToolMissing {
                tool: "no-such-tool-fastagentic",
                ..
            })
        ));
    }
}
