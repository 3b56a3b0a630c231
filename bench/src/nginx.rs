//! nginx as the reference proxy (issue 17): the distribution's package,
//! started by the harness with a config it writes under the output
//! directory, proxying to the same upstream as every other path.
//!
//! The config is what a careful operator writes for an LLM proxy: two
//! workers (one per core), `proxy_buffering off` so each streamed chunk is
//! forwarded when it arrives, keep-alive connections to the upstream and
//! to clients, no access log, and an accept queue as deep as FastAgentic's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fastagentic_tests::peers::{PeerProcess, free_loopback_port};

/// Where the distribution installs nginx, tried when `PATH` has none (a
/// non-root `PATH` often lacks `sbin`).
const SBIN_NGINX: &str = "/usr/sbin/nginx";

/// How long nginx may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running nginx, stopped (master and workers) when dropped.
pub struct Nginx {
    process: PeerProcess,
    addr: SocketAddr,
}

impl Nginx {
    /// Starts nginx in front of `upstream` on a free loopback port, its
    /// config, pid file and temp directories in `dir`. Fails naming nginx
    /// when it is not installed or does not start.
    pub async fn start(upstream: SocketAddr, dir: &Path) -> Result<Self, String> {
        let program = find_nginx().ok_or_else(|| {
            format!(
                "nginx is not installed (looked on PATH and at {SBIN_NGINX}); install the distribution's package (Debian: nginx-light or nginx)"
            )
        })?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // nginx reads relative paths against its prefix: give it absolute ones.
        let dir = &std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = free_loopback_port().map_err(|e| e.to_string())?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(upstream, addr, dir))
            .map_err(|e| format!("{}: {e}", conf.display()))?;
        let log = dir.join("nginx.log");
        let mut command = Command::new(&program);
        command
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.join("error.log"));
        let process = PeerProcess::spawn("nginx", &command, &log).map_err(|e| e.to_string())?;
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(Self { process, addr });
            }
            if process.exit_status().is_some() || started.elapsed() > START_TIMEOUT {
                let log = std::fs::read_to_string(dir.join("error.log"))
                    .unwrap_or_else(|_| process.log_tail(20));
                let said: Vec<&str> = log.lines().filter(|l| !l.starts_with('#')).collect();
                return Err(format!(
                    "nginx ({}) did not start on {addr}: {}",
                    program.display(),
                    said.join(" / ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The supervisor's pid: the master and its workers run below it.
    pub fn supervisor(&self) -> u32 {
        self.process.pid()
    }
}

/// nginx on `PATH`, else the distribution's path.
fn find_nginx() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("nginx"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| Some(PathBuf::from(SBIN_NGINX)).filter(|p| p.is_file()))
}

/// The generated config: a reverse proxy from `listen` to `upstream`.
fn config(upstream: SocketAddr, listen: SocketAddr, dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "# Written by fastagentic-bench: nginx as the reference proxy.
daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile 65536;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;

events {{
    worker_connections 32768;
    multi_accept on;
}}

http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 75s;

    upstream llm {{
        server {upstream};
        keepalive 256;
        keepalive_requests 100000000;
    }}

    server {{
        listen {listen} backlog=4096;
        location / {{
            proxy_pass http://llm;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}
    }}
}}
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_proxies_unbuffered_with_keep_alive() {
        let up = SocketAddr::from(([127, 0, 0, 1], 8001));
        let listen = SocketAddr::from(([127, 0, 0, 1], 8002));
        let text = config(up, listen, Path::new("out/nginx"));
        for needle in [
            "server 127.0.0.1:8001;",
            "listen 127.0.0.1:8002 backlog=4096;",
            "proxy_buffering off;",
            "keepalive 256;",
            "proxy_set_header Connection \"\";",
            "worker_processes 2;",
            "pid out/nginx/nginx.pid;",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
    }
}
