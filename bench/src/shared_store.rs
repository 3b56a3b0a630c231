//! `fastagentic-bench shared-store`: what the Redis store adds to the
//! request path, in one run beside the in-memory store.
//!
//! The path measured is a gateway tree as an app builds it, called
//! in-process so no HTTP noise hides a fraction of a millisecond: the app's
//! rate limit (a limiter check: one Lua script in Redis) around an exact
//! cache that misses (a lookup, then the answer stored) around an upstream
//! that answers at once. Every request is new, so every one misses. The
//! same tree runs with the in-memory store and with a `redis-server` this
//! command starts itself on loopback, at concurrency 1 and 32; the added
//! latency is the difference of the medians.
//!
//! The same comparison then runs through HTTP, as a user's app serves it:
//! an `App` with the app's rate limit and an exact cache in its default
//! gateway, given the store by `App::shared_store`, its OpenAI-compatible
//! route loaded over keep-alive connections from this process, every
//! request a new question.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fastagentic::cache::ExactCache;
use fastagentic::gateway::GatewayRequest;
use fastagentic::reliability::{RateLimit, RateLimiter};
use fastagentic::store::{RedisStore, SharedStore, bind_shared_store};
use fastagentic::{App, CallContext, ChatRequest, DemoGateway, LlmGateway};
use fastagentic_tests::peers::RedisPeer;

use crate::load;

/// One measured cell.
#[derive(Clone, Debug)]
struct Cell {
    path: &'static str,
    store: &'static str,
    concurrency: usize,
    calls: usize,
    p50_us: f64,
    p99_us: f64,
}

/// The tree: limiter → exact cache → an upstream answering at once.
fn tree(store: &SharedStore) -> Arc<dyn LlmGateway> {
    let limit = RateLimit::new().requests_per_minute(100_000_000);
    let gateway: Arc<dyn LlmGateway> =
        Arc::new(RateLimiter::new(ExactCache::new(DemoGateway::new()), limit));
    bind_shared_store(gateway.as_ref(), store, "bench");
    gateway
}

async fn measure_tree(
    gateway: Arc<dyn LlmGateway>,
    store: &'static str,
    concurrency: usize,
    duration: Duration,
) -> Result<Cell, String> {
    let deadline = Instant::now() + duration;
    let all = gather(concurrency, || {
        let gateway = gateway.clone();
        async move {
            let call = CallContext::detached();
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let request = GatewayRequest::Chat(ChatRequest::new("bench").user(next_question()));
                let started = Instant::now();
                if let Err(error) = gateway.serve(&call, request).await {
                    return Err(error.to_string());
                }
                latencies.push(started.elapsed().as_secs_f64() * 1e6);
            }
            Ok(latencies)
        }
    })
    .await?;
    summarise("in-process", store, concurrency, all)
}

/// The app as a user builds it: the app's rate limit and an exact cache
/// around an upstream answering at once, sharing through `store`.
async fn app(store: &SharedStore) -> Result<fastagentic::ServerHandle, String> {
    App::new("shared-store benchmark")
        .without_inventory()
        .openai_compatible("/v1")
        .llm_gateway(ExactCache::new(DemoGateway::new()))
        .rate_limit(RateLimit::new().requests_per_minute(100_000_000))
        .shared_store(store.clone())
        .spawn("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())
}

/// Loads the app's chat-completion route over `concurrency` keep-alive
/// connections, a new question each request.
async fn measure_http(
    addr: std::net::SocketAddr,
    store: &'static str,
    concurrency: usize,
    duration: Duration,
) -> Result<Cell, String> {
    let deadline = Instant::now() + duration;
    let all = gather(concurrency, || async move {
        let mut sender = load::connect(addr).await?;
        let mut latencies = Vec::new();
        while Instant::now() < deadline {
            let body = serde_json::json!({
                "model": "bench",
                "messages": [{"role": "user", "content": next_question()}],
            })
            .to_string();
            let target = load::Target::new(addr, "/v1/chat/completions", body);
            let started = Instant::now();
            let (status, body) = load::exchange(&mut sender, &target).await?;
            if status != 200 {
                return Err(format!(
                    "the app answered {status}: {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            latencies.push(started.elapsed().as_secs_f64() * 1e6);
        }
        Ok(latencies)
    })
    .await?;
    summarise("HTTP", store, concurrency, all)
}

/// A question no call has asked before, so every call misses the cache.
fn next_question() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("question {}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `concurrency` workers made by `worker` side by side; the latencies
/// (µs) they measured, or the first error one met.
async fn gather<W, F>(concurrency: usize, worker: W) -> Result<Vec<f64>, String>
where
    W: Fn() -> F,
    F: std::future::Future<Output = Result<Vec<f64>, String>> + Send + 'static,
{
    let workers: Vec<_> = (0..concurrency).map(|_| tokio::spawn(worker())).collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.map_err(|e| e.to_string())??);
    }
    Ok(all)
}

/// The median and p99 of one cell's latencies.
fn summarise(
    path: &'static str,
    store: &'static str,
    concurrency: usize,
    mut all: Vec<f64>,
) -> Result<Cell, String> {
    if all.is_empty() {
        return Err("no call finished".to_owned());
    }
    all.sort_by(f64::total_cmp);
    let at = |q: f64| all[((all.len() as f64 - 1.0) * q).round() as usize];
    Ok(Cell {
        path,
        store,
        concurrency,
        calls: all.len(),
        p50_us: at(0.5),
        p99_us: at(0.99),
    })
}

/// What one comparison measured: every cell, and how often a piece fell
/// back to local state (0 unless Redis failed).
#[derive(Clone, Debug)]
pub struct StoreRows {
    cells: Vec<Cell>,
    fallbacks: u64,
}

impl StoreRows {
    /// The in-memory store's p50 in the cell matching `cell`.
    fn memory_p50(&self, cell: &Cell) -> f64 {
        self.cells
            .iter()
            .find(|c| {
                c.path == cell.path && c.store == "memory" && c.concurrency == cell.concurrency
            })
            .map_or(0.0, |c| c.p50_us)
    }

    /// The p50 Redis added on `path` at `concurrency`, µs.
    pub fn added_p50_us(&self, path: &str, concurrency: usize) -> Option<f64> {
        let cell = self
            .cells
            .iter()
            .find(|c| c.path == path && c.store == "redis" && c.concurrency == concurrency)?;
        Some(cell.p50_us - self.memory_p50(cell))
    }

    /// A Markdown table with a closing line.
    pub fn markdown(&self) -> String {
        let mut table = String::from(
            "| path | store | concurrency | calls | p50 µs | p99 µs | p50 added by Redis µs |\n|---|---|---|---|---|---|---|\n",
        );
        for cell in &self.cells {
            let added = if cell.store == "redis" {
                format!("{:.0}", cell.p50_us - self.memory_p50(cell))
            } else {
                "–".to_owned()
            };
            table.push_str(&format!(
                "| {} | {} | {} | {} | {:.0} | {:.0} | {} |\n",
                cell.path,
                cell.store,
                cell.concurrency,
                cell.calls,
                cell.p50_us,
                cell.p99_us,
                added
            ));
        }
        table.push_str(&format!(
            "\nA cache miss (lookup + store) and a limiter check per call: in-process \
             through the gateway tree, and through an app's OpenAI-compatible route over \
             HTTP from this process; redis-server on loopback; {} fallbacks to local state. \
             Target (issue 16): under 300 µs p50 added.\n",
            self.fallbacks
        ));
        table
    }

    /// The cells as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "fallbacks": self.fallbacks,
            "cells": self.cells.iter().map(|cell| serde_json::json!({
                "path": cell.path,
                "store": cell.store,
                "concurrency": cell.concurrency,
                "calls": cell.calls,
                "p50_us": cell.p50_us,
                "p99_us": cell.p99_us,
                "p50_added_us": (cell.store == "redis").then(|| cell.p50_us - self.memory_p50(cell)),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Runs the comparison (`duration` a cell) against a `redis-server` it
/// starts and stops.
pub async fn measure(duration: Duration) -> Result<StoreRows, String> {
    let redis_peer = RedisPeer::start().await.map_err(|e| e.to_string())?;
    let redis = RedisStore::connect(&redis_peer.url())
        .await
        .map_err(|e| e.to_string())?;
    let stores = [
        ("memory", SharedStore::Local),
        ("redis", SharedStore::from(redis.clone())),
    ];
    let mut cells = Vec::new();
    for concurrency in [1, 32] {
        for (name, store) in &stores {
            // Warm-up (connections, scripts loaded), then the measured window.
            measure_tree(tree(store), name, concurrency, duration / 4).await?;
            cells.push(measure_tree(tree(store), name, concurrency, duration).await?);
        }
    }
    for (name, store) in &stores {
        let server = app(store).await?;
        for concurrency in [1, 32] {
            measure_http(server.addr(), name, concurrency, duration / 4).await?;
            cells.push(measure_http(server.addr(), name, concurrency, duration).await?);
        }
        server.shutdown().await.map_err(|e| e.to_string())?;
    }
    Ok(StoreRows {
        cells,
        fallbacks: redis.health().fallbacks().total(),
    })
}

/// Runs the comparison and prints a Markdown table (and writes it to `out`).
pub async fn run(duration: Duration, out: &std::path::Path) -> Result<(), String> {
    let table = measure(duration).await?.markdown();
    print!("{table}");
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    std::fs::write(out.join("shared-store.md"), &table).map_err(|e| e.to_string())?;
    Ok(())
}
