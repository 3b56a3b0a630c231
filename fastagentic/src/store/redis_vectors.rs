//! [`RedisVectorStore`]: the semantic cache's prompts shared by replicas.
//!
//! Redis 7 has no vector search, so each replica keeps its own index (a
//! [`MemoryVectorStore`]) and Redis carries what the others stored: every
//! insert and removal is appended to one stream (`<prefix>semantic:prompts`,
//! capped at about 100,000 entries), and a follower task reads it every
//! `poll` (default 50 ms), from the start when the replica starts, so a
//! replica serves a paraphrase another replica cached within about one poll.
//! Answers themselves live in the exact cache's store
//! ([`RedisCacheStore`](super::RedisCacheStore)).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::RedisStore;
use super::health::Piece;
use crate::cache::CacheKey;
use crate::cache::semantic::{MemoryVectorStore, NearPrompt, StoredPrompt, VectorStore};
use crate::gateway::BoxFuture;

/// One change to the shared prompts, as appended to the stream.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Change {
    Insert {
        key: String,
        scope: String,
        text: String,
        vector: Vec<f32>,
        stored_at_ms: u64,
        max_age_ms: u64,
    },
    Remove {
        key: String,
        scope: String,
    },
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Change {
    fn apply(self, local: &MemoryVectorStore) {
        match self {
            Change::Insert {
                key,
                scope,
                text,
                vector,
                stored_at_ms,
                max_age_ms,
            } => {
                if let (Some(key), Some(scope)) =
                    (CacheKey::from_hex(&key), CacheKey::from_hex(&scope))
                {
                    let prompt = StoredPrompt {
                        key,
                        scope,
                        text,
                        vector,
                        stored_at: UNIX_EPOCH + Duration::from_millis(stored_at_ms),
                        max_age: Duration::from_millis(max_age_ms),
                    };
                    if prompt.is_fresh() {
                        local.insert_now(prompt);
                    }
                }
            }
            Change::Remove { key, scope } => {
                if let (Some(key), Some(scope)) =
                    (CacheKey::from_hex(&key), CacheKey::from_hex(&scope))
                {
                    let local = local.clone();
                    // The memory store's removal is immediate.
                    let _ = futures_util::FutureExt::now_or_never(local.remove(scope, key));
                }
            }
        }
    }
}

/// The semantic cache's prompts, kept in step across replicas through a
/// Redis stream (see the module docs). Lookups never touch Redis.
///
/// ```no_run
/// # async fn demo() -> Result<(), fastagentic::store::StoreError> {
/// use std::sync::Arc;
/// use fastagentic::store::{RedisStore, RedisVectorStore};
/// let redis = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let vectors = Arc::new(RedisVectorStore::new(redis));
/// # let _ = vectors; Ok(()) }
/// ```
pub struct RedisVectorStore {
    local: MemoryVectorStore,
    redis: RedisStore,
    stream: String,
    origin: String,
    followed: Arc<AtomicU64>,
    follower: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RedisVectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisVectorStore")
            .field("stream", &self.stream)
            .field("prompts", &self.local.len())
            .field("taken_from_others", &self.followed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Drop for RedisVectorStore {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

impl RedisVectorStore {
    /// Prompts shared through `redis`, polled every 50 ms, indexed in a
    /// default [`MemoryVectorStore`]. Must be called within a Tokio runtime
    /// (it starts the follower task).
    pub fn new(redis: RedisStore) -> Self {
        Self::with(
            redis,
            MemoryVectorStore::default(),
            Duration::from_millis(50),
        )
    }

    /// As [`new`](Self::new), with the local index and the poll interval given.
    pub fn with(redis: RedisStore, local: MemoryVectorStore, poll: Duration) -> Self {
        let stream = redis.key("semantic:prompts");
        let origin = uuid::Uuid::new_v4().simple().to_string();
        let followed = Arc::new(AtomicU64::new(0));
        let follower = tokio::spawn(follow(
            redis.clone(),
            stream.clone(),
            origin.clone(),
            local.clone(),
            followed.clone(),
            poll,
        ));
        Self {
            local,
            redis,
            stream,
            origin,
            followed,
            follower,
        }
    }

    /// Prompts taken from other replicas so far.
    pub fn taken_from_others(&self) -> u64 {
        self.followed.load(Ordering::Relaxed)
    }

    async fn append(&self, change: Change) {
        let Ok(body) = serde_json::to_string(&change) else {
            return;
        };
        let _: Option<String> = self
            .redis
            .run(Piece::Cache, |mut connection| async move {
                redis::cmd("XADD")
                    .arg(&self.stream)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(100_000)
                    .arg("*")
                    .arg("o")
                    .arg(&self.origin)
                    .arg("c")
                    .arg(body)
                    .query_async(&mut connection)
                    .await
            })
            .await;
    }
}

/// Reads the stream from the start, applying the other replicas' changes.
async fn follow(
    redis: RedisStore,
    stream: String,
    origin: String,
    local: MemoryVectorStore,
    followed: Arc<AtomicU64>,
    poll: Duration,
) {
    type Entries = Vec<(String, Vec<(String, String)>)>;
    let mut last = "0-0".to_owned();
    loop {
        let read: Option<Option<Vec<(String, Entries)>>> = redis
            .run(Piece::Cache, |mut connection| {
                let stream = stream.clone();
                let last = last.clone();
                async move {
                    redis::cmd("XREAD")
                        .arg("COUNT")
                        .arg(512)
                        .arg("STREAMS")
                        .arg(&stream)
                        .arg(&last)
                        .query_async(&mut connection)
                        .await
                }
            })
            .await;
        let mut more = false;
        for (_, entries) in read.flatten().unwrap_or_default() {
            more = entries.len() == 512;
            for (id, fields) in entries {
                last = id;
                let from = fields
                    .iter()
                    .find(|(k, _)| k == "o")
                    .map(|(_, v)| v.as_str());
                if from == Some(origin.as_str()) {
                    continue;
                }
                let change = fields
                    .iter()
                    .find(|(k, _)| k == "c")
                    .and_then(|(_, v)| serde_json::from_str::<Change>(v).ok());
                if let Some(change) = change {
                    change.apply(&local);
                    followed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if !more {
            tokio::time::sleep(poll).await;
        }
    }
}

impl VectorStore for RedisVectorStore {
    fn insert(&self, prompt: StoredPrompt) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let change = Change::Insert {
                key: prompt.key.to_hex(),
                scope: prompt.scope.to_hex(),
                text: prompt.text.clone(),
                vector: prompt.vector.clone(),
                stored_at_ms: millis(
                    prompt
                        .stored_at
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default(),
                ),
                max_age_ms: millis(prompt.max_age),
            };
            self.local.insert_now(prompt);
            self.append(change).await;
        })
    }

    fn nearest<'a>(
        &'a self,
        scope: CacheKey,
        vector: &'a [f32],
        min_similarity: f32,
        limit: usize,
    ) -> BoxFuture<'a, Vec<NearPrompt>> {
        self.local.nearest(scope, vector, min_similarity, limit)
    }

    fn remove(&self, scope: CacheKey, key: CacheKey) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.local.remove(scope, key).await;
            self.append(Change::Remove {
                key: key.to_hex(),
                scope: scope.to_hex(),
            })
            .await;
        })
    }

    fn len(&self) -> u64 {
        self.local.len()
    }
}
