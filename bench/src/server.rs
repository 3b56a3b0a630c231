//! Servers under test, each in its own process: the bench binary runs
//! itself with a `serve-*` subcommand, so each server's peak RSS is its own
//! and no server shares a runtime with the load generator.
//!
//! Protocol: the child binds `127.0.0.1:0`, prints `LISTENING <addr>` on
//! stdout, and exits when its stdin closes (the parent dropped it, or died).

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStdin, Command};

use crate::fastagentic_server::{self, Gateway};
use crate::workload::SeedConfig;
use crate::{baseline, procfs, upstream};

/// The environment variable that hands the LiteLLM master key to `serve-fastagentic --litellm`.
pub const LITELLM_KEY_ENV: &str = "FASTAGENTIC_BENCH_LITELLM_KEY";

/// The `serve-*` subcommands.
pub const SUBCOMMANDS: [&str; 3] = ["serve-upstream", "serve-baseline", "serve-fastagentic"];

/// Runs a `serve-*` subcommand until stdin closes.
pub fn serve_main(command: &str, args: &[String]) -> ExitCode {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    // The lifeline: stdin closing means the harness is gone.
    std::thread::spawn(|| {
        let stdin = std::io::stdin();
        let mut line = String::new();
        while stdin.lock().read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
        }
        std::process::exit(0);
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{command}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let upstream_v1 = flag("--upstream").unwrap_or_default();
    let result: Result<(), String> = runtime.block_on(async move {
        match command {
            "serve-upstream" => {
                let listener = bind_deep().await?;
                let interval = flag("--interval-ms")
                    .and_then(|ms| ms.parse().ok())
                    .map_or(upstream::CHUNK_INTERVAL, Duration::from_millis);
                let chunks = flag("--chunks")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(upstream::STREAM_CHUNKS);
                announce(listener.local_addr().map_err(|e| e.to_string())?);
                upstream::serve(listener, interval, chunks).await;
                Ok(())
            }
            "serve-baseline" => {
                let listener = bind().await?;
                announce(listener.local_addr().map_err(|e| e.to_string())?);
                baseline::serve(listener, &upstream_v1)
                    .await
                    .map_err(|e| e.to_string())
            }
            "serve-fastagentic" => {
                let seed = match flag("--portkey-config") {
                    Some(name) => Some(
                        SeedConfig::from_name(&name)
                            .ok_or_else(|| format!("--portkey-config: no seed config `{name}`"))?,
                    ),
                    None => None,
                };
                let gateway = match (flag("--portkey"), flag("--litellm"), seed) {
                    (Some(portkey_v1), _, Some(config)) => Gateway::PortkeyConfigRemote {
                        config,
                        portkey_v1,
                        upstream_v1,
                    },
                    (None, None, Some(config)) => Gateway::PortkeyInProcess {
                        config,
                        upstream_v1,
                    },
                    (Some(portkey_v1), _, None) => Gateway::Portkey {
                        portkey_v1,
                        upstream_v1,
                    },
                    (None, Some(base_url), _) => Gateway::LiteLlm {
                        base_url,
                        // The key comes through the environment, not the command line.
                        api_key: std::env::var(LITELLM_KEY_ENV).unwrap_or_default(),
                    },
                    (None, None, None) => Gateway::OpenAi { upstream_v1 },
                };
                let extras = fastagentic_server::Extras {
                    hooks: !args.iter().any(|a| a == "--no-hooks"),
                    metrics: !args.iter().any(|a| a == "--no-metrics"),
                    dashboard: args.iter().any(|a| a == "--dashboard"),
                };
                let handle = fastagentic_server::spawn(gateway, extras).await?;
                announce(handle.addr());
                std::future::pending::<()>().await;
                Ok(())
            }
            other => Err(format!("unknown subcommand {other}")),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{command}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A loopback listener on a free port, as minimal code binds one
/// (`TcpListener::bind`: an accept queue of 1,024).
async fn bind() -> Result<TcpListener, String> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind 127.0.0.1:0: {e}"))
}

/// The fast upstream's listener, with FastAgentic's accept queue (4,096;
/// nginx asks for 511 unless told more), so that bursts of thousands of
/// streams never wait on the upstream's accept queue.
async fn bind_deep() -> Result<TcpListener, String> {
    fastagentic::listen("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())
}

fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "LISTENING {addr}");
    let _ = out.flush();
}

/// A server under test running in a child process.
pub struct ServerProcess {
    name: String,
    child: Child,
    pid: u32,
    addr: SocketAddr,
    /// Dropping it closes the child's stdin: the child exits.
    _lifeline: ChildStdin,
}

impl ServerProcess {
    /// Starts `fastagentic-bench <args>` and waits until it listens.
    /// Returns the server and the time from spawn to listening. Its stderr
    /// goes to `<log_dir>/<name>.log`.
    pub async fn spawn(name: &str, args: &[String], log_dir: &Path) -> Result<Self, String> {
        Self::spawn_with_env(name, args, &[], log_dir).await
    }

    /// Like [`spawn`](Self::spawn), with extra environment variables.
    pub async fn spawn_with_env(
        name: &str,
        args: &[String],
        env: &[(&str, String)],
        log_dir: &Path,
    ) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        std::fs::create_dir_all(log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
        let log_path = log_dir.join(format!("{name}.log"));
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let mut child = Command::new(exe)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawn {name}: {e}"))?;
        let pid = child.id().ok_or("the child has no pid")?;
        let lifeline = child.stdin.take().ok_or("no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| {
                format!(
                    "{name} did not start within 60 s; see {}",
                    log_path.display()
                )
            })?
            .map_err(|e| format!("{name}: {e}"))?
            .ok_or_else(|| format!("{name} exited at start-up; see {}", log_path.display()))?;
        let addr = line
            .strip_prefix("LISTENING ")
            .and_then(|a| a.trim().parse().ok())
            .ok_or_else(|| format!("{name} said {line:?} instead of LISTENING <addr>"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            pid,
            addr,
            _lifeline: lifeline,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Its peak RSS so far, in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        procfs::peak_rss_kib(self.pid).map(|kib| kib as f64 / 1024.0)
    }

    /// Resets its peak RSS to its current RSS.
    pub fn reset_peak_rss(&self) {
        procfs::reset_peak_rss(self.pid);
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            eprintln!("bench: {} did not stop within 5 s", self.name);
        }
    }
}

/// Spawns a server and measures start-up to first served request: from
/// spawning the process until `probe` (a request to it) first succeeds.
pub async fn time_to_first_request<F, Fut>(
    name: &str,
    args: &[String],
    log_dir: &Path,
    probe: F,
) -> Result<(ServerProcess, Duration), String>
where
    F: Fn(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    let server = ServerProcess::spawn(name, args, log_dir).await?;
    let deadline = started + Duration::from_secs(60);
    loop {
        if probe(server.addr()).await {
            return Ok((server, started.elapsed()));
        }
        if Instant::now() > deadline {
            return Err(format!("{name} served no request within 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
