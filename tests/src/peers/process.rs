//! A peer's running process, which never outlives the test process.
//!
//! Each peer runs under a tiny `sh` supervisor:
//!
//! ```text
//! test process --stdin pipe--> sh (supervisor, its own process group)
//!                                ├─ setsid <peer command>   (new session = new process group,
//!                                │                           workers inherit it)
//!                                └─ watcher subshell: blocks reading the pipe
//! ```
//!
//! The write end of the pipe exists only in the test process (std opens it
//! close-on-exec, so no other child inherits it). When the test process drops
//! the [`PeerProcess`], or exits for any reason (end of `main`, a panic with
//! `panic = "abort"`, SIGKILL), the kernel closes it: the watcher reads EOF,
//! sends SIGTERM to the peer's whole process group, and SIGKILL after a 2 s
//! grace. When the peer exits on its own, the supervisor kills what is left of
//! its group and exits with the peer's status. This needs no `unsafe` (no
//! `prctl`), works for statics that are never dropped, and takes worker
//! processes down with their parent.

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::PeerError;
use super::install::{find_on_path, require_tool};

/// The supervisor, run as `sh -c SUPERVISOR fastagentic-peer <command...>`.
///
/// fd 3 keeps the lifeline pipe for the watcher; the peer gets neither it nor
/// our stdin. `kill -SIG -PGID` (no `--`) is the form both dash and bash accept.
const SUPERVISOR: &str = r#"
exec 3<&0 </dev/null
setsid "$@" 3<&- &
peer=$!
(
  while read -r _ <&3; do :; done
  kill -TERM "-$peer" 2>/dev/null
  i=0
  while [ "$i" -lt 20 ] && kill -0 "-$peer" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "-$peer" 2>/dev/null
) &
watcher=$!
exec 3<&-
wait "$peer"
status=$?
kill -KILL "-$peer" 2>/dev/null
kill -KILL "$watcher" 2>/dev/null
exit "$status"
"#;

/// How long dropping a [`PeerProcess`] waits for the supervisor to report the
/// peer gone (the watcher's own grace is 2 s) before killing the supervisor.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// How many bytes at the end of a log [`PeerProcess::log_tail`] looks at.
const TAIL_BYTES: u64 = 64 * 1024;

/// A supervised child process: stopped when dropped, and when the test process
/// exits for any reason (see the module docs for how).
pub struct PeerProcess {
    name: &'static str,
    command_line: String,
    log: PathBuf,
    /// The supervisor `sh`; its pid is also the supervisor's process group.
    child: Mutex<Child>,
    /// The write end of the lifeline pipe: closing it stops the peer.
    lifeline: Option<ChildStdin>,
}

impl PeerProcess {
    /// Starts `command` (program, arguments, environment changes and working
    /// directory are taken from it; its stdio settings are not) under the
    /// supervisor, with stdout and stderr written to `log` (truncated first).
    ///
    /// `name` names the peer in error messages, e.g. `"Portkey gateway 1.15.2"`.
    pub fn spawn(name: &'static str, command: &Command, log: &Path) -> Result<Self, PeerError> {
        let mut file = File::create(log).map_err(|e| PeerError::io("create log file", log, e))?;
        let header = format!("# fastagentic-tests: {}\n", command_line(command));
        file.write_all(header.as_bytes())
            .map_err(|e| PeerError::io("write log file", log, e))?;
        Self::spawn_logging_to(name, command, log, file)
    }

    /// Like [`spawn`](Self::spawn), writing to an already opened `log_file`
    /// (whose path is `log`), e.g. one opened for appending.
    pub(crate) fn spawn_logging_to(
        name: &'static str,
        command: &Command,
        log: &Path,
        log_file: File,
    ) -> Result<Self, PeerError> {
        require_tool("setsid", "install util-linux (Debian package util-linux)")?;
        let program = command.get_program();
        if !program_exists(program) {
            return Err(PeerError::Spawn {
                peer: name,
                program: program.to_string_lossy().into_owned(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such executable"),
            });
        }
        let stderr = log_file
            .try_clone()
            .map_err(|e| PeerError::io("reopen log file", log, e))?;

        let mut supervisor = Command::new("/bin/sh");
        supervisor
            .arg("-c")
            .arg(SUPERVISOR)
            .arg("fastagentic-peer")
            .arg(program)
            .args(command.get_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(stderr))
            // Terminal signals (Ctrl-C) go to the test's group, not to the
            // supervisor: it must outlive the test process to clean up.
            .process_group(0);
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => supervisor.env(key, value),
                None => supervisor.env_remove(key),
            };
        }
        if let Some(dir) = command.get_current_dir() {
            supervisor.current_dir(dir);
        }

        let mut child = supervisor.spawn().map_err(|source| PeerError::Spawn {
            peer: name,
            program: "/bin/sh".to_owned(),
            source,
        })?;
        let lifeline = child.stdin.take();
        Ok(Self {
            name,
            command_line: command_line(command),
            log: log.to_path_buf(),
            child: Mutex::new(child),
            lifeline,
        })
    }

    /// The name given at spawn, used in error messages.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The peer's command line, for messages.
    pub fn command_line(&self) -> &str {
        &self.command_line
    }

    /// The pid of the supervisor (the peer itself is its child).
    pub fn pid(&self) -> u32 {
        self.lock_child().id()
    }

    /// The file receiving the peer's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of the peer's log (empty if it cannot be read).
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }

    /// The peer's exit status once it has exited, `None` while it runs.
    ///
    /// A peer killed by a signal reports the shell's `128 + signal` code.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.lock_child().try_wait().ok().flatten()
    }

    /// Stops the peer now (the same as dropping it).
    pub fn stop(self) {
        drop(self);
    }

    fn lock_child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        // EOF on the lifeline: the watcher stops the peer's process group.
        drop(self.lifeline.take());
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + STOP_WAIT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                // The watcher has the lifeline's EOF and finishes the job even
                // if the supervisor itself is gone.
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
            }
        }
    }
}

impl fmt::Debug for PeerProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerProcess")
            .field("name", &self.name)
            .field("pid", &self.pid())
            .field("command_line", &self.command_line)
            .field("log", &self.log)
            .finish()
    }
}

/// The last `lines` lines of the file at `path` (empty if it cannot be read).
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `command`'s program and arguments, for logs and messages.
pub(crate) fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

fn program_exists(program: &OsStr) -> bool {
    let path = Path::new(program);
    if path.components().count() > 1 {
        path.is_file()
    } else {
        find_on_path(program).is_some()
    }
}
