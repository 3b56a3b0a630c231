//! Where the semantic cache keeps its prompts' vectors: [`VectorStore`]
//! (an interface a shared store such as Redis can implement, keeping each
//! replica's index in step), and [`MemoryVectorStore`], the in-process one,
//! bounded by entries and bytes, oldest evicted first.
//!
//! The answers themselves stay in the cache's [`CacheStore`](crate::cache::CacheStore)
//! under each prompt's exact [`CacheKey`]: a vector only says where to look.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use super::index::{DEFAULT_QUANTISED_ABOVE, VectorIndex};
use crate::cache::CacheKey;
use crate::gateway::BoxFuture;

/// One prompt the semantic cache stored: its vector, the text it embeds
/// (for the guards), where its answer is, and for how long it is served.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPrompt {
    /// The exact key of the request: where its answer is stored.
    pub key: CacheKey,
    /// The partition it may be matched in (everything but the embedded text).
    pub scope: CacheKey,
    /// The text that was embedded.
    pub text: String,
    /// Its unit-length embedding.
    pub vector: Vec<f32>,
    /// When it was stored.
    pub stored_at: SystemTime,
    /// How long it may be served.
    pub max_age: Duration,
}

impl StoredPrompt {
    /// Whether it may still be served.
    pub fn is_fresh(&self) -> bool {
        self.stored_at.elapsed().unwrap_or_default() < self.max_age
    }

    /// Its approximate size in memory: its own vector and text, and its
    /// index entry (an `f32` copy, `i8` codes and their bounds).
    pub fn bytes(&self) -> u64 {
        (self.vector.len() * (4 + 4 + 1) + 12 + self.text.len() + 160) as u64
    }
}

/// A stored prompt near a query, with its cosine similarity.
#[derive(Clone, Debug)]
pub struct NearPrompt {
    /// The stored prompt.
    pub prompt: Arc<StoredPrompt>,
    /// Cosine similarity with the query.
    pub similarity: f32,
}

/// A place for the semantic cache's vectors. Implementations never fail a
/// request: a store that cannot answer finds nothing.
///
/// A store shared by replicas (Redis) keeps the prompts there and, in each
/// replica, a [`VectorIndex`] per scope in step with them (inserts and
/// removals published to every replica), so `nearest` stays a local search.
pub trait VectorStore: Send + Sync + 'static {
    /// Stores `prompt`, replacing the prompt under the same key and scope.
    fn insert(&self, prompt: StoredPrompt) -> BoxFuture<'_, ()>;

    /// Up to `limit` fresh prompts of `scope` at or above `min_similarity`
    /// to `vector`, nearest first.
    fn nearest<'a>(
        &'a self,
        scope: CacheKey,
        vector: &'a [f32],
        min_similarity: f32,
        limit: usize,
    ) -> BoxFuture<'a, Vec<NearPrompt>>;

    /// Forgets the prompt under `key` in `scope` (its answer is gone).
    fn remove(&self, scope: CacheKey, key: CacheKey) -> BoxFuture<'_, ()>;

    /// How many prompts it holds.
    fn len(&self) -> u64;

    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The default bound on stored prompts of a [`MemoryVectorStore`].
pub const DEFAULT_MAX_PROMPTS: u64 = 100_000;

/// The default byte bound of a [`MemoryVectorStore`] (vectors and texts).
pub const DEFAULT_MAX_PROMPT_BYTES: u64 = 256 * 1024 * 1024;

/// The in-process [`VectorStore`]: one [`VectorIndex`] per scope, bounded by
/// entries and bytes, the oldest prompt evicted first. An insert or a
/// removal updates the index in place (nothing is rebuilt, on the request
/// path or elsewhere).
#[derive(Clone)]
pub struct MemoryVectorStore {
    shared: Arc<Shared>,
}

struct Shared {
    state: RwLock<State>,
    max_prompts: u64,
    max_bytes: u64,
    quantised_above: usize,
}

#[derive(Default)]
struct State {
    scopes: HashMap<CacheKey, Scope>,
    /// Insertion order, for eviction: (scope, key, the insert's number).
    order: VecDeque<(CacheKey, CacheKey, u64)>,
    inserted: u64,
    prompts: u64,
    bytes: u64,
}

struct Scope {
    index: VectorIndex,
    prompts: HashMap<CacheKey, (Arc<StoredPrompt>, u64)>,
}

impl std::fmt::Debug for MemoryVectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryVectorStore")
            .field("prompts", &self.len())
            .field("bytes", &self.bytes())
            .field("max_prompts", &self.shared.max_prompts)
            .field("max_bytes", &self.shared.max_bytes)
            .finish()
    }
}

impl Default for MemoryVectorStore {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PROMPTS, DEFAULT_MAX_PROMPT_BYTES)
    }
}

impl MemoryVectorStore {
    /// A store holding at most `max_prompts` prompts and `max_bytes` of
    /// vectors and texts.
    pub fn new(max_prompts: u64, max_bytes: u64) -> Self {
        Self::with_quantised_above(max_prompts, max_bytes, DEFAULT_QUANTISED_ABOVE)
    }

    /// As [`new`](Self::new), switching a scope to the two-stage scan
    /// ([`VectorIndex::quantised_above`]) above `entries` prompts
    /// (`usize::MAX`: always the plain scan; both find the same prompts).
    pub fn with_quantised_above(max_prompts: u64, max_bytes: u64, entries: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: RwLock::new(State::default()),
                max_prompts: max_prompts.max(1),
                max_bytes,
                quantised_above: entries,
            }),
        }
    }

    /// Bytes held (approximately).
    pub fn bytes(&self) -> u64 {
        self.shared.read().bytes
    }

    /// Stores `prompt` now (what [`VectorStore::insert`] does).
    pub fn insert_now(&self, prompt: StoredPrompt) {
        let dims = prompt.vector.len();
        let mut state = self.shared.write();
        state.inserted += 1;
        let number = state.inserted;
        let (scope_key, key, bytes) = (prompt.scope, prompt.key, prompt.bytes());
        let quantised_above = self.shared.quantised_above;
        let scope = state.scopes.entry(scope_key).or_insert_with(|| Scope {
            index: VectorIndex::new(dims).quantised_above(quantised_above),
            prompts: HashMap::new(),
        });
        if scope.index.dimensions() != dims {
            return; // another embedder's vectors: never comparable
        }
        scope.index.insert(key, &prompt.vector);
        let replaced = scope.prompts.insert(key, (Arc::new(prompt), number));
        if let Some((old, _)) = replaced {
            state.bytes = state.bytes.saturating_sub(old.bytes());
        } else {
            state.prompts += 1;
        }
        state.bytes += bytes;
        state.order.push_back((scope_key, key, number));
        while state.prompts > self.shared.max_prompts || state.bytes > self.shared.max_bytes {
            let Some((scope, key, number)) = state.order.pop_front() else {
                break;
            };
            state.remove(scope, key, Some(number));
        }
        state.compact_order();
    }

    /// The nearest prompts now (what [`VectorStore::nearest`] does).
    pub fn nearest_now(
        &self,
        scope: CacheKey,
        vector: &[f32],
        min_similarity: f32,
        limit: usize,
    ) -> Vec<NearPrompt> {
        let state = self.shared.read();
        let Some(scope) = state.scopes.get(&scope) else {
            return Vec::new();
        };
        // A few more than asked: stale ones are passed over.
        scope
            .index
            .nearest(vector, min_similarity, limit + 4)
            .into_iter()
            .filter_map(|near| {
                let (prompt, _) = scope.prompts.get(&near.key)?;
                prompt.is_fresh().then(|| NearPrompt {
                    prompt: prompt.clone(),
                    similarity: near.similarity,
                })
            })
            .take(limit)
            .collect()
    }
}

impl Shared {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// Drops the order's records of prompts replaced since, once they
    /// outnumber the live ones (a key refreshed again and again).
    fn compact_order(&mut self) {
        if self.order.len() as u64 <= 2 * self.prompts + 1024 {
            return;
        }
        let scopes = &self.scopes;
        self.order.retain(|(scope, key, number)| {
            scopes
                .get(scope)
                .and_then(|s| s.prompts.get(key))
                .is_some_and(|(_, live)| live == number)
        });
    }

    /// Removes the prompt under `key` in `scope`; with `only`, only when it
    /// is still the insert of that number (not replaced since).
    fn remove(&mut self, scope_key: CacheKey, key: CacheKey, only: Option<u64>) {
        let Some(scope) = self.scopes.get_mut(&scope_key) else {
            return;
        };
        match scope.prompts.get(&key) {
            Some((_, number)) if only.is_none_or(|only| only == *number) => {}
            _ => return,
        }
        if let Some((prompt, _)) = scope.prompts.remove(&key) {
            scope.index.remove(&key);
            self.prompts = self.prompts.saturating_sub(1);
            self.bytes = self.bytes.saturating_sub(prompt.bytes());
        }
        if scope.prompts.is_empty() {
            self.scopes.remove(&scope_key);
        }
    }
}

impl VectorStore for MemoryVectorStore {
    fn insert(&self, prompt: StoredPrompt) -> BoxFuture<'_, ()> {
        self.insert_now(prompt);
        Box::pin(std::future::ready(()))
    }

    fn nearest<'a>(
        &'a self,
        scope: CacheKey,
        vector: &'a [f32],
        min_similarity: f32,
        limit: usize,
    ) -> BoxFuture<'a, Vec<NearPrompt>> {
        Box::pin(std::future::ready(self.nearest_now(
            scope,
            vector,
            min_similarity,
            limit,
        )))
    }

    fn remove(&self, scope: CacheKey, key: CacheKey) -> BoxFuture<'_, ()> {
        self.shared.write().remove(scope, key, None);
        Box::pin(std::future::ready(()))
    }

    fn len(&self) -> u64 {
        self.shared.read().prompts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(i: u8, scope: u8, vector: Vec<f32>) -> StoredPrompt {
        StoredPrompt {
            key: CacheKey::from_bytes([i; 32]),
            scope: CacheKey::from_bytes([scope; 32]),
            text: format!("prompt {i}"),
            vector,
            stored_at: SystemTime::now(),
            max_age: Duration::from_secs(60),
        }
    }

    #[test]
    fn bounded_by_entries_oldest_first() {
        let store = MemoryVectorStore::new(2, u64::MAX);
        store.insert_now(prompt(1, 0, vec![1.0, 0.0]));
        store.insert_now(prompt(2, 0, vec![0.0, 1.0]));
        store.insert_now(prompt(3, 0, vec![0.6, 0.8]));
        assert_eq!(store.len(), 2);
        let scope = CacheKey::from_bytes([0; 32]);
        assert!(store.nearest_now(scope, &[1.0, 0.0], 0.99, 5).is_empty());
        assert_eq!(store.nearest_now(scope, &[0.0, 1.0], 0.99, 5).len(), 1);
    }

    #[test]
    fn bounded_by_bytes() {
        let one = prompt(1, 0, vec![1.0, 0.0]).bytes();
        let store = MemoryVectorStore::new(100, one * 2);
        for i in 1..=5 {
            store.insert_now(prompt(i, 0, vec![1.0, 0.0]));
        }
        assert_eq!(store.len(), 2);
        assert!(store.bytes() <= one * 2);
    }

    #[test]
    fn scopes_never_mix_and_stale_prompts_are_not_found() {
        let store = MemoryVectorStore::default();
        store.insert_now(prompt(1, 0, vec![1.0, 0.0]));
        let mut old = prompt(2, 1, vec![1.0, 0.0]);
        old.stored_at = SystemTime::now() - Duration::from_secs(120);
        store.insert_now(old);
        let (zero, one) = (CacheKey::from_bytes([0; 32]), CacheKey::from_bytes([1; 32]));
        let found = store.nearest_now(zero, &[1.0, 0.0], 0.9, 5);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].prompt.key, CacheKey::from_bytes([1; 32]));
        assert!(store.nearest_now(one, &[1.0, 0.0], 0.9, 5).is_empty());
    }
}
