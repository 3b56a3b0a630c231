//! Smoke test of the real peers: a tiny OpenAI-compatible upstream, reached
//! through the real Portkey gateway and the real LiteLLM proxy, plus proof that
//! no peer process outlives a dropped peer or a killed test process.
//!
//! These tests fail (never skip) when a peer cannot be installed or started;
//! the message says what is missing.

use fastagentic_tests::sse::streamed_text;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use fastagentic_tests::peers::{LiteLlmPeer, PeerProcess, PortkeyPeer};
use serde_json::{Value, json};

const ANSWER: &str = "Hello from the tiny upstream.";
const STREAM_PIECES: [&str; 3] = ["Hello", " from the", " streaming upstream."];
const UPSTREAM_KEY: &str = "sk-test";

// ---------------------------------------------------------------------------
// The tiny upstream: POST /v1/chat/completions, JSON or SSE.

/// A request the upstream received.
#[derive(Clone, Debug)]
struct Seen {
    authorization: Option<String>,
    body: Value,
}

/// An OpenAI-compatible upstream on a loopback port, recording what it gets.
struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the tiny upstream");
        let addr = listener.local_addr().expect("upstream address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, seen }
    }

    /// The API root a gateway should forward to: `http://127.0.0.1:PORT/v1`.
    fn v1_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("upstream record").clone()
    }
}

async fn chat_completions(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "body is not JSON").into_response();
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    seen.lock().expect("upstream record").push(Seen {
        authorization,
        body: body.clone(),
    });

    let model = body["model"].as_str().unwrap_or("gpt-4o-mini").to_owned();
    if body["stream"] == json!(true) {
        let mut events = String::new();
        let mut chunk = |delta: Value, finish: Value| {
            let chunk = json!({
                "id": "chatcmpl-upstream", "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            });
            events.push_str(&format!("data: {chunk}\n\n"));
        };
        for (i, piece) in STREAM_PIECES.iter().enumerate() {
            let delta = if i == 0 {
                json!({"role": "assistant", "content": piece})
            } else {
                json!({"content": piece})
            };
            chunk(delta, Value::Null);
        }
        chunk(json!({}), json!("stop"));
        events.push_str("data: [DONE]\n\n");
        (
            [
                (header::CONTENT_TYPE, "text/event-stream"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            events,
        )
            .into_response()
    } else {
        axum::Json(json!({
            "id": "chatcmpl-upstream", "object": "chat.completion", "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11},
        }))
        .into_response()
    }
}

fn chat_body(stream: bool) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}], "stream": stream})
}

fn client() -> reqwest::Client {
    fastagentic_tests::loopback::http_client(Duration::from_secs(60))
}

// ---------------------------------------------------------------------------
// Portkey

async fn portkey_chat(
    portkey: &PortkeyPeer,
    upstream: &Upstream,
    stream: bool,
) -> reqwest::Response {
    client()
        .post(format!("{}/chat/completions", portkey.v1_url()))
        .header("x-portkey-provider", "openai")
        .header("x-portkey-custom-host", upstream.v1_url())
        .bearer_auth(UPSTREAM_KEY)
        .json(&chat_body(stream))
        .send()
        .await
        .expect("request through the Portkey gateway")
}

#[tokio::test]
async fn portkey_forwards_a_chat_completion_to_the_upstream() {
    let upstream = Upstream::start().await;
    let portkey = PortkeyPeer::shared()
        .await
        .expect("the Portkey gateway is needed");
    eprintln!(
        "Portkey gateway at {} (ready in {:?})",
        portkey.base_url(),
        portkey.started_in()
    );

    let response = portkey_chat(portkey, &upstream, false).await;
    let status = response.status();
    let provider = response.headers().get("x-portkey-provider").cloned();
    let body: Value = response.json().await.expect("JSON answer");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], ANSWER, "{body}");
    assert_eq!(
        provider.as_ref().and_then(|v| v.to_str().ok()),
        Some("openai")
    );

    let seen = upstream.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(seen[0].body["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn portkey_forwards_a_streamed_chat_completion() {
    let upstream = Upstream::start().await;
    let portkey = PortkeyPeer::shared()
        .await
        .expect("the Portkey gateway is needed");

    let response = portkey_chat(portkey, &upstream, true).await;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let sse = response.text().await.expect("SSE body");
    assert_eq!(status, 200, "{sse}");
    let content_type = content_type
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let (text, done) = streamed_text(&sse);
    assert_eq!(text, STREAM_PIECES.concat(), "{sse}");
    assert!(done, "the stream must end with [DONE]: {sse}");
    assert_eq!(upstream.seen()[0].body["stream"], true);
}

// ---------------------------------------------------------------------------
// LiteLLM

#[tokio::test]
async fn litellm_forwards_with_the_master_key_and_rejects_a_wrong_one() {
    let upstream = Upstream::start().await;
    let installation = LiteLlmPeer::install()
        .await
        .expect("the LiteLLM proxy is needed");
    eprintln!("LiteLLM install: {installation:?}");
    let config = json!({
        "model_list": [{
            "model_name": "gpt-4o-mini",
            "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": upstream.v1_url(), "api_key": UPSTREAM_KEY},
        }],
    });
    let litellm = LiteLlmPeer::start(&config)
        .await
        .expect("the LiteLLM proxy is needed");
    eprintln!(
        "LiteLLM proxy at {} (ready in {:?})",
        litellm.base_url(),
        litellm.started_in()
    );
    let url = format!("{}/chat/completions", litellm.v1_url());

    // Non-streamed, with the master key.
    let response = client()
        .post(&url)
        .bearer_auth(litellm.master_key())
        .json(&chat_body(false))
        .send()
        .await
        .expect("request through the LiteLLM proxy");
    let status = response.status();
    let litellm_headers: Vec<String> = response
        .headers()
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("x-litellm-"))
        .collect();
    let body: Value = response.json().await.expect("JSON answer");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], ANSWER, "{body}");
    for expected in [
        "x-litellm-call-id",
        "x-litellm-model-api-base",
        "x-litellm-response-cost",
    ] {
        assert!(
            litellm_headers.iter().any(|name| name == expected),
            "{expected} missing from {litellm_headers:?}"
        );
    }
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer sk-test"));

    // Streamed.
    let response = client()
        .post(&url)
        .bearer_auth(litellm.master_key())
        .json(&chat_body(true))
        .send()
        .await
        .expect("streamed request through the LiteLLM proxy");
    let status = response.status();
    let sse = response.text().await.expect("SSE body");
    assert_eq!(status, 200, "{sse}");
    let (text, done) = streamed_text(&sse);
    assert_eq!(text, STREAM_PIECES.concat(), "{sse}");
    assert!(done, "the stream must end with [DONE]: {sse}");

    // A wrong master key. Without a database (as here) LiteLLM cannot look
    // other keys up and answers 400 `no_db_connection`, not 401.
    let response = client()
        .post(&url)
        .bearer_auth("sk-wrong-key-0123456789abcdef")
        .json(&chat_body(false))
        .send()
        .await
        .expect("request with a wrong key");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON error");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["type"], "no_db_connection", "{body}");
    assert_eq!(
        upstream.seen().len(),
        2,
        "a rejected request must not reach the upstream"
    );

    // Dropping the peer stops the proxy and every process it started.
    let group = peer_group(litellm.process());
    let port = litellm.port();
    eprintln!("LiteLLM process group {group}: {:?}", group_members(group));
    drop(litellm);
    assert_all_gone(group, port, Duration::from_secs(1));
}

// ---------------------------------------------------------------------------
// Cleanup

#[tokio::test]
async fn dropping_a_peer_stops_its_whole_process_group() {
    let portkey = PortkeyPeer::start()
        .await
        .expect("the Portkey gateway is needed");
    let group = peer_group(portkey.process());
    let supervisor = portkey.process().pid();
    let port = portkey.port();
    assert!(!group_members(group).is_empty());
    drop(portkey);
    assert!(
        !is_alive(supervisor),
        "the supervisor must be gone after drop"
    );
    assert_all_gone(group, port, Duration::from_secs(1));
}

/// Run by `peers_die_with_the_test_process` in a child test process: holds the
/// shared (never dropped) gateway until that process is killed.
#[tokio::test]
#[ignore = "helper, run in a child process by peers_die_with_the_test_process"]
async fn helper_hold_the_shared_portkey_until_killed() {
    let portkey = PortkeyPeer::shared()
        .await
        .expect("the Portkey gateway is needed");
    println!(
        "PEER supervisor={} port={}",
        portkey.process().pid(),
        portkey.port()
    );
    // Ends on its own only if the parent test dies first (stdin closes).
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().lines().count()).await;
}

#[test]
fn peers_die_with_the_test_process() {
    let exe = std::env::current_exe().expect("test binary path");
    let child = Command::new(exe)
        .args([
            "helper_hold_the_shared_portkey_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the helper test process");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("helper stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("PEER "))
        .expect("the helper must report its peer (see its output above)");
    let field = |name: &str| -> u32 {
        line.split_whitespace()
            .find_map(|part| part.strip_prefix(name))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
    };
    let (supervisor, port) = (field("supervisor="), field("port="));
    let port = u16::try_from(port).expect("port");
    let group = peer_group_of(supervisor);
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok(),
        "the helper's gateway must be up"
    );

    // SIGKILL: no destructor, no atexit, nothing of the test process runs.
    child.0.kill().expect("kill the helper");
    child.0.wait().expect("reap the helper");
    assert_all_gone(group, port, Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_alive(supervisor) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !is_alive(supervisor),
        "the supervisor must exit after its peer"
    );
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---------------------------------------------------------------------------
// Process inspection through /proc (Linux).

struct Proc {
    pid: u32,
    ppid: u32,
    pgrp: u32,
    zombie: bool,
}

fn processes() -> Vec<Proc> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
            let mut rest = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
            let zombie = rest.next()? == "Z";
            let ppid = rest.next()?.parse().ok()?;
            let pgrp = rest.next()?.parse().ok()?;
            Some(Proc {
                pid,
                ppid,
                pgrp,
                zombie,
            })
        })
        .collect()
}

/// Live (non-zombie) processes in process group `group`.
fn group_members(group: u32) -> HashSet<u32> {
    processes()
        .into_iter()
        .filter(|p| p.pgrp == group && !p.zombie)
        .map(|p| p.pid)
        .collect()
}

fn is_alive(pid: u32) -> bool {
    processes().iter().any(|p| p.pid == pid && !p.zombie)
}

/// The process group of the peer under `process`' supervisor.
fn peer_group(process: &PeerProcess) -> u32 {
    peer_group_of(process.pid())
}

/// The peer is the supervisor's child that leads its own process group.
fn peer_group_of(supervisor: u32) -> u32 {
    processes()
        .into_iter()
        .find(|p| p.ppid == supervisor && p.pid == p.pgrp)
        .map(|p| p.pgrp)
        .unwrap_or_else(|| panic!("no peer process under supervisor {supervisor}"))
}

/// Waits up to `within` for every process of `group` to be gone and `port` closed.
fn assert_all_gone(group: u32, port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let members = group_members(group);
        let listening = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok();
        if members.is_empty() && !listening {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "peer processes {members:?} (group {group}) still alive, port {port} listening: {listening}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
