//! Waiting until a freshly started peer answers its readiness probe.

use std::error::Error as _;
use std::time::{Duration, Instant};

use super::error::LogExcerpt;
use super::{PeerError, PeerProcess};

/// How many log lines a start-up error shows.
const TAIL_LINES: usize = 40;

/// A readiness probe: `GET url` until it answers 2xx with a body containing
/// `expect`.
pub(crate) struct Probe<'a> {
    pub url: String,
    pub expect: &'a str,
    pub timeout: Duration,
    pub interval: Duration,
}

/// Polls `probe` until it passes, the peer exits, or the timeout passes.
/// Returns how long the peer took to become ready.
pub(crate) async fn wait_until_ready(
    process: &PeerProcess,
    probe: &Probe<'_>,
) -> Result<Duration, PeerError> {
    // No proxy: a proxy from the environment must not answer for a loopback peer.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(PeerError::Client)?;
    let started = Instant::now();
    loop {
        if let Some(status) = process.exit_status() {
            return Err(PeerError::Exited {
                peer: process.name(),
                status: status.to_string(),
                log: LogExcerpt::read(process.log_path(), TAIL_LINES),
            });
        }
        let last_probe = match client.get(&probe.url).send().await {
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                if status.is_success() && body.contains(probe.expect) {
                    return Ok(started.elapsed());
                }
                format!("{status} {}", body.chars().take(200).collect::<String>())
            }
            Err(error) => error_chain(&error),
        };
        if started.elapsed() >= probe.timeout {
            return Err(PeerError::StartTimeout {
                peer: process.name(),
                url: probe.url.clone(),
                waited: started.elapsed(),
                last_probe,
                log: LogExcerpt::read(process.log_path(), TAIL_LINES),
            });
        }
        tokio::time::sleep(probe.interval).await;
    }
}

fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
