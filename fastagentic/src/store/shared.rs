//! [`SharedStore`]: where the shared pieces of gateway trees keep their
//! state, and [`bind_shared_store`], which hands it to every piece of a tree.

use std::sync::Arc;

use crate::cache::CacheStore;
use crate::cache::semantic::VectorStore;
use crate::gateway::{LlmGateway, NodePath, walk_nodes};

#[cfg(feature = "redis")]
use super::RedisStore;
use super::StoreError;

/// Where caches, rate limits and circuit breakers keep their state.
///
/// [`Local`](Self::Local) (the default) keeps it in each process: right for
/// one replica. `Redis` (feature `redis`) shares it between every replica
/// that names the same Redis: give it to the app with
/// [`App::shared_store`](crate::App::shared_store) and every cache, limit
/// and breaker in every gateway tree uses it, unless it was given its own.
///
/// ```
/// use fastagentic::store::SharedStore;
/// let store = SharedStore::default();
/// assert!(store.is_local());
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum SharedStore {
    /// Each process keeps its own state.
    #[default]
    Local,
    /// State shared through Redis (or Redis Cluster).
    #[cfg(feature = "redis")]
    Redis(RedisStore),
}

impl SharedStore {
    /// Each process on its own.
    pub fn local() -> Self {
        Self::Local
    }

    /// The store the environment names: Redis when `REDIS_URL` is set (and
    /// not empty), checked by connecting (an error names the fix), else
    /// [`Local`](Self::Local). Several comma-separated URLs, or the scheme
    /// `redis+cluster://`, name a Redis Cluster.
    pub async fn from_env() -> Result<Self, StoreError> {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.trim().is_empty() => Self::redis(&url).await,
            _ => Ok(Self::Local),
        }
    }

    /// Redis at `url`, checked by connecting (default [`RedisOptions`](super::RedisOptions)).
    #[cfg(feature = "redis")]
    pub async fn redis(url: &str) -> Result<Self, StoreError> {
        Ok(Self::Redis(RedisStore::connect(url).await?))
    }

    /// Without the `redis` feature, naming Redis is an error that says so.
    #[cfg(not(feature = "redis"))]
    pub async fn redis(url: &str) -> Result<Self, StoreError> {
        let _ = url;
        Err(StoreError::FeatureMissing)
    }

    /// Whether each process keeps its own state.
    pub fn is_local(&self) -> bool {
        matches!(self, Self::Local)
    }

    /// Where a cache keeps its answers in this store (`None`: in its own
    /// process, as it does without one).
    pub(crate) fn cache_store(&self) -> Option<Arc<dyn CacheStore>> {
        match self {
            Self::Local => None,
            #[cfg(feature = "redis")]
            Self::Redis(redis) => Some(Arc::new(super::RedisCacheStore::new(redis.clone()))),
        }
    }

    /// Where a semantic cache keeps its prompts' vectors in this store
    /// (`None`: in its own process). A Redis store starts the task that
    /// follows the other replicas' prompts, so it needs a Tokio runtime;
    /// outside one the vectors stay local, and a warning says so.
    pub(crate) fn vector_store(&self) -> Option<Arc<dyn VectorStore>> {
        match self {
            Self::Local => None,
            #[cfg(feature = "redis")]
            Self::Redis(redis) => {
                if tokio::runtime::Handle::try_current().is_err() {
                    tracing::warn!(
                        "the semantic cache's prompts stay in this process: the shared store was \
                         given outside a Tokio runtime (build the app inside one, as `serve` does)"
                    );
                    return None;
                }
                Some(Arc::new(super::RedisVectorStore::new(redis.clone())))
            }
        }
    }
}

#[cfg(feature = "redis")]
impl From<RedisStore> for SharedStore {
    fn from(store: RedisStore) -> Self {
        Self::Redis(store)
    }
}

/// A piece of a gateway tree whose state can be shared: found by
/// [`bind_shared_store`] wherever it sits (see
/// [`Node::sharing`](crate::gateway::Node::sharing)).
pub trait SharedPiece: Send + Sync {
    /// Keeps state in `store` from now on, unless the piece was given a
    /// store of its own. `name` says where the piece sits (the same on
    /// every replica running the same code): pieces that have no name of
    /// their own key their shared state by it.
    fn share(&self, store: &SharedStore, name: &str);
}

/// Hands `store` to every shared piece of `root`'s tree that has none of
/// its own, naming each `<scope> at <path>` (`root` at the top).
pub fn bind_shared_store(root: &dyn LlmGateway, store: &SharedStore, scope: &str) {
    if store.is_local() {
        return;
    }
    walk_nodes(root, &mut |path: &NodePath, node| {
        if let Some(piece) = node.shared {
            let name = if path.is_root() {
                format!("{scope} at root")
            } else {
                format!("{scope} at {path}")
            };
            piece.share(store, &name);
        }
    });
}
