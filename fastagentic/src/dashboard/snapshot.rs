//! What the page shows, gathered in one pass: the app's metrics (requests,
//! retries, fallbacks), a walk of every gateway tree (breakers, caches,
//! limits), and the log of recent calls (calls, cost, cache statuses,
//! latency over time, per-target counts).

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::DashboardState;
use crate::gateway::{NodeKind, walk};
use crate::observability::call_log::{
    BUCKET_SECONDS, BucketView, CacheCounts, CallRecord, StatusCounts, Totals, unix_ms,
};
use crate::observability::{Metrics, TreeReport};

/// One view of the app.
#[derive(Serialize)]
pub(crate) struct Snapshot<'a> {
    pub app: &'a str,
    pub replica: Option<&'a str>,
    pub now_ms: u64,
    pub started_ms: u64,
    pub bucket_seconds: u64,
    /// How many calls the request log keeps.
    pub capacity: usize,
    pub prompts_shown: bool,
    /// The sequence number of the latest call.
    pub latest: u64,
    pub requests: Requests,
    pub llm: Llm<'a>,
    pub cache: Cache,
    pub breakers: Breakers,
    pub targets: Vec<TargetRow>,
    pub caches: Vec<CacheRow>,
    pub limits: Vec<LimitRow>,
    pub series: Vec<BucketView<'a>>,
    /// The calls after the sequence number asked for, oldest first.
    pub calls: Vec<&'a CallRecord>,
}

/// HTTP requests served, from the app's metrics.
#[derive(Default, Serialize)]
pub(crate) struct Requests {
    pub total: u64,
    pub in_flight: i64,
    /// Requests answered with a status of 400 or more.
    pub errors: u64,
    pub by_status: Vec<(u16, u64)>,
    pub by_endpoint: Vec<EndpointRequests>,
}

/// One endpoint's requests.
#[derive(Serialize)]
pub(crate) struct EndpointRequests {
    pub endpoint: String,
    pub requests: u64,
    pub errors: u64,
}

/// LLM calls: the log's totals, and retries and fallbacks from the metrics.
#[derive(Serialize)]
pub(crate) struct Llm<'a> {
    #[serde(flatten)]
    pub totals: &'a Totals,
    pub retries: u64,
    pub fallbacks: u64,
}

/// Cache hit rates.
#[derive(Serialize)]
pub(crate) struct Cache {
    pub exact: CacheRate,
    pub semantic: CacheRate,
}

/// Lookups of one kind of cache and the share that hit (`None`: no lookup yet).
#[derive(Serialize)]
pub(crate) struct CacheRate {
    #[serde(flatten)]
    pub counts: StatusCounts,
    pub hit_rate: Option<f64>,
}

/// How many circuit breakers are in each state.
#[derive(Default, Serialize)]
pub(crate) struct Breakers {
    pub closed: u32,
    pub open: u32,
    pub half_open: u32,
}

/// One place in a gateway tree (the nodes sharing a path: a retry around a
/// breaker around a transport) and how the calls through it went.
#[derive(Serialize)]
pub(crate) struct TargetRow {
    /// The endpoints calling through the tree.
    pub endpoints: Vec<String>,
    /// The tree's gateway.
    pub gateway: String,
    /// `targets[0]`; empty for the root.
    pub path: String,
    /// The nodes at this path, outermost first: `retry`, `circuit_breaker`, `openai`.
    pub chain: Vec<String>,
    /// The breaker here, if any: its target name and state.
    pub breaker: Option<(String, &'static str)>,
    pub answered: u64,
    pub failed: u64,
    /// Failed over answered and failed (`None`: no call yet).
    pub error_rate: Option<f64>,
    pub mean_ms: f64,
    pub p95_ms: f64,
}

/// A cache found in a tree.
#[derive(Serialize)]
pub(crate) struct CacheRow {
    pub node: String,
    pub hits: u64,
    pub misses: u64,
    pub refreshes: u64,
    pub stores: u64,
}

/// A rate limit found in a tree.
#[derive(Serialize)]
pub(crate) struct LimitRow {
    pub node: String,
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u64>,
}

/// The view with the calls after sequence number `after`.
pub(crate) fn snapshot(state: &DashboardState, after: u64) -> SnapshotJson {
    let metrics = &state.metrics;
    let requests = requests(metrics);
    let (retries, fallbacks) = retries_and_fallbacks(metrics);
    let trees = metrics.trees();
    let report = trees.report();
    state.log.read(after, |log| {
        let targets = targets(&trees, log.totals);
        let breakers = breakers(&report);
        let view = Snapshot {
            app: &state.title,
            replica: state.replica.as_deref(),
            now_ms: unix_ms(std::time::SystemTime::now()),
            started_ms: state.started_ms,
            bucket_seconds: BUCKET_SECONDS,
            capacity: state.log.capacity(),
            prompts_shown: state.log.shows_prompts(),
            latest: log.latest,
            requests,
            llm: Llm {
                totals: log.totals,
                retries,
                fallbacks,
            },
            cache: cache(log.totals.cache),
            breakers,
            targets,
            caches: report
                .caches
                .iter()
                .map(|c| CacheRow {
                    node: c.node.clone(),
                    hits: c.hits,
                    misses: c.misses,
                    refreshes: c.refreshes,
                    stores: c.stores,
                })
                .collect(),
            limits: report
                .limits
                .iter()
                .map(|l| LimitRow {
                    node: l.node.clone(),
                    requests_per_minute: l.requests_per_minute,
                    tokens_per_minute: l.tokens_per_minute,
                })
                .collect(),
            series: log.series,
            calls: log.calls,
        };
        SnapshotJson {
            latest: log.latest,
            json: serde_json::to_value(&view).unwrap_or_default(),
        }
    })
}

/// A snapshot turned into JSON (inside the log's lock, which it borrows
/// from), with the sequence number of its latest call.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct SnapshotJson {
    #[serde(skip)]
    pub latest: u64,
    pub json: serde_json::Value,
}

fn requests(metrics: &Metrics) -> Requests {
    let mut requests = Requests::default();
    for endpoint in metrics.endpoints().iter() {
        let mut row = EndpointRequests {
            endpoint: endpoint.name().to_owned(),
            requests: 0,
            errors: 0,
        };
        for (status, count) in endpoint.statuses() {
            row.requests += count;
            if status >= 400 {
                row.errors += count;
            }
            match requests.by_status.iter_mut().find(|(s, _)| *s == status) {
                Some((_, total)) => *total += count,
                None => requests.by_status.push((status, count)),
            }
        }
        requests.total += row.requests;
        requests.errors += row.errors;
        requests.in_flight += endpoint.in_flight();
        requests.by_endpoint.push(row);
    }
    requests.by_status.sort_unstable();
    requests
}

fn retries_and_fallbacks(metrics: &Metrics) -> (u64, u64) {
    let (mut retries, mut fallbacks) = (0, 0);
    for endpoint in metrics.endpoints().iter() {
        for (_, model) in endpoint.models().entries().iter() {
            retries += model.retries();
        }
        for (_, count) in endpoint.fallbacks().entries().iter() {
            fallbacks += count.load(Ordering::Relaxed);
        }
    }
    (retries, fallbacks)
}

fn cache(counts: CacheCounts) -> Cache {
    let rate = |counts: StatusCounts| {
        let lookups = counts.hits + counts.misses + counts.refreshes;
        CacheRate {
            counts,
            hit_rate: (lookups > 0).then(|| counts.hits as f64 / lookups as f64),
        }
    };
    Cache {
        exact: rate(counts.exact),
        semantic: rate(counts.semantic),
    }
}

fn breakers(report: &TreeReport) -> Breakers {
    let mut breakers = Breakers::default();
    for (_, state) in &report.circuits {
        match state.as_str() {
            "open" => breakers.open += 1,
            "half_open" => breakers.half_open += 1,
            _ => breakers.closed += 1,
        }
    }
    breakers
}

/// One row per path of every tree, its nodes outermost first, with the
/// calls its endpoints made through it.
fn targets(trees: &crate::observability::GatewayTrees, totals: &Totals) -> Vec<TargetRow> {
    let mut rows: Vec<TargetRow> = Vec::new();
    for (endpoints, gateway) in trees.each() {
        let first = rows.len();
        walk(gateway, &mut |path, kind| {
            let path = path.to_string();
            let index = match rows[first..].iter().position(|r| r.path == path) {
                Some(index) => first + index,
                None => {
                    rows.push(TargetRow {
                        endpoints: endpoints.to_vec(),
                        gateway: gateway.name().to_owned(),
                        path,
                        chain: Vec::new(),
                        breaker: None,
                        answered: 0,
                        failed: 0,
                        error_rate: None,
                        mean_ms: 0.0,
                        p95_ms: 0.0,
                    });
                    rows.len() - 1
                }
            };
            let row = &mut rows[index];
            row.chain.push(node_label(kind));
            if let NodeKind::CircuitBreaker(view) = kind {
                row.breaker = Some((view.target().to_owned(), view.state().as_str()));
            }
        });
        for row in &mut rows[first..] {
            let mut latency = crate::observability::call_log::LatencySketch::default();
            for counts in totals
                .targets
                .iter()
                .filter(|t| t.path == row.path && endpoints.iter().any(|e| **e == *t.endpoint))
            {
                row.answered += counts.answered;
                row.failed += counts.failed;
                latency.merge(&counts.latency);
            }
            let calls = row.answered + row.failed;
            row.error_rate = (calls > 0).then(|| row.failed as f64 / calls as f64);
            row.mean_ms = latency.mean_ms();
            row.p95_ms = latency.quantile(0.95);
        }
    }
    rows
}

/// A node as the chain shows it.
fn node_label(kind: &NodeKind<'_>) -> String {
    match kind {
        NodeKind::Gateway(name) => (*name).to_owned(),
        NodeKind::Timeout(limit) => format!("timeout {}s", limit.as_secs_f64()),
        NodeKind::Retry(policy) => format!("retry ×{}", policy.attempt_limit()),
        NodeKind::CircuitBreaker(_) => "breaker".to_owned(),
        NodeKind::RateLimiter(_) => "rate limit".to_owned(),
        other => other.name().to_owned(),
    }
}
