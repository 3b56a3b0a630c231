//! The LiteLLM proxy, run from a venv on loopback with a test's own config.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::install::Installation;
use super::paths::logs_dir;
use super::port::start_on_free_port;
use super::ready::{Probe, wait_until_ready};
use super::venv::{VenvSpec, ensure_venv};
use super::{PeerError, PeerProcess};

/// The pinned version of PyPI `litellm[proxy]`. Never install an unpinned
/// LiteLLM: compromised releases have been published.
pub const LITELLM_VERSION: &str = "1.106.2";

/// The pip requirement, pinned exactly.
const REQUIREMENT: &str = "litellm[proxy]==1.106.2";

/// Every package the requirement pulls in, pinned (`pip install -c`).
const CONSTRAINTS: &str = include_str!("litellm-constraints.txt");

const PEER: &str = "LiteLLM proxy 1.106.2";
const DIR_NAME: &str = "litellm-1.106.2";
const ENTRY: &str = "bin/litellm";
const READY_PATH: &str = "/health/liveliness";
const READY_BODY: &str = "alive";
/// Start-up takes 20-30 s on a 2-core machine when idle; much more under load.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running LiteLLM proxy on `127.0.0.1`, with a fresh random master key.
/// Dropping it stops the proxy and its workers; so does the end of the test
/// process.
///
/// ```no_run
/// # async fn demo() {
/// use fastagentic_tests::peers::LiteLlmPeer;
/// let config = serde_json::json!({"model_list": [{
///     "model_name": "gpt-4o-mini",
///     "litellm_params": {"model": "openai/gpt-4o-mini",
///                        "api_base": "http://127.0.0.1:9/v1", "api_key": "sk-test"},
/// }]});
/// let litellm = LiteLlmPeer::start(&config).await.expect("LiteLLM proxy");
/// let auth = format!("Bearer {}", litellm.master_key());
/// # let _ = auth; }
/// ```
pub struct LiteLlmPeer {
    process: PeerProcess,
    port: u16,
    base_url: String,
    v1_url: String,
    master_key: String,
    config_path: PathBuf,
    started_in: Duration,
}

impl LiteLlmPeer {
    /// Installs the pinned proxy under [`peers_dir`](super::peers_dir) unless an
    /// earlier install is there: `python3 -m venv litellm-1.106.2`, then
    /// `pip install --only-binary=:all: -c <committed constraints> 'litellm[proxy]==1.106.2'`.
    pub async fn install() -> Result<Installation, PeerError> {
        ensure_venv(VenvSpec {
            peer: PEER,
            dir_name: DIR_NAME,
            requirements: &[REQUIREMENT],
            constraints: CONSTRAINTS,
            entry: ENTRY,
        })
        .await
    }

    /// Installs the proxy if needed and starts it on a free loopback port with
    /// `config` (the proxy's YAML config, given as JSON, which is valid YAML),
    /// waiting until `GET /health/liveliness` answers (at most 180 s).
    ///
    /// The proxy runs offline (`LITELLM_LOCAL_MODEL_COST_MAP=True`), in
    /// production mode (no `.env` loading), with one worker and a random
    /// [`master_key`](Self::master_key).
    pub async fn start(config: &serde_json::Value) -> Result<Self, PeerError> {
        let installation = Self::install().await?;
        let litellm = installation.dir.join(ENTRY);
        let config_text =
            serde_json::to_string_pretty(config).unwrap_or_else(|_| config.to_string());
        start_on_free_port(|port| {
            let master_key = new_master_key();
            let config_path = logs_dir().join(format!("litellm-{port}.config.yaml"));
            let mut command = Command::new(&litellm);
            command
                .arg("--config")
                .arg(&config_path)
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--num_workers",
                    "1",
                ])
                .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                .env("LITELLM_MODE", "PRODUCTION")
                .env("LITELLM_MASTER_KEY", &master_key)
                .env("PYTHONUNBUFFERED", "1")
                // Calls to loopback upstreams must not go through a proxy.
                .env("NO_PROXY", "127.0.0.1,localhost,::1")
                .env("no_proxy", "127.0.0.1,localhost,::1")
                // Settings from the environment that would change which config,
                // database or workers the proxy uses.
                .env_remove("DATABASE_URL")
                .env_remove("CONFIG_FILE_PATH")
                .env_remove("WORKER_CONFIG")
                .env_remove("NUM_WORKERS")
                .current_dir(&installation.dir);
            let config_text = config_text.clone();
            async move {
                std::fs::write(&config_path, config_text)
                    .map_err(|e| PeerError::io("write the LiteLLM config", &config_path, e))?;
                let log = logs_dir().join(format!("litellm-{port}.log"));
                let process = PeerProcess::spawn(PEER, &command, &log)?;
                let base_url = format!("http://127.0.0.1:{port}");
                let probe = Probe {
                    url: format!("{base_url}{READY_PATH}"),
                    expect: READY_BODY,
                    timeout: START_TIMEOUT,
                    interval: Duration::from_millis(250),
                };
                let started_in = wait_until_ready(&process, &probe).await?;
                Ok(Self {
                    process,
                    port,
                    v1_url: format!("{base_url}/v1"),
                    base_url,
                    master_key,
                    config_path,
                    started_in,
                })
            }
        })
        .await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `http://127.0.0.1:PORT/v1`, the OpenAI-compatible API root.
    pub fn v1_url(&self) -> &str {
        &self.v1_url
    }

    /// The proxy's master key, to send as `Authorization: Bearer <key>`.
    pub fn master_key(&self) -> &str {
        &self.master_key
    }

    /// The loopback port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The config file the proxy was started with.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// How long the proxy took from spawn to answering its liveliness probe.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The supervised process (pid, log).
    pub fn process(&self) -> &PeerProcess {
        &self.process
    }
}

impl fmt::Debug for LiteLlmPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiteLlmPeer")
            .field("base_url", &self.base_url)
            .field("master_key", &"sk-<redacted>")
            .field("config_path", &self.config_path)
            .field("process", &self.process)
            .finish_non_exhaustive()
    }
}

/// A strong master key (`sk-` and 64 random hex digits), as the proxy demands.
fn new_master_key() -> String {
    format!(
        "sk-{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_and_constraints_pin_the_same_version() {
        assert_eq!(REQUIREMENT, format!("litellm[proxy]=={LITELLM_VERSION}"));
        assert_eq!(DIR_NAME, format!("litellm-{LITELLM_VERSION}"));
        assert!(
            CONSTRAINTS
                .lines()
                .any(|line| line == format!("litellm=={LITELLM_VERSION}"))
        );
        let unpinned = super::super::venv::unpinned(CONSTRAINTS);
        assert!(unpinned.is_empty(), "unpinned constraints: {unpinned:?}");
    }

    #[test]
    fn master_keys_are_strong_and_fresh() {
        let (a, b) = (new_master_key(), new_master_key());
        assert!(a.starts_with("sk-") && a.len() == 67, "{a}");
        assert_ne!(a, b);
    }
}
