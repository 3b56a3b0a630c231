//! Running an example binary as a user would: on a free loopback port, with
//! a chosen environment, until it is ready; stopped with SIGTERM.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Every variable that picks or configures a gateway: cleared before each
/// start so the machine's environment cannot leak into a test.
const GATEWAY_VARS: &[&str] = &[
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "PORTKEY_API_KEY",
    "PORTKEY_BASE_URL",
    "PORTKEY_VIRTUAL_KEY",
    "LITELLM_PROXY_API_BASE",
    "LITELLM_PROXY_API_KEY",
    // not a gateway's, but it would make the dashboard ask for a token
    "FASTAGENTIC_DASHBOARD_TOKEN",
];

/// An example binary serving on loopback.
pub struct Example {
    child: Child,
    base: String,
}

impl Example {
    /// Starts `binary` with `env` on a free port and waits until `GET /ready` answers.
    pub async fn start(binary: &str, env: &[(&str, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(binary);
        command
            .env("FASTAGENTIC_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info");
        for var in GATEWAY_VARS {
            command.env_remove(var);
        }
        for (var, value) in env {
            command.env(var, value);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let example = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        while !http
            .get(example.url("/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{binary} did not become ready with {env:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        example
    }

    /// The URL of `path` on the example.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM, waits for the exit (10 s at most), and returns the exit
    /// status with everything the example logged.
    pub fn stop(mut self) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the example did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut log = String::new();
        std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut log).unwrap();
        (status, log)
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
