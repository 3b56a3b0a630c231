//! The metrics registry: counters, gauges and histograms of atomics, one
//! set per endpoint, found through handles built at start-up.
//!
//! The request path never looks anything up by endpoint: each endpoint's
//! runtime holds its [`EndpointMetrics`]. LLM metrics are per model, found
//! by a short scan under a read lock (a new model takes the write lock
//! once). Rendering lives in [`prometheus`](super::prometheus).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use super::call_log::CallLog;
use super::gateway_trees::GatewayTrees;
use super::histogram::Histogram;
use crate::llm::Usage;

/// Distinct models (and fallback targets) tracked per endpoint; calls
/// beyond them count under the model `other`, so a client that invents
/// model names (the OpenAI-compatible route lets it) cannot grow the
/// registry without bound.
pub(crate) const MAX_MODELS_PER_ENDPOINT: usize = 64;

/// The model label of calls beyond [`MAX_MODELS_PER_ENDPOINT`].
pub(crate) const OVERFLOW_MODEL: &str = "other";

/// How an LLM call ended, as the `outcome` label: `ok`, or the gateway
/// error's kind, `cancelled` when the caller went away, `other` for kinds
/// added later.
pub(crate) const OUTCOMES: [&str; 12] = [
    "ok",
    "upstream_error",
    "upstream_unreachable",
    "upstream_timeout",
    "upstream_malformed",
    "stream_interrupted",
    "gateway_config",
    "rejected",
    "rate_limited",
    "circuit_open",
    "cancelled",
    "other",
];

fn outcome_index(outcome: &str) -> usize {
    OUTCOMES
        .iter()
        .position(|o| *o == outcome)
        .unwrap_or(OUTCOMES.len() - 1)
}

/// The LLM operations, as the `operation` label and `gen_ai.operation.name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// A chat completion, streamed or not.
    Chat,
    /// Embeddings.
    Embeddings,
}

impl Operation {
    pub(crate) const ALL: [Operation; 2] = [Operation::Chat, Operation::Embeddings];

    /// The GenAI conventions' name: `chat` or `embeddings`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Operation::Chat => "chat",
            Operation::Embeddings => "embeddings",
        }
    }
}

/// An app's metrics: what `GET /metrics` renders. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Metrics {
    inner: Arc<Registry>,
}

#[derive(Default)]
struct Registry {
    endpoints: RwLock<Vec<Arc<EndpointMetrics>>>,
    trees: RwLock<GatewayTrees>,
    /// The dashboard's log of recent calls, when the app has a dashboard.
    call_log: Option<Arc<CallLog>>,
    shared_store: RwLock<crate::store::SharedStore>,
}

impl Metrics {
    /// An empty registry.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// An empty registry whose endpoints also record each LLM call in `log`.
    pub(crate) fn with_call_log(log: Arc<CallLog>) -> Self {
        Self {
            inner: Arc::new(Registry {
                call_log: Some(log),
                ..Registry::default()
            }),
        }
    }

    /// The handle of `endpoint`, registered once at start-up.
    pub(crate) fn endpoint(&self, endpoint: &str) -> Arc<EndpointMetrics> {
        let mut metrics = EndpointMetrics::new(endpoint);
        metrics.call_log.clone_from(&self.inner.call_log);
        let metrics = Arc::new(metrics);
        write(&self.inner.endpoints).push(metrics.clone());
        metrics
    }

    /// Reports the health of the store the app shares state through.
    pub(crate) fn watch_store(&self, store: &crate::store::SharedStore) {
        *write(&self.inner.shared_store) = store.clone();
    }

    /// The store the app shares state through.
    pub(crate) fn shared_store(&self) -> crate::store::SharedStore {
        read(&self.inner.shared_store).clone()
    }

    /// Reports the breakers, limits and caches in `gateway`'s tree.
    pub(crate) fn watch_tree(&self, endpoint: &str, gateway: Arc<dyn crate::gateway::LlmGateway>) {
        write(&self.inner.trees).watch(endpoint, gateway);
    }

    /// Every endpoint's metrics, in registration order.
    pub(crate) fn endpoints(&self) -> RwLockReadGuard<'_, Vec<Arc<EndpointMetrics>>> {
        read(&self.inner.endpoints)
    }

    /// The dashboard's log of recent calls, when the app has a dashboard.
    pub(crate) fn call_log(&self) -> Option<&Arc<CallLog>> {
        self.inner.call_log.as_ref()
    }

    /// Every watched gateway tree.
    pub(crate) fn trees(&self) -> RwLockReadGuard<'_, GatewayTrees> {
        read(&self.inner.trees)
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Values keyed by a label (a model name), created on first use, at most
/// [`MAX_MODELS_PER_ENDPOINT`] of them plus [`OVERFLOW_MODEL`].
pub(crate) struct Keyed<T> {
    entries: RwLock<Vec<(Box<str>, Arc<T>)>>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(Vec::new()),
        }
    }
}

impl<T: Default> Keyed<T> {
    /// The value for `key`, created when new.
    pub(crate) fn get(&self, key: &str) -> Arc<T> {
        if let Some((_, value)) = read(&self.entries).iter().find(|(k, _)| &**k == key) {
            return value.clone();
        }
        let mut entries = write(&self.entries);
        let key = if entries.len() >= MAX_MODELS_PER_ENDPOINT {
            OVERFLOW_MODEL
        } else {
            key
        };
        if let Some((_, value)) = entries.iter().find(|(k, _)| &**k == key) {
            return value.clone();
        }
        let value = Arc::new(T::default());
        entries.push((key.into(), value.clone()));
        value
    }

    /// Every key and value, in the order they appeared.
    pub(crate) fn entries(&self) -> RwLockReadGuard<'_, Vec<(Box<str>, Arc<T>)>> {
        read(&self.entries)
    }
}

/// One endpoint's metrics.
pub(crate) struct EndpointMetrics {
    endpoint: Arc<str>,
    /// Where its LLM calls are recorded for the dashboard (none without one).
    call_log: Option<Arc<CallLog>>,
    in_flight: AtomicI64,
    /// Requests per status, indexed by `status - 100` (100 to 599).
    statuses: Box<[AtomicU64]>,
    duration: Histogram,
    models: Keyed<ModelMetrics>,
    fallbacks: Keyed<AtomicU64>,
}

impl EndpointMetrics {
    fn new(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.into(),
            call_log: None,
            in_flight: AtomicI64::new(0),
            statuses: (100..600).map(|_| AtomicU64::new(0)).collect(),
            duration: Histogram::default(),
            models: Keyed::default(),
            fallbacks: Keyed::default(),
        }
    }

    /// The endpoint's name (the `endpoint` label).
    pub(crate) fn name(&self) -> &str {
        &self.endpoint
    }

    /// The endpoint's name, shared.
    pub(crate) fn name_shared(&self) -> &Arc<str> {
        &self.endpoint
    }

    /// The dashboard's log of recent calls, when the app has a dashboard.
    pub(crate) fn call_log(&self) -> Option<&Arc<CallLog>> {
        self.call_log.as_ref()
    }

    /// A request started.
    pub(crate) fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A request ended with `status` after `elapsed` (a stream: when its body ended).
    pub(crate) fn request_finished(&self, status: u16, elapsed: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let slot = usize::from(status.clamp(100, 599) - 100);
        self.statuses[slot].fetch_add(1, Ordering::Relaxed);
        self.duration.observe(elapsed);
    }

    /// The metrics of calls that asked for `model`.
    pub(crate) fn model(&self, model: &str) -> Arc<ModelMetrics> {
        self.models.get(model)
    }

    /// A fallback chain moved on to a target asking for `to_model`.
    pub(crate) fn fell_back(&self, to_model: &str) {
        self.fallbacks.get(to_model).fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// `(status, requests)` for every status seen.
    pub(crate) fn statuses(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.statuses
            .iter()
            .zip(100u16..)
            .map(|(count, status)| (status, count.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
    }

    pub(crate) fn duration(&self) -> &Histogram {
        &self.duration
    }

    pub(crate) fn models(&self) -> &Keyed<ModelMetrics> {
        &self.models
    }

    pub(crate) fn fallbacks(&self) -> &Keyed<AtomicU64> {
        &self.fallbacks
    }
}

/// The LLM metrics of one model on one endpoint.
#[derive(Default)]
pub(crate) struct ModelMetrics {
    chat: CallMetrics,
    embeddings: CallMetrics,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    /// US dollars in billionths, so it adds up atomically and exactly.
    cost_nano_usd: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
}

/// Calls of one operation: how they ended, and how long they took.
#[derive(Default)]
pub(crate) struct CallMetrics {
    outcomes: [AtomicU64; OUTCOMES.len()],
    duration: Histogram,
}

impl CallMetrics {
    /// `(outcome, calls)` for every outcome seen.
    pub(crate) fn outcomes(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        OUTCOMES
            .iter()
            .zip(&self.outcomes)
            .map(|(name, count)| (*name, count.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
    }

    pub(crate) fn duration(&self) -> &Histogram {
        &self.duration
    }
}

impl ModelMetrics {
    /// The metrics of `operation`.
    pub(crate) fn calls(&self, operation: Operation) -> &CallMetrics {
        match operation {
            Operation::Chat => &self.chat,
            Operation::Embeddings => &self.embeddings,
        }
    }

    /// A call of `operation` ended with `outcome` (`ok` or an error kind) after `elapsed`.
    pub(crate) fn call_finished(&self, operation: Operation, outcome: &str, elapsed: Duration) {
        let calls = self.calls(operation);
        calls.outcomes[outcome_index(outcome)].fetch_add(1, Ordering::Relaxed);
        calls.duration.observe(elapsed);
        if outcome == "rate_limited" {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Adds a call's tokens and cost.
    pub(crate) fn used(&self, usage: &Usage) {
        self.input_tokens
            .fetch_add(usage.input_tokens, Ordering::Relaxed);
        self.output_tokens
            .fetch_add(usage.output_tokens, Ordering::Relaxed);
        if let Some(cost) = usage.cost.filter(|c| c.is_finite() && *c > 0.0) {
            self.cost_nano_usd
                .fetch_add((cost * 1e9).round() as u64, Ordering::Relaxed);
        }
    }

    /// A call of this model is about to be retried.
    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn input_tokens(&self) -> u64 {
        self.input_tokens.load(Ordering::Relaxed)
    }

    pub(crate) fn output_tokens(&self) -> u64 {
        self.output_tokens.load(Ordering::Relaxed)
    }

    pub(crate) fn cost_usd(&self) -> f64 {
        self.cost_nano_usd.load(Ordering::Relaxed) as f64 / 1e9
    }

    pub(crate) fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    pub(crate) fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_beyond_the_cap_share_one_series() {
        let endpoint = EndpointMetrics::new("e");
        for i in 0..MAX_MODELS_PER_ENDPOINT + 10 {
            endpoint.model(&format!("m{i}")).retried();
        }
        let entries = endpoint.models().entries();
        assert_eq!(entries.len(), MAX_MODELS_PER_ENDPOINT + 1);
        let (name, other) = entries.last().unwrap();
        assert_eq!(&**name, OVERFLOW_MODEL);
        assert_eq!(other.retries(), 10);
    }

    #[test]
    fn unknown_outcomes_count_as_other() {
        let model = ModelMetrics::default();
        model.call_finished(Operation::Chat, "ok", Duration::ZERO);
        model.call_finished(Operation::Chat, "a_new_kind", Duration::ZERO);
        model.call_finished(Operation::Chat, "rate_limited", Duration::ZERO);
        let seen: Vec<_> = model.calls(Operation::Chat).outcomes().collect();
        assert_eq!(seen, [("ok", 1), ("rate_limited", 1), ("other", 1)]);
        assert_eq!(model.rate_limited(), 1);
    }
}
