//! The `portkey_premium` example, run as written: each endpoint's requests
//! reach Portkey with that endpoint's own config, and the app's default
//! gateway serves the rest.
//!
//! The example builds its gateways with `PortkeyGateway::new()`, which reads
//! `PORTKEY_API_KEY` and `PORTKEY_BASE_URL`. Environment variables are
//! process-wide, so the example's app runs in a child process of this test
//! binary, pointed at a `MockProvider` standing in for hosted Portkey.

#[allow(dead_code)]
#[path = "../../examples/src/bin/portkey_premium.rs"]
mod example;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fastagentic::testing::MockProvider;
use serde_json::{Value, json};

/// Serves the example's app and prints its address; runs until stdin closes.
#[tokio::test]
#[ignore = "helper, run in a child process by each_endpoint_sends_its_own_config"]
async fn helper_serve_the_example() {
    let app = example::app()
        .spawn("127.0.0.1:0")
        .await
        .expect("the example starts");
    println!("SERVING {}", app.url());
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().lines().count()).await;
    app.shutdown().await.expect("shutdown");
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn ask(url: &str, path: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .json(&json!({"message": "Hello!"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

fn json_header(request: &fastagentic::testing::CapturedRequest, name: &str) -> Value {
    serde_json::from_str(
        request
            .header(name)
            .unwrap_or_else(|| panic!("{name} missing")),
    )
    .expect("JSON header")
}

#[tokio::test]
async fn each_endpoint_sends_its_own_config_and_the_default_serves_the_rest() {
    let portkey = MockProvider::start().await;
    let exe = std::env::current_exe().expect("test binary");
    let mut child = KillOnDrop(
        Command::new(exe)
            .args([
                "helper_serve_the_example",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env("PORTKEY_API_KEY", "pk-example")
            .env("PORTKEY_BASE_URL", portkey.base_url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the example"),
    );
    // Read the address, then keep draining the child's output until it exits.
    let stdout = child.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, url)) = line.split_once("SERVING ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
        .await
        .expect("reader")
        .expect("the example reports its address (see its output above)");

    let premium = ask(&url, "/premium").await;
    let standard = ask(&url, "/standard").await;
    let chat = ask(&url, "/chat").await;
    assert_eq!(premium["model"], "gpt-4");
    assert_eq!(standard["model"], "gpt-3.5-turbo");
    assert_eq!(chat["model"], "gpt-4o-mini");

    let seen = portkey.requests();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(
            request.header("x-portkey-api-key"),
            Some("pk-example"),
            "PORTKEY_API_KEY"
        );
    }
    let by_model = |model: &str| {
        seen.iter()
            .find(|request| request.model() == Some(model))
            .unwrap_or_else(|| panic!("no request for {model}"))
    };

    let premium = by_model("gpt-4");
    assert_eq!(
        json_header(premium, "x-portkey-config"),
        json!({
            "strategy": {"mode": "fallback", "on_status_codes": [429, 500, 502, 503, 504]},
            "targets": [
                {"virtual_key": "openai-key", "override_params": {"model": "gpt-4"}},
                {"virtual_key": "anthropic-key", "override_params": {"model": "claude-3-opus-20240229"}}
            ],
            "retry": {"attempts": 2}
        })
    );
    assert_eq!(
        json_header(premium, "x-portkey-metadata"),
        json!({"tier": "premium"})
    );
    let trace = premium.header("x-portkey-trace-id").expect("trace id");
    assert!(trace.parse::<uuid::Uuid>().is_ok(), "the run id: {trace}");
    assert_eq!(premium.header("x-portkey-virtual-key"), None);

    let standard = by_model("gpt-3.5-turbo");
    assert_eq!(
        json_header(standard, "x-portkey-config"),
        json!({"cache": {"mode": "simple", "max_age": 600}})
    );
    assert_eq!(standard.header("x-portkey-virtual-key"), Some("openai-key"));
    assert_eq!(
        json_header(standard, "x-portkey-metadata"),
        json!({"tier": "standard"})
    );
    assert_eq!(standard.header("x-portkey-trace-id"), None);

    let default = by_model("gpt-4o-mini");
    assert_eq!(
        json_header(default, "x-portkey-config"),
        json!({"retry": {"attempts": 3, "on_status_codes": [429, 503]}})
    );
    assert_eq!(
        json_header(default, "x-portkey-metadata"),
        json!({"tier": "default"})
    );

    drop(child.0.stdin.take());
    let _ = child.0.wait();
}

#[test]
#[ignore = "helper, run in a child process by the example's start-up test"]
fn helper_build_the_example() {
    match example::app().into_router() {
        Ok(_) => println!("RESULT ok"),
        Err(error) => println!("RESULT {error}"),
    }
}

#[test]
fn without_portkey_api_key_the_example_stops_at_start_up_naming_it() {
    let exe = std::env::current_exe().expect("test binary");
    let output = Command::new(exe)
        .args([
            "helper_build_the_example",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env_remove("PORTKEY_API_KEY")
        .env_remove("PORTKEY_BASE_URL")
        .output()
        .expect("run the helper");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result = stdout
        .lines()
        .find_map(|line| line.split_once("RESULT ").map(|(_, result)| result))
        .unwrap_or_else(|| panic!("no result:\n{stdout}"));
    assert!(result.contains("PORTKEY_API_KEY"), "{result}");
}
