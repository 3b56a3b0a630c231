//! Where cached answers live: [`MemoryStore`] (moka, bounded by entries and
//! bytes, each entry with its own time to live) by default; other stores
//! (Redis, for replicas) implement [`CacheStore`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use moka::Expiry;
use moka::sync::Cache;

use super::CacheKey;
use crate::gateway::BoxFuture;
use crate::llm::{ChatResponse, EmbeddingResponse};

/// A complete answer, as stored.
#[derive(Clone, Debug, PartialEq)]
pub enum CachedAnswer {
    /// A chat completion (also what a completed stream is stored as).
    Chat(ChatResponse),
    /// Embeddings.
    Embed(EmbeddingResponse),
}

/// One stored answer with its time facts.
#[derive(Clone, Debug)]
pub struct CacheEntry {
    /// The answer.
    pub answer: CachedAnswer,
    /// When it was stored.
    pub stored_at: SystemTime,
    /// How long it may be served.
    pub max_age: Duration,
    /// Its approximate size in bytes (what the store's byte bound counts).
    pub bytes: u32,
}

impl CacheEntry {
    /// An entry for `answer`, stored now.
    pub fn new(answer: CachedAnswer, max_age: Duration) -> Self {
        let bytes = match &answer {
            CachedAnswer::Chat(response) => serde_json::to_vec(response).map_or(0, |v| v.len()),
            CachedAnswer::Embed(response) => serde_json::to_vec(response).map_or(0, |v| v.len()),
        };
        Self {
            answer,
            stored_at: SystemTime::now(),
            max_age,
            bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
        }
    }

    /// How old the entry is.
    pub fn age(&self) -> Duration {
        self.stored_at.elapsed().unwrap_or_default()
    }

    /// Whether it may still be served.
    pub fn is_fresh(&self) -> bool {
        self.age() < self.max_age
    }
}

/// A place for cached answers. Implementations must never fail a request:
/// a store that cannot answer answers `None` (a miss).
pub trait CacheStore: Send + Sync + 'static {
    /// The entry under `key`, if one is stored and fresh.
    fn get(&self, key: CacheKey) -> BoxFuture<'_, Option<Arc<CacheEntry>>>;
    /// Stores `entry` under `key`.
    fn put(&self, key: CacheKey, entry: Arc<CacheEntry>) -> BoxFuture<'_, ()>;
    /// How many entries are stored (approximately, for reports).
    fn len(&self) -> u64;
    /// Whether it holds nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Each entry lives for its own `max_age`.
struct OwnMaxAge;

impl Expiry<CacheKey, Arc<CacheEntry>> for OwnMaxAge {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        entry: &Arc<CacheEntry>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(entry.max_age)
    }
}

/// The in-process store: bounded by bytes (default 64 MiB), least recently
/// and least frequently used entries evicted first (moka's TinyLFU).
#[derive(Clone)]
pub struct MemoryStore {
    cache: Cache<CacheKey, Arc<CacheEntry>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.cache.entry_count())
            .field("bytes", &self.cache.weighted_size())
            .finish()
    }
}

/// The default byte bound of a [`MemoryStore`].
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_max_bytes(DEFAULT_CACHE_BYTES)
    }
}

impl MemoryStore {
    /// A store holding at most `max_bytes` of answers.
    pub fn with_max_bytes(max_bytes: u64) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key, entry: &Arc<CacheEntry>| entry.bytes.max(1))
                .expire_after(OwnMaxAge)
                .build(),
        }
    }

    /// Bytes held now (approximately).
    pub fn bytes(&self) -> u64 {
        self.cache.weighted_size()
    }
}

impl CacheStore for MemoryStore {
    fn get(&self, key: CacheKey) -> BoxFuture<'_, Option<Arc<CacheEntry>>> {
        let found = self.cache.get(&key).filter(|entry| entry.is_fresh());
        Box::pin(std::future::ready(found))
    }

    fn put(&self, key: CacheKey, entry: Arc<CacheEntry>) -> BoxFuture<'_, ()> {
        self.cache.insert(key, entry);
        Box::pin(std::future::ready(()))
    }

    fn len(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }
}
