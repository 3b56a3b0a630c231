//! Caching: answers to requests seen before, served without calling
//! upstream.
//!
//! | piece | one job |
//! |---|---|
//! | [`ExactCache`] | serve the same request (by [`CacheKey`]) from a [`CacheStore`] |
//! | [`MemoryStore`] | the in-process store, bounded by bytes, each entry with its own time to live |
//! | [`CacheControl`] | what one request asks of the caches: refresh, another namespace |
//! | [`semantic::SemanticCache`] | serve a request that means the same (an embedder, an index, guards) |
//! | [`CacheLayer`] | exact or semantic, as an option of a built-in gateway |

mod control;
mod exact;
mod keeper;
mod key;
mod layer;
mod replay;
pub mod semantic;
mod shared_slot;
mod store;

pub use control::CacheControl;
pub use exact::{CacheStats, DEFAULT_MAX_AGE, ExactCache};
pub use key::{CacheKey, CacheScope};
pub use layer::CacheLayer;
pub use store::{CacheEntry, CacheStore, CachedAnswer, DEFAULT_CACHE_BYTES, MemoryStore};
