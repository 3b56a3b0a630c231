//! The open-source Portkey AI gateway, run with `node` on loopback.

use std::fmt;
use std::process::Command;
use std::time::Duration;

use tokio::sync::OnceCell;

use super::install::{
    InstallSpec, Installation, ensure_installed, fnv1a64, require_tool, require_tool_version,
};
use super::paths::logs_dir;
use super::port::start_on_free_port;
use super::ready::{Probe, wait_until_ready};
use super::{PeerError, PeerProcess};

/// The pinned version of npm `@portkey-ai/gateway`.
pub const PORTKEY_GATEWAY_VERSION: &str = "1.15.2";

/// The pinned version of `@hono/node-server` the gateway runs on. With the
/// 1.19.x that npm would pick, every streamed request fails with a 500
/// (`TypeError: immutable` in the gateway's log); 1.13.8 streams fine.
pub const HONO_NODE_SERVER_VERSION: &str = "1.13.8";

/// The `package.json` of the gateway's install dir: the gateway pinned, and the
/// `@hono/node-server` override. Installed with `npm ci` against the committed
/// lock file, so every install resolves the same tree.
pub const PORTKEY_PACKAGE_JSON: &str = r#"{"private": true, "dependencies": {"@portkey-ai/gateway": "1.15.2"}, "overrides": {"@hono/node-server": "1.13.8"}}
"#;

/// `package-lock.json` for [`PORTKEY_PACKAGE_JSON`], without download
/// addresses (npm takes them from its configured registry). To refresh it, in
/// an empty directory named `portkey-gateway-<version>` holding that
/// `package.json`, run
/// `npm install --package-lock-only --ignore-scripts --omit-lockfile-registry-resolved`
/// and copy the resulting `package-lock.json` over this file.
const PACKAGE_LOCK: &str = include_str!("portkey-package-lock.json");

const PEER: &str = "Portkey gateway 1.15.2";
const DIR_NAME: &str = "portkey-gateway-1.15.2";
const ENTRY: &str = "node_modules/@portkey-ai/gateway/build/start-server.js";
const READY_BODY: &str = "AI Gateway says hey!";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const NODE_HINT: &str = "install Node.js 20+ (Debian packages nodejs and npm)";
const NPM_HINT: &str = "install Node.js 20+ with npm (Debian packages nodejs and npm)";

/// The gateway shared by every test of one test binary.
static SHARED: OnceCell<PortkeyPeer> = OnceCell::const_new();

/// A running Portkey gateway on `127.0.0.1`. Dropping it stops the gateway;
/// so does the end of the test process.
///
/// ```no_run
/// # async fn demo() {
/// use fastagentic_tests::peers::PortkeyPeer;
/// let portkey = PortkeyPeer::shared().await.expect("Portkey gateway");
/// let url = format!("{}/chat/completions", portkey.v1_url());
/// // send with headers x-portkey-provider: openai,
/// // x-portkey-custom-host: <your mock>/v1, Authorization: Bearer <key>
/// # let _ = url; }
/// ```
pub struct PortkeyPeer {
    process: PeerProcess,
    port: u16,
    base_url: String,
    v1_url: String,
    started_in: Duration,
}

impl PortkeyPeer {
    /// Installs the pinned gateway under [`peers_dir`](super::peers_dir) unless
    /// an earlier install is there: `npm ci --ignore-scripts` in
    /// `portkey-gateway-1.15.2/` with the committed `package.json` and lock.
    pub async fn install() -> Result<Installation, PeerError> {
        let spec = InstallSpec {
            peer: PEER,
            dir_name: DIR_NAME,
            identity: format!(
                "@portkey-ai/gateway {PORTKEY_GATEWAY_VERSION}\n\
                 @hono/node-server {HONO_NODE_SERVER_VERSION} (override)\n\
                 manifests fnv1a64 {:016x}\n",
                fnv1a64(&[PORTKEY_PACKAGE_JSON, PACKAGE_LOCK])
            ),
            entry: ENTRY,
        };
        ensure_installed(spec, |installer| {
            let npm = require_tool("npm", NPM_HINT)?;
            require_tool_version("node", (20, 0), "Node.js 20+", NODE_HINT)?;
            installer.write("package.json", PORTKEY_PACKAGE_JSON)?;
            installer.write("package-lock.json", PACKAGE_LOCK)?;
            let mut npm_ci = Command::new(npm);
            npm_ci
                // The gateway's only install script runs patch-package, which
                // is for its own development; skipping scripts is also safer.
                .args([
                    "ci",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=warn",
                ])
                .env("npm_config_update_notifier", "false")
                .current_dir(installer.dir());
            installer.run(&npm_ci)
        })
        .await
    }

    /// Installs the gateway if needed and starts a new one on a free loopback
    /// port, waiting until `GET /` answers (at most 60 s).
    pub async fn start() -> Result<Self, PeerError> {
        let installation = Self::install().await?;
        let node = require_tool("node", NODE_HINT)?;
        let entry = installation.dir.join(ENTRY);
        start_on_free_port(|port| {
            let mut command = Command::new(&node);
            command
                .arg(&entry)
                .arg(format!("--port={port}"))
                .arg("--headless")
                .current_dir(&installation.dir);
            async move {
                let log = logs_dir().join(format!("portkey-{port}.log"));
                let process = PeerProcess::spawn(PEER, &command, &log)?;
                let base_url = format!("http://127.0.0.1:{port}");
                let probe = Probe {
                    url: format!("{base_url}/"),
                    expect: READY_BODY,
                    timeout: START_TIMEOUT,
                    interval: Duration::from_millis(100),
                };
                let started_in = wait_until_ready(&process, &probe).await?;
                Ok(Self {
                    process,
                    port,
                    v1_url: format!("{base_url}/v1"),
                    base_url,
                    started_in,
                })
            }
        })
        .await
    }

    /// The gateway shared by every test in this test binary, started by the
    /// first caller. It stops when the test process exits.
    ///
    /// One gateway serves every test: each request names its own upstream in
    /// `x-portkey-custom-host`. If starting fails, the error goes to that
    /// caller and the next caller tries again.
    pub async fn shared() -> Result<&'static Self, PeerError> {
        SHARED.get_or_try_init(Self::start).await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `http://127.0.0.1:PORT/v1`, the OpenAI-compatible API root.
    pub fn v1_url(&self) -> &str {
        &self.v1_url
    }

    /// The loopback port the gateway listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How long the gateway took from spawn to answering `GET /`.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The supervised process (pid, log).
    pub fn process(&self) -> &PeerProcess {
        &self.process
    }
}

impl fmt::Debug for PortkeyPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortkeyPeer")
            .field("base_url", &self.base_url)
            .field("process", &self.process)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_pins_the_gateway_and_the_override() {
        let manifest: serde_json::Value =
            serde_json::from_str(PORTKEY_PACKAGE_JSON).expect("valid JSON");
        assert_eq!(
            manifest["dependencies"]["@portkey-ai/gateway"],
            PORTKEY_GATEWAY_VERSION
        );
        assert_eq!(
            manifest["overrides"]["@hono/node-server"],
            HONO_NODE_SERVER_VERSION
        );
        assert_eq!(
            DIR_NAME,
            format!("portkey-gateway-{PORTKEY_GATEWAY_VERSION}")
        );
        assert_eq!(PEER, format!("Portkey gateway {PORTKEY_GATEWAY_VERSION}"));
    }

    #[test]
    fn lock_matches_package_json() {
        let lock: serde_json::Value = serde_json::from_str(PACKAGE_LOCK).expect("valid JSON");
        let packages = &lock["packages"];
        assert_eq!(
            packages[""]["dependencies"]["@portkey-ai/gateway"],
            PORTKEY_GATEWAY_VERSION
        );
        assert_eq!(
            packages["node_modules/@portkey-ai/gateway"]["version"],
            PORTKEY_GATEWAY_VERSION
        );
        assert_eq!(
            packages["node_modules/@hono/node-server"]["version"],
            HONO_NODE_SERVER_VERSION
        );
        let with_address = packages
            .as_object()
            .expect("packages is an object")
            .iter()
            .filter(|(_, package)| package.get("resolved").is_some())
            .count();
        assert_eq!(
            with_address, 0,
            "the lock must not record download addresses"
        );
    }
}
