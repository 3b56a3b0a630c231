//! The dashboard's memory of recent LLM calls: a ring of the latest calls,
//! running totals since start-up, calls over time, and per-target counts.
//! No database: everything is in memory and bounded (see [`CallLog::new`]).
//!
//! Calls are recorded where their telemetry already ends
//! ([`LlmCall`](super::LlmCall)), and only when the app has a dashboard:
//! without one, an endpoint holds no log and a call pays one `None` check.

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
pub(crate) use series::{BUCKET_SECONDS, BucketView, OTHER};

/// The fewest and most calls the ring may hold.
pub(crate) const CAPACITY_RANGE: std::ops::RangeInclusive<usize> = 10..=10_000;

/// Distinct users, endpoints, models and gateway targets counted in the
/// totals; more count under [`OTHER`].
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

/// Values per label, at most [`MAX_KEYS`] labels plus [`OTHER`], in the
/// order they appeared.
#[derive(Default, Serialize)]
#[serde(transparent)]
pub(crate) struct Counted<T>(Vec<(String, T)>);

impl<T: Copy + std::ops::AddAssign + Default> Counted<T> {
    fn add(&mut self, label: &str, value: T) {
        let label = if self.0.iter().any(|(l, _)| l == label) || self.0.len() < MAX_KEYS {
            label
        } else {
            OTHER
        };
        match self.0.iter_mut().find(|(l, _)| l == label) {
            Some((_, total)) => *total += value,
            None => self.0.push((label.to_owned(), value)),
        }
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
        let found = self
            .targets
            .iter()
            .position(|t| *t.endpoint == **endpoint && t.path == path);
        let index = match found {
            Some(index) => index,
            None => {
                let path = if self.targets.len() >= MAX_KEYS {
                    OTHER
                } else {
                    path
                };
                match self
                    .targets
                    .iter()
                    .position(|t| *t.endpoint == **endpoint && t.path == path)
                {
                    Some(index) => index,
                    None => {
                        self.targets.push(TargetCounts {
                            endpoint: endpoint.clone(),
                            path: path.to_owned(),
                            answered: 0,
                            failed: 0,
                            latency: LatencySketch::default(),
                        });
                        self.targets.len() - 1
                    }
                }
            }
        };
        &mut self.targets[index]
    }
}
