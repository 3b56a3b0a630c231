//! Shared by `scale_out.rs` (one Redis) and `scale_out_cluster.rs` (a
//! three-node Redis Cluster): three app replicas as separate processes
//! (`scale_out_replica`) over one mock provider, and the suite both run.
//!
//! Every check waits on events (answers, counts) with generous bounds; the
//! accuracy bounds include what a per-minute budget refills while the load
//! runs, measured, so a slow machine widens nothing by chance.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fastagentic::testing::{MockProvider, MockReply};
use fastagentic_tests::peers::AppReplica;
use serde_json::{Value, json};

/// Tokens the mock reports per answer (40 in, 10 out).
pub const TOKENS_PER_CALL: u64 = 50;

/// Three replicas sharing `redis_url`, over one mock provider.
pub struct Replicas {
    pub mock: MockProvider,
    pub replicas: Vec<AppReplica>,
    client: reqwest::Client,
}

impl Replicas {
    /// Starts the mock and three replicas with `env` (plus `UPSTREAM_URL`, `REDIS_URL`).
    pub async fn start(redis_url: &str, env: &[(&str, String)]) -> Self {
        let mock = MockProvider::start().await;
        mock.set_default(MockReply::text("shared answer").usage(40, 10));
        let binary = Path::new(env!("CARGO_BIN_EXE_scale_out_replica"));
        let mut all: Vec<(&str, String)> = vec![
            ("UPSTREAM_URL", mock.base_url()),
            ("REDIS_URL", redis_url.to_owned()),
        ];
        all.extend(env.iter().cloned());
        let mut replicas = Vec::new();
        for name in ["a", "b", "c"] {
            replicas.push(
                AppReplica::start(binary, name, &all)
                    .await
                    .expect("an app replica (the scale_out_replica binary)"),
            );
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Self {
            mock,
            replicas,
            client,
        }
    }

    /// A chat completion of `prompt` through replica `index`: status and body.
    pub async fn chat(&self, index: usize, prompt: &str) -> (u16, Value) {
        let url = format!("{}/v1/chat/completions", self.replicas[index].base_url());
        let body =
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]});
        match self.client.post(&url).json(&body).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(error) => (0, json!({"transport_error": error.to_string()})),
        }
    }

    /// Replica `index`'s `/metrics`.
    pub async fn metrics(&self, index: usize) -> String {
        let url = format!("{}/metrics", self.replicas[index].base_url());
        match self.client.get(&url).send().await {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(error) => error.to_string(),
        }
    }

    /// Sends `total` distinct requests spread over the three replicas,
    /// `concurrency` at a time on each; returns each status and how long
    /// the load took.
    pub async fn load(
        self: &Arc<Self>,
        tag: &str,
        total: usize,
        concurrency: usize,
    ) -> (Vec<u16>, Duration) {
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for worker in 0..concurrency * 3 {
            let this = self.clone();
            let next = next.clone();
            let tag = tag.to_owned();
            workers.push(tokio::spawn(async move {
                let mut statuses = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        return statuses;
                    }
                    let (status, _) = this.chat(worker % 3, &format!("{tag} request {i}")).await;
                    statuses.push(status);
                }
            }));
        }
        let mut statuses = Vec::new();
        for worker in workers {
            statuses.extend(worker.await.expect("load worker"));
        }
        (statuses, started.elapsed())
    }
}

/// The most a per-minute budget of `per_minute` admits over `elapsed`: the
/// whole burst plus what refills meanwhile.
fn refilled(per_minute: u64, elapsed: Duration) -> f64 {
    per_minute as f64 * (1.0 + elapsed.as_secs_f64() / 60.0)
}

/// Replica B serves the answer replica A stored; C too.
pub async fn exact_hit_crosses_replicas(redis_url: &str) {
    let replicas = Replicas::start(redis_url, &[]).await;
    let (status, first) = replicas.chat(0, "What is the capital of France?").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(replicas.mock.request_count(), 1);
    // The store happens before the answer is sent: B finds it at once.
    for index in [1, 2] {
        let (status, body) = replicas.chat(index, "What is the capital of France?").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["choices"], first["choices"]);
    }
    assert_eq!(
        replicas.mock.request_count(),
        1,
        "B and C must answer from what A stored, without calling upstream"
    );
}

/// A global limit of `rpm` across three replicas admits `rpm` (plus what
/// refills while the load runs), within 2 %.
pub async fn requests_per_minute_is_global(redis_url: &str) {
    let rpm: u64 = 300;
    let replicas = Arc::new(
        Replicas::start(
            redis_url,
            &[
                ("RPM", rpm.to_string()),
                ("STORE_TIMEOUT_MS", "2000".into()),
            ],
        )
        .await,
    );
    let (statuses, elapsed) = replicas.load("rpm", 450, 6).await;
    let admitted = statuses.iter().filter(|s| **s == 200).count() as f64;
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        admitted as usize + limited,
        statuses.len(),
        "every request is answered or limited: {statuses:?}"
    );
    let most = refilled(rpm, elapsed);
    println!(
        "rpm {rpm}: admitted {admitted} of 450 across 3 replicas in {elapsed:?} (at most {most:.1} by the budget)"
    );
    assert!(
        admitted >= rpm as f64 * 0.98 && admitted <= most * 1.02,
        "admitted {admitted}, expected {rpm}..{most:.1} (±2 %)"
    );
    for index in 0..3 {
        assert!(
            !fallbacks_seen(&replicas.metrics(index).await),
            "no replica may have fallen back to local limits"
        );
    }
}

/// A global limit of tokens per minute, counted from real usage, admits
/// that many tokens (plus the refill and one call's worth), within 2 %.
pub async fn tokens_per_minute_is_global(redis_url: &str) {
    let tpm: u64 = 12_000;
    let replicas = Arc::new(
        Replicas::start(
            redis_url,
            &[
                ("TPM", tpm.to_string()),
                ("STORE_TIMEOUT_MS", "2000".into()),
            ],
        )
        .await,
    );
    let (statuses, elapsed) = replicas.load("tpm", 400, 6).await;
    let admitted = statuses.iter().filter(|s| **s == 200).count() as u64;
    let tokens = (admitted * TOKENS_PER_CALL) as f64;
    let most = refilled(tpm, elapsed) + TOKENS_PER_CALL as f64;
    println!(
        "tpm {tpm}: {tokens} tokens admitted ({admitted} calls) across 3 replicas in {elapsed:?} (at most {most:.1})"
    );
    assert!(
        tokens >= tpm as f64 * 0.98 && tokens <= most * 1.02,
        "admitted {tokens} tokens, expected {tpm}..{most:.1} (±2 %)"
    );
}

/// Failures seen through A open the breaker for B and C too: they refuse
/// without calling the provider.
pub async fn breaker_opened_through_one_refuses_at_all(redis_url: &str) {
    let replicas = Replicas::start(redis_url, &[("BREAKER_FAILURES", "3".into())]).await;
    replicas.mock.set_default(MockReply::status(500));
    for i in 0..3 {
        let (status, body) = replicas.chat(0, &format!("failing {i}")).await;
        assert!(status >= 500, "the provider fails: {status} {body}");
    }
    let before = replicas.mock.request_count();
    for index in [1, 2] {
        let (status, body) = replicas.chat(index, "after the failures").await;
        assert_eq!(status, 503, "{body}");
        assert!(body.to_string().contains("circuit"), "{body}");
    }
    assert_eq!(
        replicas.mock.request_count(),
        before,
        "B and C must not call a provider A's failures opened the circuit for"
    );
}

/// Whether `/metrics` shows any fallback to local state.
pub fn fallbacks_seen(metrics: &str) -> bool {
    metrics
        .lines()
        .filter(|line| line.starts_with("fastagentic_shared_store_fallbacks_total{"))
        .any(|line| !line.ends_with(" 0"))
}
