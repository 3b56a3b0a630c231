//! [`ExactCache`]: answers a request seen before from the store, without
//! calling upstream.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::keeper::Keeper;
use super::replay::replay;
use super::semantic::Guard;
use super::shared_slot::SharedSlot;
use super::{CacheKey, CacheScope, CacheStore, CachedAnswer, MemoryStore};
use crate::gateway::{
    Answer, BoxFuture, CacheFacts, CacheStatus, CallContext, GatewayError, GatewayReply,
    GatewayRequest, LlmGateway, Node, NodeKind, Strategy,
};
use crate::store::{SharedPiece, SharedStore};

/// What a cache has done, for `/metrics` and reports (found by walking the tree).
#[derive(Debug, Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
    refreshes: AtomicU64,
    stores: AtomicU64,
    semantic: bool,
    semantic_hits: AtomicU64,
    semantic_misses: AtomicU64,
    guard_refusals: AtomicU64,
    /// Refusals by guard, in the order of [`Guard::ALL`].
    refusals_by_guard: [AtomicU64; GUARDS],
}

/// How many guards there are.
const GUARDS: usize = Guard::ALL.len();

impl CacheStats {
    /// The stats of a semantic cache (reported with its semantic counts).
    pub(crate) fn semantic() -> Self {
        Self {
            semantic: true,
            ..Self::default()
        }
    }

    /// Whether these are a semantic cache's.
    pub fn is_semantic(&self) -> bool {
        self.semantic
    }

    /// Requests answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
    /// Requests that found nothing and went upstream.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
    /// Requests told to skip the cache and refresh it.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }
    /// Answers stored.
    pub fn stores(&self) -> u64 {
        self.stores.load(Ordering::Relaxed)
    }
    /// Of the hits, those answered with the answer to a prompt that means
    /// the same (a semantic cache's).
    pub fn semantic_hits(&self) -> u64 {
        self.semantic_hits.load(Ordering::Relaxed)
    }
    /// Of the misses, a semantic cache's (`SEMANTIC MISS`: no exact entry
    /// and no near prompt it would serve).
    pub fn semantic_misses(&self) -> u64 {
        self.semantic_misses.load(Ordering::Relaxed)
    }
    /// Near matches a semantic cache's guards refused.
    pub fn guard_refusals(&self) -> u64 {
        self.guard_refusals.load(Ordering::Relaxed)
    }
    /// Near matches `guard` refused (the first guard that refuses counts).
    pub fn guard_refusals_by(&self, guard: Guard) -> u64 {
        Guard::ALL
            .iter()
            .position(|g| *g == guard)
            .map_or(0, |i| self.refusals_by_guard[i].load(Ordering::Relaxed))
    }

    /// Counts one call that ended with `status`.
    pub(crate) fn count(&self, status: CacheStatus) {
        let counter = match status {
            CacheStatus::Hit => &self.hits,
            CacheStatus::SemanticHit => {
                self.semantic_hits.fetch_add(1, Ordering::Relaxed);
                &self.hits
            }
            CacheStatus::Miss => &self.misses,
            CacheStatus::SemanticMiss => {
                self.semantic_misses.fetch_add(1, Ordering::Relaxed);
                &self.misses
            }
            CacheStatus::Refresh => &self.refreshes,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one answer stored.
    pub(crate) fn count_store(&self) {
        self.stores.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one near match `guard` refused.
    pub(crate) fn count_guard_refusal(&self, guard: Guard) {
        self.guard_refusals.fetch_add(1, Ordering::Relaxed);
        if let Some(i) = Guard::ALL.iter().position(|g| *g == guard) {
            self.refusals_by_guard[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The default time an answer is served: one day (Portkey's default).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// A gateway that serves a request it has seen before, within `max_age`,
/// from its store, and stores every complete successful answer.
///
/// - The key is the request as this piece sees it (after any override above
///   it), its kind, and the [`CacheScope`] (namespace, per user, per
///   endpoint): see [`CacheKey`]. A streamed and a plain request with the
///   same parameters share an entry.
/// - Only complete answers are stored: a chat completion, embeddings, or a
///   stream that ended without an error (gathered into a completion; a
///   stream that called tools is not stored). Errors never are.
/// - A streaming request served from the cache gets the answer as chunks.
/// - [`CacheControl`](super::CacheControl) on the call can force a refresh
///   or pick another namespace.
/// - The answer's route says `cache_status` (`HIT`, `MISS`, `REFRESH`) and,
///   on a hit, the entry's age; `metadata["fastagentic"]` shows both.
///
/// ```
/// use std::time::Duration;
/// use fastagentic::DemoGateway;
/// use fastagentic::cache::ExactCache;
/// let cached = ExactCache::new(DemoGateway::new()).max_age(Duration::from_secs(3600));
/// # let _ = cached;
/// ```
pub struct ExactCache<G> {
    inner: G,
    store: Arc<dyn CacheStore>,
    /// The app's shared store, when the cache was given none of its own.
    shared: SharedCacheStore,
    scope: CacheScope,
    max_age: Duration,
    stats: Arc<CacheStats>,
}

impl<G: LlmGateway> std::fmt::Debug for ExactCache<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExactCache")
            .field("gateway", &self.inner.name())
            .field("scope", &self.scope)
            .field("max_age", &self.max_age)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<G: LlmGateway> ExactCache<G> {
    /// Caches `inner`'s answers in memory ([`MemoryStore`]), for a day.
    pub fn new(inner: G) -> Self {
        Self {
            inner,
            store: Arc::new(MemoryStore::default()),
            shared: SharedCacheStore::default(),
            scope: CacheScope::default(),
            max_age: DEFAULT_MAX_AGE,
            stats: Arc::default(),
        }
    }

    /// How long an answer is served (default one day).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Where answers are kept (default a 64 MiB [`MemoryStore`], or
    /// Redis when the app has a shared store,
    /// [`App::shared_store`](crate::App::shared_store)). A store given
    /// here is kept whatever the app shares.
    pub fn store(mut self, store: Arc<dyn CacheStore>) -> Self {
        self.store = store;
        self.shared.0.keep_own();
        self
    }

    fn store_in_use(&self) -> &Arc<dyn CacheStore> {
        self.shared.0.get().unwrap_or(&self.store)
    }

    /// What the cache is partitioned by.
    pub fn scope(mut self, scope: CacheScope) -> Self {
        self.scope = scope;
        self
    }

    /// What the cache has done.
    pub fn stats(&self) -> &Arc<CacheStats> {
        &self.stats
    }

    async fn run(
        &self,
        call: &CallContext,
        request: GatewayRequest,
    ) -> Result<GatewayReply, GatewayError> {
        let key = CacheKey::of(&request, call, &self.scope);
        let refresh = call.cache_control().force_refresh;
        if !refresh && let Some(entry) = self.store_in_use().get(key).await {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            if let Some(answer) = served(&request, &entry.answer) {
                let mut reply = GatewayReply::new(answer);
                reply.route.cache = Some(CacheFacts {
                    status: CacheStatus::Hit,
                    age: Some(entry.age()),
                    similarity: None,
                });
                return Ok(reply);
            }
        }
        let status = if refresh {
            self.stats.refreshes.fetch_add(1, Ordering::Relaxed);
            CacheStatus::Refresh
        } else {
            self.stats.misses.fetch_add(1, Ordering::Relaxed);
            CacheStatus::Miss
        };
        let mut reply = self.inner.serve(call, request).await?;
        let keeper = Keeper {
            answers: self.store_in_use().clone(),
            stats: self.stats.clone(),
            key,
            max_age: self.max_age,
            prompt: None,
        };
        keeper.keep_reply(&mut reply.answer).await;
        reply.route.cache = Some(CacheFacts {
            status,
            age: None,
            similarity: None,
        });
        Ok(reply)
    }
}

/// The store an app shares, taken once (unless the cache chose its own).
#[derive(Default)]
struct SharedCacheStore(SharedSlot<dyn CacheStore>);

impl SharedPiece for SharedCacheStore {
    fn share(&self, store: &SharedStore, _name: &str) {
        self.0.offer(|| store.cache_store());
    }
}

/// The stored answer in the form `request` asks for, if it fits.
pub(super) fn served(request: &GatewayRequest, answer: &CachedAnswer) -> Option<Answer> {
    match (request, answer) {
        (GatewayRequest::Chat(_), CachedAnswer::Chat(response)) => {
            Some(Answer::Chat(response.clone()))
        }
        (GatewayRequest::Stream(_), CachedAnswer::Chat(response)) => {
            Some(Answer::Stream(replay(response)))
        }
        (GatewayRequest::Embed(_), CachedAnswer::Embed(response)) => {
            Some(Answer::Embed(response.clone()))
        }
        _ => None,
    }
}

impl<G: LlmGateway> Strategy for ExactCache<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(self.run(call, request))
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Cache(&self.stats), &self.inner).sharing(&self.shared)
    }

    fn check_options(&self) -> Result<(), String> {
        if self.max_age.is_zero() {
            return Err("cache: `max_age` must be more than 0".to_owned());
        }
        Ok(())
    }
}
