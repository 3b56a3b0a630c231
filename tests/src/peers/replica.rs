//! An app replica as its own process (the scale-out tests' binary
//! `scale_out_replica`), on a free loopback port, ready once `GET /ready`
//! answers.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::paths::{ensure_dir, logs_dir};
use super::port::start_on_free_port;
use super::ready::{Probe, wait_until_ready};
use super::{PeerError, PeerProcess};

/// A running replica; stopped when dropped.
#[derive(Debug)]
pub struct AppReplica {
    process: PeerProcess,
    base_url: String,
}

impl AppReplica {
    /// Starts `binary` with `env` (and `PORT`), logging to
    /// `<peers>/logs/replica-<name>-<port>.log`.
    pub async fn start(
        binary: &Path,
        name: &str,
        env: &[(&str, String)],
    ) -> Result<Self, PeerError> {
        ensure_dir(&logs_dir())?;
        start_on_free_port(|port| {
            let mut command = Command::new(binary);
            command
                .env("PORT", port.to_string())
                .env("RUST_LOG", "warn");
            for (key, value) in env {
                command.env(key, value);
            }
            let log = logs_dir().join(format!("replica-{name}-{port}.log"));
            async move {
                let process = PeerProcess::spawn("scale-out app replica", &command, &log)?;
                let base_url = format!("http://127.0.0.1:{port}");
                let probe = Probe {
                    url: format!("{base_url}/ready"),
                    expect: "",
                    timeout: Duration::from_secs(60),
                    interval: Duration::from_millis(50),
                };
                wait_until_ready(&process, &probe).await?;
                Ok(Self { process, base_url })
            }
        })
        .await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }
}
