//! Shared state: where caches, rate limits and circuit breakers keep what
//! every replica of an app must agree on.
//!
//! | piece | one job |
//! |---|---|
//! | [`SharedStore`] | the choice: each process on its own (the default), or Redis |
//! | [`SharedPiece`] | a piece of a gateway tree whose state can be shared (found by walking the tree) |
//! | `RedisStore` (feature `redis`) | one Redis or Redis Cluster: bounded calls, reconnection, fallback counted |
//! | `RedisCacheStore` (feature `redis`) | cached answers in Redis, for [`ExactCache`](crate::cache::ExactCache) and the semantic cache |
//! | `RedisVectorStore` (feature `redis`) | the semantic cache's prompts: each replica's index kept in step through a Redis stream |
//!
//! In memory, each piece keeps its state in its own atomics, as it always
//! has. Given a Redis store, each piece keeps its local state too and uses it
//! whenever Redis cannot answer in time: the cache answers a miss, a rate
//! limit holds to its local budget (or refuses, if it was told to fail
//! closed), a circuit breaker counts what this replica sees. Nothing fails a
//! request because Redis is down, slow or restarting; each fallback is
//! logged and counted in `/metrics`.

mod error;
mod shared;
pub use error::StoreError;
pub use shared::{SharedPiece, SharedStore, bind_shared_store};

#[cfg(feature = "redis")]
mod health;
#[cfg(feature = "redis")]
mod redis_address;
#[cfg(feature = "redis")]
mod redis_breaker;
#[cfg(feature = "redis")]
mod redis_cache;
#[cfg(feature = "redis")]
mod redis_limit;
#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "redis")]
mod redis_vectors;

#[cfg(feature = "redis")]
pub use health::{FallbackCounts, StoreHealth};
#[cfg(feature = "redis")]
pub(crate) use redis_breaker::{SharedAdmit, SharedCircuit};
#[cfg(feature = "redis")]
pub use redis_cache::RedisCacheStore;
#[cfg(feature = "redis")]
pub(crate) use redis_limit::{SharedLimit, SharedVerdict};
#[cfg(feature = "redis")]
pub use redis_store::{RedisOptions, RedisStore};
#[cfg(feature = "redis")]
pub use redis_vectors::RedisVectorStore;
