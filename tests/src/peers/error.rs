//! Why a peer could not be installed or started, worded so that the test
//! output alone tells what is missing and how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::process::log_tail;

/// Everything that can stop a real peer from being installed or started.
///
/// `Debug` prints the same message as `Display`, so a test that does
/// `PortkeyPeer::shared().await.expect("Portkey gateway")` fails with a
/// readable explanation rather than a struct dump.
#[derive(thiserror::Error)]
pub enum PeerError {
    /// A program the peer needs is not on `PATH`.
    #[error("{tool} not found on PATH: {hint}")]
    ToolMissing {
        /// The program that was looked for, e.g. `npm`.
        tool: &'static str,
        /// How to get it, e.g. which Debian package provides it.
        hint: &'static str,
    },

    /// A program the peer needs is on `PATH` but older than it needs, or
    /// its version could not be read.
    #[error("{tool} {found} found at {}, but {needed} is needed: {hint}", path.display())]
    ToolTooOld {
        /// The program, e.g. `python3`.
        tool: &'static str,
        /// Where it was found.
        path: PathBuf,
        /// What `--version` printed (or why it could not be run).
        found: String,
        /// The version needed, e.g. `3.11+`.
        needed: &'static str,
        /// How to get it.
        hint: &'static str,
    },

    /// A file system operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `create directory`.
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// An install step (npm, venv, pip) ran but failed.
    #[error("installing {peer} failed: `{command}` {outcome}; {log}")]
    InstallFailed {
        /// The peer being installed, with its version.
        peer: &'static str,
        /// The command line that failed.
        command: String,
        /// How it ended, e.g. `ended with exit status: 1` or `timed out after 900 s`.
        outcome: String,
        /// The end of the install log.
        log: Box<LogExcerpt>,
    },

    /// The peer's process could not be spawned at all.
    #[error("could not start {peer} (`{program}`): {source}")]
    Spawn {
        /// The peer being started.
        peer: &'static str,
        /// The program that was run.
        program: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The peer exited before it answered its readiness probe.
    #[error("{peer} exited before it was ready ({status}); {log}")]
    Exited {
        /// The peer that exited.
        peer: &'static str,
        /// Its exit status, as text.
        status: String,
        /// The end of the peer's log.
        log: Box<LogExcerpt>,
    },

    /// The peer kept running but did not answer its readiness probe in time.
    #[error(
        "{peer} did not answer GET {url} within {} s (last probe: {last_probe}); {log}",
        waited.as_secs()
    )]
    StartTimeout {
        /// The peer that was waited for.
        peer: &'static str,
        /// The readiness URL that was polled.
        url: String,
        /// How long we waited.
        waited: Duration,
        /// What the last probe saw (connection refused, a status, a body).
        last_probe: String,
        /// The end of the peer's log.
        log: Box<LogExcerpt>,
    },

    /// The peer runs but would not open a session (a browser through its
    /// WebDriver, for one).
    #[error("{peer} would not open a session: {message}; {log}")]
    Session {
        /// The peer asked.
        peer: &'static str,
        /// What it answered.
        message: String,
        /// The end of the peer's log.
        log: Box<LogExcerpt>,
    },

    /// The HTTP client used for readiness probes could not be built.
    #[error("could not build the HTTP client for readiness probes: {0}")]
    Client(#[source] reqwest::Error),

    /// A blocking install task panicked or was cancelled.
    #[error("the install task for {peer} did not finish: {reason}")]
    Task {
        /// The peer being installed.
        peer: &'static str,
        /// The panic or cancellation message.
        reason: String,
    },
}

/// The end of a log file, shown in errors so that a failing test explains itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogExcerpt {
    /// The whole log.
    pub path: PathBuf,
    /// Its last lines.
    pub tail: String,
}

impl LogExcerpt {
    /// The last `lines` lines of the log at `path`, boxed for an error.
    pub(crate) fn read(path: &Path, lines: usize) -> Box<Self> {
        Box::new(Self {
            path: path.to_path_buf(),
            tail: log_tail(path, lines),
        })
    }
}

impl fmt::Display for LogExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "full log: {}\n--- last lines of the log ---\n{}",
            self.path.display(),
            self.tail
        )
    }
}

impl fmt::Debug for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PeerError {
    /// Wraps an I/O error with what was being done and to which path.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Whether the peer died because its port was taken between our probe and
    /// its bind (the small race of [`free_loopback_port`](super::free_loopback_port)).
    pub(crate) fn is_port_conflict(&self) -> bool {
        match self {
            Self::Exited { log, .. } => {
                let tail = log.tail.to_ascii_lowercase();
                tail.contains("eaddrinuse") || tail.contains("address already in use")
            }
            _ => false,
        }
    }
}
