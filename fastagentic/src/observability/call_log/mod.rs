//! The dashboard's memory of recent LLM calls: a ring of the latest calls,
//! running totals since start-up, calls over time, and per-target counts.
//! No database: everything is in memory and bounded (see [`CallLog::new`]).
//!
//! Calls are recorded where their telemetry already ends
//! ([`LlmCall`](super::LlmCall)), and only when the app has a dashboard:
//! without one, an endpoint holds no log and a call pays one `None` check.

mod capped;
mod latency;
mod record;
mod series;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tokio::sync::watch;

pub(crate) use latency::LatencySketch;
pub(crate) use record::{CallRecord, Ending, PendingCall, unix_ms};
use series::Series;
pub(crate) use series::{BUCKET_SECONDS, BucketView};

/// The fewest and most calls the ring may hold.
pub(crate) const CAPACITY_RANGE: std::ops::RangeInclusive<usize> = 10..=10_000;

/// Distinct users, endpoints, models and gateway targets counted in the
/// totals; more count under [`OTHER`](capped::OTHER).
pub(crate) const MAX_KEYS: usize = 256;

/// The recent calls and their totals.
pub(crate) struct CallLog {
    capacity: usize,
    show_prompts: bool,
    state: Mutex<State>,
    /// The sequence number of the latest call, for live views to wait on.
    latest: watch::Sender<u64>,
}

#[derive(Default)]
struct State {
    ring: VecDeque<CallRecord>,
    seq: u64,
    totals: Totals,
    series: Series,
}

/// Counts since start-up.
#[derive(Default, Serialize)]
pub(crate) struct Totals {
    pub calls: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub saved_usd: f64,
    pub cache: CacheCounts,
    /// Failed calls per error type.
    pub errors_by_type: Counted<u64>,
    /// Cost per endpoint, model and user.
    pub cost_by_endpoint: Counted<f64>,
    pub cost_by_model: Counted<f64>,
    pub cost_by_user: Counted<f64>,
    /// Per endpoint and node of its gateway tree.
    #[serde(skip)]
    pub targets: Vec<TargetCounts>,
}

/// Cache statuses seen, exact and semantic.
#[derive(Clone, Copy, Default, Serialize)]
pub(crate) struct CacheCounts {
    pub exact: StatusCounts,
    pub semantic: StatusCounts,
}

/// Lookups of one kind of cache.
#[derive(Clone, Copy, Default, Serialize)]
pub(crate) struct StatusCounts {
    pub hits: u64,
    pub misses: u64,
    pub refreshes: u64,
}

/// Values per label, at most [`MAX_KEYS`] labels plus [`OTHER`](capped::OTHER), in the
/// order they appeared.
#[derive(Default, Serialize)]
#[serde(transparent)]
pub(crate) struct Counted<T>(Vec<(String, T)>);

impl<T: Copy + std::ops::AddAssign + Default> Counted<T> {
    fn add(&mut self, label: &str, value: T) {
        let is = |(l, _): &(String, T), label: &str| l == label;
        capped::entry(&mut self.0, MAX_KEYS, label, is, |l| {
            (l.to_owned(), T::default())
        })
        .1 += value;
    }
}

/// The calls one node of one endpoint's gateway tree answered or failed.
pub(crate) struct TargetCounts {
    pub endpoint: Arc<str>,
    /// The node's path (`targets[0]`; empty for the root).
    pub path: String,
    pub answered: u64,
    pub failed: u64,
    /// Latency of the calls it answered.
    pub latency: LatencySketch,
}

impl CallLog {
    /// A log keeping the latest `capacity` calls (clamped to
    /// [`CAPACITY_RANGE`]), with their prompts and answers when `show_prompts`.
    ///
    /// Memory: each record is about 300 bytes plus its strings, and up to
    /// 2 × 2,000 characters more with prompts shown; the series hold at
    /// most 90 buckets × 32 series; the totals at most 256 labels each.
    pub(crate) fn new(capacity: usize, show_prompts: bool) -> Self {
        let capacity = capacity.clamp(*CAPACITY_RANGE.start(), *CAPACITY_RANGE.end());
        Self {
            capacity,
            show_prompts,
            state: Mutex::new(State {
                ring: VecDeque::with_capacity(capacity),
                ..State::default()
            }),
            latest: watch::channel(0).0,
        }
    }

    /// How many calls the ring keeps.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether prompts and answers are recorded.
    pub(crate) fn shows_prompts(&self) -> bool {
        self.show_prompts
    }

    /// Adds a finished call.
    pub(crate) fn push(&self, mut record: CallRecord) {
        let seq = {
            let mut state = self.lock();
            state.seq += 1;
            record.seq = state.seq;
            state.totals.add(&record);
            state.series.add(&record);
            if state.ring.len() == self.capacity {
                state.ring.pop_front();
            }
            state.ring.push_back(record);
            state.seq
        };
        self.latest.send_replace(seq);
    }

    /// Waits for calls newer than those already seen by `receiver`.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// Reads the log: the calls after sequence number `after` (all kept
    /// ones for 0), the totals and the series, under one short lock.
    pub(crate) fn read<R>(&self, after: u64, read: impl FnOnce(LogView<'_>) -> R) -> R {
        let state = self.lock();
        let newer = state.ring.iter().filter(|r| r.seq > after).collect();
        read(LogView {
            latest: state.seq,
            calls: newer,
            totals: &state.totals,
            series: state.series.view(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What [`CallLog::read`] shows.
pub(crate) struct LogView<'a> {
    /// The sequence number of the latest call.
    pub latest: u64,
    /// The kept calls newer than asked, oldest first.
    pub calls: Vec<&'a CallRecord>,
    pub totals: &'a Totals,
    pub series: Vec<BucketView<'a>>,
}

impl Totals {
    fn add(&mut self, record: &CallRecord) {
        self.calls += 1;
        self.input_tokens += record.input_tokens;
        self.output_tokens += record.output_tokens;
        self.cost_usd += record.cost_usd;
        self.saved_usd += record.saved_usd;
        if record.failed() {
            self.errors += 1;
            self.errors_by_type.add(record.status, 1);
        }
        if let Some(status) = &record.cache {
            let (kind, outcome) = match status.strip_prefix("SEMANTIC ") {
                Some(outcome) => (&mut self.cache.semantic, outcome),
                None => (&mut self.cache.exact, status.as_str()),
            };
            match outcome {
                "HIT" => kind.hits += 1,
                "MISS" => kind.misses += 1,
                _ => kind.refreshes += 1,
            }
        }
        self.cost_by_endpoint.add(&record.endpoint, record.cost_usd);
        self.cost_by_model.add(&record.model, record.cost_usd);
        self.cost_by_user
            .add(record.user.as_deref().unwrap_or(""), record.cost_usd);
        for passed in &record.passed_over {
            self.target(&record.endpoint, &passed.path).failed += 1;
        }
        let answering = self.target(&record.endpoint, &record.route);
        if record.failed() {
            answering.failed += 1;
        } else {
            answering.answered += 1;
            answering.latency.observe(record.latency_ms);
        }
    }

    fn target(&mut self, endpoint: &Arc<str>, path: &str) -> &mut TargetCounts {
        capped::entry(
            &mut self.targets,
            MAX_KEYS,
            path,
            |t, path| *t.endpoint == **endpoint && t.path == path,
            |path| TargetCounts {
                endpoint: endpoint.clone(),
                path: path.to_owned(),
                answered: 0,
                failed: 0,
                latency: LatencySketch::default(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::gateway::CallContext;
    use crate::llm::{Extra, Message, Usage};
    use crate::observability::metrics::Operation;

    fn facts(section: serde_json::Value) -> Extra {
        let mut extra = Extra::new();
        extra.insert(crate::reliability::METADATA_KEY.to_owned(), section);
        extra
    }

    fn call(log: &Arc<CallLog>, user: Option<&str>, model: &str, prompt: &str) -> PendingCall {
        let call = CallContext::detached().with_user(user.map(Into::into));
        PendingCall::begin(
            log.clone(),
            Arc::from("ask"),
            &call,
            Operation::Chat,
            model,
            &[Message::user(prompt)],
        )
    }

    fn answered(pending: PendingCall, ms: u64, cost: f64, section: serde_json::Value) {
        let mut usage = Usage::new(10, 5);
        usage.cost = Some(cost);
        pending.end(
            Duration::from_millis(ms),
            Ending::Answered {
                model: "m",
                usage: Some(&usage),
                facts: &facts(section),
                text: Some("the answer, token=abcdef123456"),
            },
        );
    }

    #[test]
    fn a_fallback_a_hit_and_a_failure_are_recorded_with_their_route_and_cost() {
        let log = Arc::new(CallLog::new(10, false));
        answered(
            call(&log, Some("alice"), "primary", "hi"),
            120,
            0.002,
            json!({"target_index": 1, "model": "backup", "attempts": 2,
                   "failed": [{"target_index": 0, "model": "primary", "error": "upstream_error", "status": 503}]}),
        );
        answered(
            call(&log, Some("alice"), "m", "hi"),
            3,
            0.0,
            json!({"cache_status": "HIT", "cache_age_ms": 5, "saved_cost": 0.002}),
        );
        answered(
            call(&log, None, "m", "hi"),
            3,
            0.004,
            json!({"cache_status": "SEMANTIC HIT"}),
        );
        call(&log, Some("bob"), "m", "hi").end(
            Duration::from_millis(50),
            Ending::Failed {
                kind: "rate_limited",
                status: Some(429),
            },
        );
        log.read(0, |view| {
            assert_eq!(view.latest, 4);
            let [fallback, hit, semantic, failed] = view.calls.as_slice() else {
                panic!("four calls");
            };
            assert_eq!(fallback.route, "targets[1]");
            assert_eq!(fallback.answered_by.as_deref(), Some("backup"));
            assert_eq!(fallback.attempts, 2);
            assert_eq!(fallback.passed_over[0].path, "targets[0]");
            assert_eq!(fallback.passed_over[0].status, Some(503));
            assert_eq!(fallback.prompt, None, "prompts are off");
            assert_eq!(fallback.answer, None);
            assert!(hit.cache_hit() && hit.cost_usd == 0.0 && hit.saved_usd == 0.002);
            assert!(
                semantic.cache_hit() && semantic.cost_usd == 0.0 && semantic.saved_usd == 0.004
            );
            assert_eq!(failed.status, "rate_limited");
            assert_eq!(failed.upstream_status, Some(429));

            let totals = view.totals;
            assert_eq!((totals.calls, totals.errors), (4, 1));
            assert!((totals.cost_usd - 0.002).abs() < 1e-12);
            assert!((totals.saved_usd - 0.006).abs() < 1e-12);
            assert_eq!(totals.cache.exact.hits, 1);
            assert_eq!(totals.cache.semantic.hits, 1);
            assert_eq!(totals.errors_by_type.0, [("rate_limited".to_owned(), 1)]);
            assert_eq!(totals.cost_by_user.0[0], ("alice".to_owned(), 0.002));
            let target = |path: &str| totals.targets.iter().find(|t| t.path == path).unwrap();
            assert_eq!(
                (target("targets[0]").answered, target("targets[0]").failed),
                (0, 1)
            );
            assert_eq!(target("targets[1]").answered, 1);
            assert_eq!((target("").answered, target("").failed), (2, 1));

            let points: u32 = view
                .series
                .iter()
                .flat_map(|b| &b.points)
                .map(|p| p.calls)
                .sum();
            assert_eq!(points, 4);
        });
        log.read(3, |view| {
            assert_eq!(view.calls.len(), 1, "only the newer calls")
        });
    }

    #[test]
    fn the_ring_keeps_the_latest_calls_and_prompts_only_when_shown_masked() {
        let log = Arc::new(CallLog::new(0, true));
        assert_eq!(log.capacity(), 10, "clamped to the smallest ring");
        for i in 0..25 {
            answered(
                call(
                    &log,
                    None,
                    &format!("model-{i}"),
                    "key sk-abcdefghijklmnopqrstu",
                ),
                1,
                0.0,
                json!({}),
            );
        }
        log.read(0, |view| {
            assert_eq!(view.calls.len(), 10);
            assert_eq!(view.calls[0].seq, 16);
            let record = view.calls[9];
            assert_eq!(record.prompt.as_deref(), Some("user: key ***"));
            assert_eq!(record.answer.as_deref(), Some("the answer, token=***"));
            assert_eq!(view.totals.calls, 25);
        });
    }

    #[test]
    fn labels_are_capped() {
        let mut counted = Counted::<u64>::default();
        for i in 0..MAX_KEYS + 50 {
            counted.add(&format!("user-{i}"), 1);
        }
        assert_eq!(counted.0.len(), MAX_KEYS + 1);
        assert_eq!(counted.0.last().unwrap(), &(capped::OTHER.to_owned(), 50));
    }
}
