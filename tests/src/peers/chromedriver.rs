//! Headless Chromium, driven over WebDriver through the distribution's
//! `chromedriver` (Debian packages `chromium` and `chromium-driver`): no
//! browser is downloaded. `chromedriver` runs on a free loopback port under
//! the supervisor; each [`Browser`] opens a session with a fresh profile
//! under the target dir.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::sync::OnceCell;

use super::error::LogExcerpt;
use super::install::require_tool;
use super::paths::{ensure_dir, logs_dir, target_dir};
use super::port::start_on_free_port;
use super::ready::{Probe, wait_until_ready};
use super::{PeerError, PeerProcess};

const PEER: &str = "chromedriver";
const CHROMIUM_HINT: &str = "install Chromium (Debian package chromium)";
const CHROMEDRIVER_HINT: &str = "install chromedriver (Debian package chromium-driver)";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Chromium's flags: headless, no sandbox (containers, root), and nothing
/// that reaches the network on its own.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
];

/// The `chromedriver` shared by every test of one test binary.
static SHARED: OnceCell<ChromeDriverPeer> = OnceCell::const_new();

/// A running `chromedriver` on `127.0.0.1`; it stops with the test process.
pub struct ChromeDriverPeer {
    process: PeerProcess,
    url: String,
    chromium: PathBuf,
}

impl ChromeDriverPeer {
    /// Starts `chromedriver` on a free loopback port, waiting until it is
    /// ready for sessions; fails naming `chromium` or `chromedriver` when
    /// either is not installed.
    pub async fn start() -> Result<Self, PeerError> {
        let chromium = require_tool("chromium", CHROMIUM_HINT)?;
        let driver = require_tool("chromedriver", CHROMEDRIVER_HINT)?;
        ensure_dir(&logs_dir())?;
        start_on_free_port(|port| {
            let mut command = Command::new(&driver);
            command.arg(format!("--port={port}"));
            let chromium = chromium.clone();
            async move {
                let log = logs_dir().join(format!("chromedriver-{port}.log"));
                let process = PeerProcess::spawn(PEER, &command, &log)?;
                let url = format!("http://127.0.0.1:{port}");
                let probe = Probe {
                    url: format!("{url}/status"),
                    expect: "\"ready\":true",
                    timeout: START_TIMEOUT,
                    interval: Duration::from_millis(100),
                };
                wait_until_ready(&process, &probe).await?;
                Ok(Self {
                    process,
                    url,
                    chromium,
                })
            }
        })
        .await
    }

    /// The `chromedriver` shared by every test in this test binary.
    pub async fn shared() -> Result<&'static Self, PeerError> {
        SHARED.get_or_try_init(Self::start).await
    }

    /// Opens a headless Chromium with a fresh profile under
    /// `<target>/browser/`, its window `width` × `height` pixels.
    pub async fn browser(&self, width: u32, height: u32) -> Result<Browser, PeerError> {
        let profile = target_dir()
            .join("browser")
            .join(format!("profile-{}", uuid::Uuid::new_v4()));
        ensure_dir(&profile)?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({"binary": self.chromium, "args": args}),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .map_err(|error| PeerError::Session {
                peer: PEER,
                message: error.to_string(),
                log: LogExcerpt::read(self.process.log_path(), 40),
            })?;
        Ok(Browser {
            client,
            profile,
            log: self.process.log_path().to_path_buf(),
        })
    }

    /// The supervised process (pid, log).
    pub fn process(&self) -> &PeerProcess {
        &self.process
    }
}

impl fmt::Debug for ChromeDriverPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChromeDriverPeer")
            .field("url", &self.url)
            .field("process", &self.process)
            .finish_non_exhaustive()
    }
}

/// One headless Chromium session. Call [`close`](Self::close) at the end
/// of a test; the profile stays under the target dir for a look afterwards.
pub struct Browser {
    /// The WebDriver client: `goto`, `find`, `screenshot`, ...
    pub client: Client,
    profile: PathBuf,
    /// The `chromedriver` log, for errors.
    log: PathBuf,
}

impl Browser {
    /// Saves a screenshot of the window as `<target>/screenshots/<name>.png`
    /// and returns its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, PeerError> {
        let dir = target_dir().join("screenshots");
        ensure_dir(&dir)?;
        let path = dir.join(format!("{name}.png"));
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|error| PeerError::Session {
                peer: PEER,
                message: format!("screenshot: {error}"),
                log: LogExcerpt::read(&self.log, 40),
            })?;
        std::fs::write(&path, png).map_err(|e| PeerError::io("write", &path, e))?;
        Ok(path)
    }

    /// The profile directory.
    pub fn profile(&self) -> &Path {
        &self.profile
    }

    /// Ends the session (Chromium exits).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
