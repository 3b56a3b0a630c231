//! Real Redis for the scale-out tests: one `redis-server` on a free loopback
//! port, or a three-node Redis Cluster, each without persistence, stopped
//! when dropped (and when the test process ends, see [`PeerProcess`]).

use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::error::LogExcerpt;
use super::install::require_tool;
use super::paths::{ensure_dir, logs_dir};
use super::port::start_on_free_port;
use super::{PeerError, PeerProcess};

const PEER: &str = "redis-server";
const HINT: &str = "install Redis (Debian package redis-server, which also brings redis-cli)";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `redis-server` on `127.0.0.1` (`--save '' --appendonly no`).
/// A cluster node keeps its cluster config file (`nodes.conf`) in a folder
/// of its own, `<logs>/redis-cluster-<port>/`, so a node restarted on its
/// port rejoins its cluster with the hash slots it owned (and no data).
///
/// ```no_run
/// # async fn demo() {
/// use fastagentic_tests::peers::RedisPeer;
/// let redis = RedisPeer::start().await.expect("redis-server");
/// let url = redis.url(); // redis://127.0.0.1:PORT
/// # let _ = url; }
/// ```
#[derive(Debug)]
pub struct RedisPeer {
    process: Option<PeerProcess>,
    port: u16,
    cluster: bool,
}

impl RedisPeer {
    /// Starts a server on a free loopback port and waits until it answers `PING`.
    pub async fn start() -> Result<Self, PeerError> {
        start_on_free_port(|port| Self::start_on(port, false, true)).await
    }

    /// Starts a server on `port`; a cluster node starting `fresh` forgets
    /// the cluster it was in (its config file is removed first).
    async fn start_on(port: u16, cluster: bool, fresh: bool) -> Result<Self, PeerError> {
        let server = require_tool("redis-server", HINT)?;
        let dir = logs_dir();
        ensure_dir(&dir)?;
        let mut command = Command::new(server);
        command.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]);
        command.current_dir(&dir);
        if cluster {
            let node_dir = dir.join(format!("redis-cluster-{port}"));
            ensure_dir(&node_dir)?;
            let config = node_dir.join("nodes.conf");
            if fresh {
                let _ = std::fs::remove_file(&config);
            }
            command
                .args(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"])
                .arg("--cluster-config-file")
                .arg(&config);
            command.current_dir(&node_dir);
        }
        let log = dir.join(format!("redis-{port}.log"));
        let process = PeerProcess::spawn(PEER, &command, &log)?;
        wait_for_pong(&process, port).await?;
        Ok(Self {
            process: Some(process),
            port,
            cluster,
        })
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (SIGTERM, then SIGKILL), as a crash would: every
    /// client's connection drops. Its data is gone (no persistence).
    pub fn kill(&mut self) {
        drop(self.process.take());
    }

    /// Starts it again on the same port, empty (a cluster node rejoins its
    /// cluster, owning the slots it owned).
    pub async fn restart(&mut self) -> Result<(), PeerError> {
        self.kill();
        let again = Self::start_on(self.port, self.cluster, false).await?;
        *self = again;
        Ok(())
    }

    /// Whether it runs.
    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }

    /// Every key it holds (`redis-cli --scan`; a cluster node: the keys of
    /// its own slots).
    pub fn keys(&self) -> Result<Vec<String>, PeerError> {
        Ok(self.cli(&["--scan"])?.lines().map(str::to_owned).collect())
    }

    /// How many scripts it has run (`EVAL` and `EVALSHA` calls, from `INFO
    /// commandstats`).
    pub fn script_calls(&self) -> Result<u64, PeerError> {
        let stats = self.cli(&["INFO", "commandstats"])?;
        Ok(stats
            .lines()
            .filter(|line| {
                line.starts_with("cmdstat_eval:") || line.starts_with("cmdstat_evalsha:")
            })
            .filter_map(|line| {
                let calls = line.split("calls=").nth(1)?.split(',').next()?;
                calls.parse::<u64>().ok()
            })
            .sum())
    }

    /// What `redis-cli` prints for `args` against this server.
    fn cli(&self, args: &[&str]) -> Result<String, PeerError> {
        let cli = require_tool("redis-cli", HINT)?;
        let output = Command::new(&cli)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .map_err(|source| PeerError::Spawn {
                peer: PEER,
                program: "redis-cli".to_owned(),
                source,
            })?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// Three `redis-server`s joined into a Redis Cluster (`redis-cli --cluster
/// create ... --cluster-replicas 0`): every hash slot has one owner.
#[derive(Debug)]
pub struct RedisClusterPeer {
    nodes: Vec<RedisPeer>,
}

impl RedisClusterPeer {
    /// Starts three nodes and creates the cluster, waiting until it reports
    /// `cluster_state:ok` on every node.
    pub async fn start() -> Result<Self, PeerError> {
        let cli = require_tool("redis-cli", HINT)?;
        let mut nodes = Vec::new();
        for _ in 0..3 {
            nodes.push(start_on_free_port(|port| RedisPeer::start_on(port, true, true)).await?);
        }
        let mut create = Command::new(&cli);
        create.args(["--cluster", "create"]);
        for node in &nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        create.args(["--cluster-replicas", "0", "--cluster-yes"]);
        let output = tokio::task::spawn_blocking(move || create.output())
            .await
            .map_err(|e| PeerError::Task {
                peer: "Redis Cluster",
                reason: e.to_string(),
            })?
            .map_err(|e| PeerError::Spawn {
                peer: "Redis Cluster",
                program: "redis-cli".to_owned(),
                source: e,
            })?;
        if !output.status.success() {
            let log = logs_dir().join("redis-cluster-create.log");
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            let _ = std::fs::write(&log, text);
            return Err(PeerError::InstallFailed {
                peer: "Redis Cluster",
                command: "redis-cli --cluster create".to_owned(),
                outcome: format!("ended with {}", output.status),
                log: LogExcerpt::read(&log, 40),
            });
        }
        let cluster = Self { nodes };
        cluster.wait_until_ok().await?;
        Ok(cluster)
    }

    /// Waits until every running node reports `cluster_state:ok`.
    async fn wait_until_ok(&self) -> Result<(), PeerError> {
        let started = Instant::now();
        for node in self.nodes.iter().filter(|node| node.is_running()) {
            loop {
                let info = command_reply(node.port, "CLUSTER INFO")
                    .await
                    .unwrap_or_default();
                if info.contains("cluster_state:ok") {
                    break;
                }
                if started.elapsed() > START_TIMEOUT {
                    return Err(PeerError::StartTimeout {
                        peer: "Redis Cluster",
                        url: format!("redis://127.0.0.1:{} CLUSTER INFO", node.port),
                        waited: START_TIMEOUT,
                        last_probe: info,
                        log: LogExcerpt::read(
                            &logs_dir().join(format!("redis-{}.log", node.port)),
                            40,
                        ),
                    });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Kills node `index` (see [`RedisPeer::kill`]): the slots it owns stop
    /// answering, and once the others notice (2 s) the whole cluster
    /// reports `cluster_state:fail` until it is back.
    pub fn kill_node(&mut self, index: usize) {
        self.nodes[index].kill();
    }

    /// Restarts node `index` on its port, empty: it rejoins the cluster
    /// from its config file; waits until every node reports
    /// `cluster_state:ok` again.
    pub async fn restart_node(&mut self, index: usize) -> Result<(), PeerError> {
        self.nodes[index].restart().await?;
        self.wait_until_ok().await
    }

    /// Every node's URL, comma-separated: what `REDIS_URL` takes for a cluster.
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(RedisPeer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every key of every running node.
    pub fn keys(&self) -> Result<Vec<String>, PeerError> {
        let mut keys = Vec::new();
        for node in self.nodes.iter().filter(|node| node.is_running()) {
            keys.extend(node.keys()?);
        }
        Ok(keys)
    }

    /// How many scripts its running nodes have run.
    pub fn script_calls(&self) -> Result<u64, PeerError> {
        let mut calls = 0;
        for node in self.nodes.iter().filter(|node| node.is_running()) {
            calls += node.script_calls()?;
        }
        Ok(calls)
    }

    /// The nodes.
    pub fn nodes(&self) -> &[RedisPeer] {
        &self.nodes
    }
}

/// Sends one inline command and reads what comes back within a second.
async fn command_reply(port: u16, command: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .await?;
    let mut buffer = vec![0u8; 8192];
    let read = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no reply"))??;
    Ok(String::from_utf8_lossy(&buffer[..read]).into_owned())
}

async fn wait_for_pong(process: &PeerProcess, port: u16) -> Result<(), PeerError> {
    let started = Instant::now();
    loop {
        if let Some(status) = process.exit_status() {
            return Err(PeerError::Exited {
                peer: PEER,
                status: status.to_string(),
                log: LogExcerpt::read(process.log_path(), 40),
            });
        }
        let last = match command_reply(port, "PING").await {
            Ok(reply) if reply.starts_with("+PONG") => return Ok(()),
            Ok(reply) => reply,
            Err(error) => error.to_string(),
        };
        if started.elapsed() > START_TIMEOUT {
            return Err(PeerError::StartTimeout {
                peer: PEER,
                url: format!("redis://127.0.0.1:{port} PING"),
                waited: START_TIMEOUT,
                last_probe: last,
                log: LogExcerpt::read(process.log_path(), 40),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
