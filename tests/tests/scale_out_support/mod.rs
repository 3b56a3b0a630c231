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
use fastagentic_tests::peers::{AppReplica, PeerError, RedisClusterPeer, RedisPeer};
use serde_json::{Value, json};

/// Tokens the mock reports per answer (40 in, 10 out).
pub const TOKENS_PER_CALL: u64 = 50;

/// Who sends a request.
#[derive(Clone, Debug)]
pub enum Caller {
    /// No user, no key.
    Anyone,
    /// A user, named in the body's `user` field (the replica's hook runs
    /// the request as that user).
    User(String),
    /// An API key, sent as the `api_key` entry of `x-fastagentic-metadata`.
    Key(String),
}

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

    /// Asks `prompt` through A, then through B (both must answer 200):
    /// whether B answered without calling the upstream.
    pub async fn b_serves_what_a_stored(&self, prompt: &str) -> bool {
        let (status, _) = self.chat(0, prompt).await;
        assert_eq!(status, 200);
        let before = self.mock.request_count();
        let (status, _) = self.chat(1, prompt).await;
        assert_eq!(status, 200);
        self.mock.request_count() == before
    }

    /// A chat completion of `prompt` through replica `index`: status and body.
    pub async fn chat(&self, index: usize, prompt: &str) -> (u16, Value) {
        self.chat_as(index, prompt, &Caller::Anyone).await
    }

    /// As [`chat`](Self::chat), sent by `caller`.
    pub async fn chat_as(&self, index: usize, prompt: &str, caller: &Caller) -> (u16, Value) {
        let url = format!("{}/v1/chat/completions", self.replicas[index].base_url());
        let mut body =
            json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]});
        let mut request = self.client.post(&url);
        match caller {
            Caller::Anyone => {}
            Caller::User(user) => body["user"] = json!(user),
            Caller::Key(key) => {
                request = request.header(
                    "x-fastagentic-metadata",
                    json!({ "api_key": key }).to_string(),
                )
            }
        }
        match request.json(&body).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(error) => (0, json!({"transport_error": error.to_string()})),
        }
    }

    /// Asks replica `index` for `prompt` until it answers 200 (the
    /// provider failing meanwhile, so only the cache can answer, and a
    /// miss stores nothing): that answer must be `stored`'s. Returns how
    /// long after `since` it was served; fails after 20 s.
    pub async fn until_served(
        &self,
        index: usize,
        prompt: &str,
        stored: &Value,
        since: Instant,
    ) -> Duration {
        loop {
            let (status, body) = self.chat(index, prompt).await;
            if status == 200 {
                assert_eq!(
                    body["choices"], stored["choices"],
                    "the answer stored before"
                );
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(20),
                "replica {index} never served the stored answer to {prompt:?}; last answer {status} {body}; its log:\n{}",
                self.replicas[index].log_tail(20)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// No replica fell back to local state (its `/metrics` says).
    pub async fn assert_no_fallbacks(&self) {
        for index in 0..3 {
            assert!(
                !fallbacks_seen(&self.metrics(index).await),
                "no replica may have fallen back to local limits"
            );
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
        self.load_as(tag, total, concurrency, Caller::Anyone).await
    }

    /// As [`load`](Self::load), every request sent by `caller`.
    pub async fn load_as(
        self: &Arc<Self>,
        tag: &str,
        total: usize,
        concurrency: usize,
        caller: Caller,
    ) -> (Vec<u16>, Duration) {
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for worker in 0..concurrency * 3 {
            let this = self.clone();
            let next = next.clone();
            let tag = tag.to_owned();
            let caller = caller.clone();
            workers.push(tokio::spawn(async move {
                let mut statuses = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        return statuses;
                    }
                    let (status, _) = this
                        .chat_as(worker % 3, &format!("{tag} request {i}"), &caller)
                        .await;
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
    let replicas = limited_replicas(redis_url, "RPM", rpm).await;
    let (statuses, elapsed) = replicas.load("rpm", 450, 6).await;
    admitted_within_the_budget(&format!("rpm {rpm}"), rpm, &statuses, elapsed);
    replicas.assert_no_fallbacks().await;
}

/// Three replicas under one limit (`RPM` or `TPM`), with a store timeout
/// long enough that a busy machine never falls back.
async fn limited_replicas(redis_url: &str, limit: &str, per_minute: u64) -> Arc<Replicas> {
    Arc::new(
        Replicas::start(
            redis_url,
            &[
                (limit, per_minute.to_string()),
                ("STORE_TIMEOUT_MS", "2000".into()),
            ],
        )
        .await,
    )
}

/// A large limit (4,000 a minute: leases of up to 20 slots) admits its
/// budget across three replicas within 2 %, and the replicas take most of
/// their slots in leases: the limiter runs far fewer scripts in Redis than
/// it admits calls. (Each admitted call also runs one script of the
/// replica's circuit breaker; each refused call one of the limiter.)
pub async fn leased_requests_per_minute_are_global(
    redis_url: &str,
    script_calls: impl Fn() -> u64,
) {
    let rpm: u64 = 4_000;
    let replicas = limited_replicas(redis_url, "RPM", rpm).await;
    let before = script_calls();
    let (statuses, elapsed) = replicas.load("leased", 6_000, 12).await;
    let scripts = script_calls() - before;
    admitted_within_the_budget(&format!("rpm {rpm}, leased"), rpm, &statuses, elapsed);
    let admitted = statuses.iter().filter(|s| **s == 200).count() as u64;
    let refused = statuses.len() as u64 - admitted;
    let for_admitted = scripts.saturating_sub(admitted + refused);
    println!(
        "rpm {rpm}: {scripts} scripts in Redis: {admitted} the breaker's, {refused} for refused calls, {for_admitted} leases for {admitted} admitted calls"
    );
    assert!(
        for_admitted * 3 < admitted,
        "leases: {for_admitted} limiter scripts for {admitted} admitted calls ({scripts} scripts in all)"
    );
    replicas.assert_no_fallbacks().await;
}

/// Every request of a load answered or limited, and the admitted ones
/// within 2 % of `rpm` (plus what refilled while the load ran).
fn admitted_within_the_budget(what: &str, rpm: u64, statuses: &[u16], elapsed: Duration) {
    let admitted = statuses.iter().filter(|s| **s == 200).count() as f64;
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        admitted as usize + limited,
        statuses.len(),
        "every request is answered or limited: {statuses:?}"
    );
    let most = refilled(rpm, elapsed);
    println!(
        "{what}: admitted {admitted} of {} across 3 replicas in {elapsed:?} (at most {most:.1} by the budget)",
        statuses.len()
    );
    assert!(
        admitted >= rpm as f64 * 0.98 && admitted <= most * 1.02,
        "{what}: admitted {admitted}, expected {rpm}..{most:.1} (±2 %)"
    );
}

/// A global limit of tokens per minute, counted from real usage, admits
/// that many tokens (plus the refill and one call's worth), within 2 %.
pub async fn tokens_per_minute_is_global(redis_url: &str) {
    let tpm: u64 = 12_000;
    let replicas = limited_replicas(redis_url, "TPM", tpm).await;
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

/// Replica A caches an answer; B and C, separate processes with their own
/// index and model, serve a paraphrase of it as a semantic hit once the
/// Redis stream has brought them A's prompt. The app's shared store alone
/// reaches the semantic cache (the replicas give it no store of their
/// own). Returns the delay from A's answer to B's first hit.
pub async fn semantic_hit_crosses_replicas(redis_url: &str) -> Duration {
    let model = fastagentic_tests::embedding_model::model_dir()
        .expect("the embedding model all-MiniLM-L6-v2 (test support fetches it with pip)");
    let replicas = Replicas::start(
        redis_url,
        &[
            ("SEMANTIC", "1".into()),
            (
                "FASTAGENTIC_EMBEDDING_MODEL_DIR",
                model.to_string_lossy().into_owned(),
            ),
        ],
    )
    .await;
    replicas
        .mock
        .set_default(MockReply::text("Open Settings, then Reset password.").usage(12, 2));
    let (status, stored) = replicas.chat(0, "How do I reset my password?").await;
    assert_eq!(status, 200, "{stored}");
    let stored_at = Instant::now();
    assert_eq!(replicas.mock.request_count(), 1);

    // From now on the provider fails: an answer can only come from the
    // cache, and a miss stores nothing. B asks until it is served (the
    // event), within a generous bound.
    replicas.mock.set_default(MockReply::status(500));
    let paraphrase = "How should I reset my password?";
    let delay = replicas
        .until_served(1, paraphrase, &stored, stored_at)
        .await;
    println!(
        "B served A's answer to a paraphrase {delay:?} after A stored it (B's index follows the Redis stream)"
    );
    replicas
        .until_served(2, paraphrase, &stored, stored_at)
        .await;
    for index in [1, 2] {
        let metrics = replicas.metrics(index).await;
        assert!(
            metrics
                .lines()
                .any(|line| line.starts_with("fastagentic_cache_lookups_total{")
                    && line.contains("outcome=\"hit\"")
                    && !line.ends_with(" 0")),
            "replica {index} counts a cache hit:\n{metrics}"
        );
    }
    delay
}

/// What the outage test kills and brings back: one Redis, or one node of a cluster.
#[allow(async_fn_in_trait)] // used here only, never as `dyn`
pub trait Outage {
    /// Kills it, as a crash would.
    fn kill(&mut self);
    /// Starts it again, empty.
    async fn restart(&mut self) -> Result<(), PeerError>;
}

impl Outage for RedisPeer {
    fn kill(&mut self) {
        RedisPeer::kill(self);
    }
    async fn restart(&mut self) -> Result<(), PeerError> {
        RedisPeer::restart(self).await
    }
}

/// The first node of a cluster.
impl Outage for RedisClusterPeer {
    fn kill(&mut self) {
        self.kill_node(0);
    }
    async fn restart(&mut self) -> Result<(), PeerError> {
        self.restart_node(0).await
    }
}

/// Redis (or a cluster node) killed in the middle of a load through three
/// replicas: zero requests fail (the provider fails none), the fallbacks
/// are counted in `/metrics`, and after a restart B serves what A stores.
pub async fn killed_under_load_fails_nothing(redis_url: &str, outage: &mut impl Outage) {
    let replicas = Arc::new(Replicas::start(redis_url, &[("RPM", "100000".into())]).await);
    // Load runs while Redis is killed: every request must still succeed.
    let load = {
        let replicas = replicas.clone();
        tokio::spawn(async move { replicas.load("outage", 600, 4).await })
    };
    // Kill once the load is well under way (an event: answers counted upstream).
    while replicas.mock.request_count() < 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    outage.kill();
    let (statuses, _) = load.await.expect("load");
    let failed: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        failed.is_empty(),
        "no request may fail because Redis died: {} failed ({failed:?})",
        failed.len()
    );
    let mut saw_fallback = false;
    for index in 0..3 {
        saw_fallback |= fallbacks_seen(&replicas.metrics(index).await);
    }
    assert!(saw_fallback, "the fallbacks must be counted in /metrics");

    outage.restart().await.expect("Redis restarted");
    // Converges: within a bounded time, B serves what A stored.
    let restarted = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let prompt = format!("after the restart {attempt}");
        if replicas.b_serves_what_a_stored(&prompt).await {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(30),
            "after Redis returns, B must serve A's entries again ({attempt} tries)"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!(
        "after the restart, B served A's entry again {:?} later",
        restarted.elapsed()
    );
    // Every part of the store answers again: twelve more entries, whose keys
    // spread over a cluster's nodes (the restarted one owns a third of the
    // slots), are all served by B from what A stored.
    for entry in 0..12 {
        let prompt = format!("after the restart, entry {entry}");
        assert!(
            replicas.b_serves_what_a_stored(&prompt).await,
            "B must serve A's entry {entry} from the store"
        );
    }
    let metrics = replicas.metrics(0).await;
    assert!(
        metrics.contains("fastagentic_shared_store_up{") && metrics.contains("} 1\n"),
        "{metrics}"
    );
}

/// With the store down (`kill` takes it down), a limit told to fail closed
/// refuses and one left open spends its local budget; both fallbacks counted.
pub async fn fail_closed_refuses_and_open_falls_back(redis_url: &str, kill: impl FnOnce()) {
    use fastagentic::gateway::GatewayRequest;
    use fastagentic::reliability::{RateLimit, RateLimiter, WhenStoreDown};
    use fastagentic::store::{RedisOptions, RedisStore};
    use fastagentic::{CallContext, ChatRequest, DemoGateway, GatewayError, LlmGateway};

    let store = RedisStore::connect_with(
        redis_url,
        RedisOptions::new().timeout(Duration::from_secs(2)),
    )
    .await
    .expect("connect");
    let limit = RateLimit::new().requests_per_minute(1_000);
    let closed = RateLimiter::new(
        DemoGateway::new(),
        limit.clone().when_store_down(WhenStoreDown::Refuse),
    )
    .shared(store.clone(), "closed");
    let open = RateLimiter::new(DemoGateway::new(), limit).shared(store.clone(), "open");
    let call = CallContext::detached();
    let ask = || GatewayRequest::Chat(ChatRequest::new("m").user("hi"));
    assert!(closed.serve(&call, ask()).await.is_ok());
    assert!(open.serve(&call, ask()).await.is_ok());
    kill();
    match closed.serve(&call, ask()).await {
        Err(GatewayError::RateLimited { limit, .. }) => {
            assert!(limit.contains("shared"), "{limit}")
        }
        other => panic!("a fail-closed limit must refuse while Redis is down: {other:?}"),
    }
    assert!(
        open.serve(&call, ask()).await.is_ok(),
        "a limit left open uses its local budget"
    );
    assert!(store.health().fallbacks().total() >= 2);
    assert!(!store.health().is_up());
}

/// A limit per user (`limit_by` = `user`) or per API key (`api_key`) of
/// `rpm` across three replicas: each of two callers, loading all three
/// replicas at once, is admitted its own `rpm` (plus the refill) within
/// 2 %, and no Redis key (`keys`, read after the load) names a user or
/// holds a key as such.
pub async fn per_caller_limits_are_global(
    redis_url: &str,
    limit_by: &str,
    callers: [Caller; 2],
    keys: impl FnOnce() -> Vec<String>,
) {
    let rpm: u64 = 120;
    let replicas = Arc::new(
        Replicas::start(
            redis_url,
            &[
                ("RPM", rpm.to_string()),
                ("LIMIT_BY", limit_by.to_owned()),
                ("STORE_TIMEOUT_MS", "2000".into()),
            ],
        )
        .await,
    );
    let loads: Vec<_> = callers
        .iter()
        .enumerate()
        .map(|(n, caller)| {
            let replicas = replicas.clone();
            let caller = caller.clone();
            let tag = format!("{limit_by} {n}");
            tokio::spawn(async move { replicas.load_as(&tag, 180, 3, caller).await })
        })
        .collect();
    for (caller, load) in callers.iter().zip(loads) {
        let (statuses, elapsed) = load.await.expect("load");
        let what = format!("{rpm} rpm per {limit_by}, {caller:?}");
        admitted_within_the_budget(&what, rpm, &statuses, elapsed);
    }
    replicas.assert_no_fallbacks().await;
    let keys = keys();
    let limits: Vec<_> = keys.iter().filter(|key| key.contains("limit:")).collect();
    assert!(
        limits.len() >= 2,
        "each caller's budget is in Redis: {keys:?}"
    );
    for caller in &callers {
        let (Caller::User(name) | Caller::Key(name)) = caller else {
            continue;
        };
        assert!(
            keys.iter().all(|key| !key.contains(name.as_str())),
            "no Redis key may carry {caller:?} as such: {keys:?}"
        );
    }
}
