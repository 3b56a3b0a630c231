//! [`RedisCacheStore`]: the exact cache's answers in Redis, so every replica
//! serves what any of them stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::RedisStore;
use super::health::Piece;
use crate::cache::{CacheEntry, CacheKey, CacheStore, CachedAnswer};
use crate::gateway::BoxFuture;
use crate::llm::{ChatResponse, EmbeddingResponse};

/// An entry as stored: the answer and its time facts, as JSON.
#[derive(Serialize, Deserialize)]
struct StoredEntry {
    answer: StoredAnswer,
    /// Milliseconds since the Unix epoch.
    stored_at_ms: u64,
    max_age_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
enum StoredAnswer {
    Chat(ChatResponse),
    Embed(EmbeddingResponse),
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl StoredEntry {
    fn encode(entry: &CacheEntry) -> Option<Vec<u8>> {
        let answer = match &entry.answer {
            CachedAnswer::Chat(response) => StoredAnswer::Chat(response.clone()),
            CachedAnswer::Embed(response) => StoredAnswer::Embed(response.clone()),
        };
        let stored = StoredEntry {
            answer,
            stored_at_ms: millis(
                entry
                    .stored_at
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default(),
            ),
            max_age_ms: millis(entry.max_age),
        };
        serde_json::to_vec(&stored).ok()
    }

    fn decode(bytes: &[u8]) -> Option<CacheEntry> {
        let stored: StoredEntry = serde_json::from_slice(bytes).ok()?;
        let answer = match stored.answer {
            StoredAnswer::Chat(response) => CachedAnswer::Chat(response),
            StoredAnswer::Embed(response) => CachedAnswer::Embed(response),
        };
        Some(CacheEntry {
            answer,
            stored_at: UNIX_EPOCH + Duration::from_millis(stored.stored_at_ms),
            max_age: Duration::from_millis(stored.max_age_ms),
            bytes: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        })
    }
}

/// Cached answers in Redis under `<prefix>cache:<key>`, each expiring
/// after its own `max_age` (Redis' own expiry: no sweeping). A lookup that
/// Redis cannot answer in time is a miss; a store that fails is skipped.
///
/// ```no_run
/// # async fn demo() -> Result<(), fastagentic::store::StoreError> {
/// use std::sync::Arc;
/// use fastagentic::DemoGateway;
/// use fastagentic::cache::ExactCache;
/// use fastagentic::store::{RedisCacheStore, RedisStore};
/// let redis = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let cached = ExactCache::new(DemoGateway::new()).store(Arc::new(RedisCacheStore::new(redis)));
/// # let _ = cached; Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisCacheStore {
    redis: RedisStore,
    stored: AtomicU64,
}

impl RedisCacheStore {
    /// Answers kept in `redis`.
    pub fn new(redis: RedisStore) -> Self {
        Self {
            redis,
            stored: AtomicU64::new(0),
        }
    }

    fn key(&self, key: &CacheKey) -> String {
        self.redis.key(&format!("cache:{}", key.to_hex()))
    }
}

impl CacheStore for RedisCacheStore {
    fn get(&self, key: CacheKey) -> BoxFuture<'_, Option<Arc<CacheEntry>>> {
        Box::pin(async move {
            let key = self.key(&key);
            let bytes: Option<Vec<u8>> = self
                .redis
                .run(Piece::Cache, |mut connection| async move {
                    redis::cmd("GET")
                        .arg(&key)
                        .query_async(&mut connection)
                        .await
                })
                .await
                .flatten();
            let entry = StoredEntry::decode(&bytes?)?;
            entry.is_fresh().then(|| Arc::new(entry))
        })
    }

    fn put(&self, key: CacheKey, entry: Arc<CacheEntry>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Some(bytes) = StoredEntry::encode(&entry) else {
                return;
            };
            let key = self.key(&key);
            let ttl = millis(entry.max_age.saturating_sub(entry.age())).max(1);
            let done: Option<()> = self
                .redis
                .run(Piece::Cache, |mut connection| async move {
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(bytes)
                        .arg("PX")
                        .arg(ttl)
                        .query_async(&mut connection)
                        .await
                })
                .await;
            if done.is_some() {
                self.stored.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    /// The entries this process stored (Redis holds the other replicas' too).
    fn len(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_survives_the_round_trip() {
        let response: ChatResponse = serde_json::from_value(serde_json::json!({
            "id": "x", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
        }))
        .unwrap();
        let entry = CacheEntry::new(CachedAnswer::Chat(response), Duration::from_secs(60));
        let bytes = StoredEntry::encode(&entry).unwrap();
        let back = StoredEntry::decode(&bytes).unwrap();
        assert_eq!(back.answer, entry.answer);
        assert_eq!(back.max_age, entry.max_age);
        assert!(back.is_fresh());
        assert!(StoredEntry::decode(b"not json").is_none());
    }
}
