//! Streams under pressure: a client that goes away cancels the upstream
//! request (and hooks hear of it); a client that stops reading makes the
//! server stop reading the upstream instead of buffering without bound.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use fastagentic::prelude::*;
use fastagentic::testing::{MockProvider, MockReply};
use futures_util::StreamExt;

#[derive(Deserialize, JsonSchema)]
struct Ask {
    message: String,
}

#[agent_endpoint(path = "/stream", stream = true)]
async fn stream(ctx: AgentContext, input: Ask) -> Result<ChatStream, AgentError> {
    Ok(ctx
        .llm()
        .chat_stream(ChatRequest::new("gpt-4o-mini").user(input.message))
        .await?)
}

static CANCELLED: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[hook("on_error")]
async fn record_cancel(ctx: &HookContext) {
    if let Some(error) = &ctx.error {
        CANCELLED.lock().unwrap().push(error.kind.clone());
    }
}

async fn start(mock: &MockProvider) -> fastagentic::ServerHandle {
    App::new("Stream control")
        .llm_gateway(OpenAiGateway::new("sk-test").base_url(mock.base_url()))
        .spawn("127.0.0.1:0")
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_the_upstream_request() {
    let mock = MockProvider::start().await;
    let words: Vec<String> = (0..100).map(|i| format!("w{i} ")).collect();
    mock.push(MockReply::stream(words).chunk_interval(Duration::from_millis(20)));
    let app = start(&mock).await;

    let response = reqwest::Client::new()
        .post(format!("{}/stream", app.url()))
        .json(&serde_json::json!({"message": "go"}))
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let _first = body.next().await.unwrap().unwrap();
    drop(body);
    let dropped_at = Instant::now();

    while mock.streams_dropped() == 0 {
        assert!(
            dropped_at.elapsed() < Duration::from_secs(2),
            "the upstream stream was never cancelled"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let latency = dropped_at.elapsed();
    println!("upstream saw the cancellation {latency:?} after the client left");
    assert_eq!(mock.streams_completed(), 0);
    assert!(
        mock.frames_sent() < 100,
        "the upstream stopped early: {} frames",
        mock.frames_sent()
    );

    let deadline = Instant::now() + Duration::from_secs(2);
    while !CANCELLED.lock().unwrap().iter().any(|k| k == "cancelled") {
        assert!(
            Instant::now() < deadline,
            "on_error never heard of the cancellation"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_holds_back_the_upstream() {
    let mock = MockProvider::start().await;
    // 50,000 chunks of ~1.2 KiB: 60 MB the server would buffer if it read ahead.
    const CHUNKS: usize = 50_000;
    let chunk = "x".repeat(1024);
    mock.push(MockReply::repeat(chunk.clone(), CHUNKS));
    let app = start(&mock).await;

    let response = reqwest::Client::new()
        .post(format!("{}/stream", app.url()))
        .json(&serde_json::json!({"message": "go"}))
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let _first = body.next().await.unwrap().unwrap();

    // Stop reading and wait until the upstream stops making progress (it
    // must, within a generous bound, even on a busy machine).
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut sent_a, mut sent_b) = (mock.frames_sent(), usize::MAX);
    while sent_a != sent_b {
        assert!(
            Instant::now() < deadline,
            "the upstream never stopped: {} frames",
            mock.frames_sent()
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        (sent_a, sent_b) = (sent_b, mock.frames_sent());
    }
    println!("upstream frames sent while the client did not read: {sent_b} of {CHUNKS}");
    // Everything that left the upstream fits in the kernel's socket buffers
    // between the three processes' ends (upstream -> server -> client, each
    // hop with a send and a receive buffer): the server holds no backlog.
    let in_flight = sent_b * (chunk.len() + 200);
    let kernel = socket_buffer_bound();
    println!("in flight {in_flight} bytes; kernel socket buffers can hold {kernel} bytes");
    assert!(
        in_flight <= kernel + 1024 * 1024,
        "{in_flight} bytes left the upstream, more than socket buffers hold ({kernel})"
    );
    assert!(
        sent_b < CHUNKS / 2,
        "the upstream did not run ahead: {sent_b} of {CHUNKS} frames"
    );

    // Reading again resumes the flow to the end.
    let mut total = 0usize;
    while let Some(bytes) = body.next().await {
        total += bytes.unwrap().len();
    }
    assert!(total > CHUNKS * 1024, "{total}");
    assert_eq!(mock.streams_completed(), 1);
}

/// The most the kernel buffers on the two loopback hops: a send and a
/// receive buffer per hop, at their configured maxima.
fn socket_buffer_bound() -> usize {
    let max = |file: &str| -> usize {
        std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {file}: {e}"))
            .split_whitespace()
            .last()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("unexpected contents of {file}"))
    };
    2 * (max("/proc/sys/net/ipv4/tcp_rmem") + max("/proc/sys/net/ipv4/tcp_wmem"))
}
