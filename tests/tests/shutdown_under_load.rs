//! Shutdown under load, as a deployment sees it: the app runs in its own
//! process (`App::serve_with_shutdown` on `shutdown_signal()`), 500 requests
//! are in flight through the OpenAI-compatible route (a fifth of them
//! streams) plus one stream longer than the drain timeout, and the process
//! gets SIGTERM. Then: `/ready` answers 503 during the drain delay, new
//! connections are refused after it while requests are still in flight,
//! every one of the 500 completes, the long stream ends with an SSE error
//! event (not a cut), and the process exits cleanly.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

const CHILD: &str = "FASTAGENTIC_TEST_SHUTDOWN_CHILD";
const UPSTREAM: &str = "FASTAGENTIC_TEST_SHUTDOWN_UPSTREAM";

const PLAIN: usize = 400;
const STREAMS: usize = 100;
/// Each in-flight request takes this long upstream.
const WORK: Duration = Duration::from_secs(4);
const DRAIN_DELAY: Duration = Duration::from_secs(1);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

/// The app, in the child process: serves until SIGTERM.
#[tokio::test]
#[ignore = "run by shutdown_under_load_drains_every_request_in_flight in its own process"]
async fn helper_app_until_sigterm() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let upstream = std::env::var(UPSTREAM).expect("the upstream's URL");
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .try_init();
    let listener = fastagentic::listen("127.0.0.1:0").await.expect("a port");
    println!("LISTENING http://{}", listener.local_addr().unwrap());
    App::new("Shutdown under load")
        .without_inventory()
        .openai_compatible("/v1")
        .llm_gateway(OpenAiGateway::new("sk-test").base_url(upstream))
        .drain_delay(DRAIN_DELAY)
        .shutdown_timeout(DRAIN_TIMEOUT)
        .serve_with_shutdown(listener, fastagentic::shutdown_signal())
        .await
        .expect("a clean shutdown");
    println!("STOPPED");
}

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

/// One request to the child's OpenAI-compatible route: (status, body).
async fn send(http: &reqwest::Client, base: &str, body: Value) -> (u16, String) {
    match http
        .post(format!("{base}/v1/chat/completions"))
        .json(&body)
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response
                .text()
                .await
                .unwrap_or_else(|error| format!("BODY CUT: {error}"));
            (status, text)
        }
        Err(error) => (0, format!("REQUEST FAILED: {error}")),
    }
}

/// A GET on a new connection: the status, or None when refused.
async fn get_fresh(base: &str, path: &str) -> Option<u16> {
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = fresh.get(format!("{base}{path}")).send().await.ok()?;
    Some(response.status().as_u16())
}

/// Polls `check` every 20 ms until it holds (up to `limit`).
async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let until = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < until {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn shutdown_under_load_drains_every_request_in_flight() {
    let upstream = MockProvider::start().await;
    upstream.on_model("plain", MockReply::text("done").delay(WORK));
    // 20 chunks, one every 200 ms: 4 s.
    upstream.on_model(
        "streamed",
        MockReply::repeat("tick ", 20).chunk_interval(WORK / 20),
    );
    // Longer than the drain delay and timeout together.
    upstream.on_model(
        "endless",
        MockReply::repeat("tock ", 1_000).chunk_interval(Duration::from_millis(100)),
    );

    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "helper_app_until_sigterm",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(UPSTREAM, upstream.base_url())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the app's process starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    // The app's log, kept for the failure messages (and so the pipe never fills).
    let log = {
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            let mut log = String::new();
            while let Ok(Some(line)) = stderr.next_line().await {
                log.push_str(&line);
                log.push('\n');
            }
            log
        })
    };
    let base = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), stdout.next_line())
            .await
            .expect("the app says where it listens")
            .unwrap()
            .expect("the app is running");
        // The harness may print `test <name> ... ` before it on the same line.
        if let Some((_, url)) = line.split_once("LISTENING ") {
            break url.trim().to_owned();
        }
    };
    assert!(
        eventually(Duration::from_secs(30), async || get_fresh(&base, "/ready")
            .await
            == Some(200))
        .await,
        "the app gets ready"
    );

    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let completed = Arc::new(AtomicUsize::new(0));
    let requests: Vec<_> = (0..PLAIN + STREAMS)
        .map(|i| {
            let (http, base, completed) = (http.clone(), base.clone(), completed.clone());
            tokio::spawn(async move {
                let body = if i < PLAIN {
                    chat("plain", false)
                } else {
                    chat("streamed", true)
                };
                let answer = send(&http, &base, body).await;
                completed.fetch_add(1, Ordering::SeqCst);
                answer
            })
        })
        .collect();
    let endless = {
        let (http, base) = (http.clone(), base.clone());
        tokio::spawn(async move { send(&http, &base, chat("endless", true)).await })
    };
    assert!(
        eventually(Duration::from_secs(60), async || upstream.request_count()
            > PLAIN + STREAMS)
        .await,
        "every request reached the upstream: {}",
        upstream.request_count()
    );

    let pid = child.id().expect("running").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(kill.success());

    // During the drain delay: still accepting, and /ready says 503.
    assert!(
        eventually(DRAIN_DELAY, async || get_fresh(&base, "/ready").await
            == Some(503))
        .await,
        "/ready answers 503 once shutdown began"
    );
    // After it: new connections are refused, while requests are in flight.
    assert!(
        eventually(Duration::from_secs(3), async || get_fresh(&base, "/health")
            .await
            .is_none())
        .await,
        "new connections are refused after the drain delay"
    );
    let done_at_refusal = completed.load(Ordering::SeqCst);
    assert!(
        done_at_refusal < PLAIN + STREAMS,
        "requests were still in flight when accepting stopped ({done_at_refusal} done)"
    );

    // Every request in flight completes.
    let answers = join_all(requests).await;
    let mut failures = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        let (status, body) = answer.expect("the request task");
        let complete = if i < PLAIN {
            status == 200 && body.contains("\"done\"")
        } else {
            status == 200
                && body.ends_with("data: [DONE]\n\n")
                && body.matches("tick").count() == 20
        };
        if !complete {
            failures.push(format!("#{i}: {status} {body:.200}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} did not complete:\n{}",
        failures.len(),
        PLAIN + STREAMS,
        failures.join("\n")
    );

    // The stream longer than the drain timeout ends with an error event.
    let (status, body) = endless.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("event: error\ndata: ") && body.contains("shutting_down"),
        "an SSE error event, not a cut: ...{}",
        &body[body.len().saturating_sub(300)..]
    );
    assert!(!body.contains("[DONE]"), "it did not finish: it was ended");

    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the app exits after draining")
        .unwrap();
    let mut rest = String::new();
    while let Ok(Some(line)) = stdout.next_line().await {
        rest.push_str(&line);
        rest.push('\n');
    }
    let log = log.await.unwrap_or_default();
    assert!(status.success(), "clean exit: {status:?}\n{rest}\n{log}");
    assert!(rest.contains("STOPPED"), "{rest}\n{log}");
    assert!(
        log.contains("drain timeout (8s) reached: ending open streams with an error event"),
        "{log}"
    );
    eprintln!(
        "shutdown under load: {} of {} completed (+1 stream ended with an error event); {done_at_refusal} were done when accepting stopped",
        PLAIN + STREAMS,
        PLAIN + STREAMS
    );
}
