//! The semantic cache: a request whose prompt means the same as one seen
//! before is answered from the cache.
//!
//! | piece | one job |
//! |---|---|
//! | [`SemanticCache`] | the gateway piece: exact lookup, then the nearest prompt of the same scope that passes the guards |
//! | [`Embedder`] | texts to unit-length vectors (cosine = dot product) |
//! | [`MiniLmEmbedder`] | all-MiniLM-L6-v2 in-process (feature `local-embeddings`) |
//! | [`GatewayEmbedder`] | any gateway's embeddings endpoint |
//! | [`Guards`] | refuse a near match whose prompt asks something else (numbers, negation, word order, ...) |
//! | [`VectorIndex`] | the nearest vectors of one scope: an exact scan, in two stages (i8, then f32) past a size |
//! | [`VectorStore`] | where prompts' vectors live ([`MemoryVectorStore`]: bounded by entries and bytes) |

mod cache;
mod embedder;
mod gateway_embedder;
mod guards;
mod index;
#[cfg(feature = "local-embeddings")]
mod minilm;
mod prompt;
mod vectors;

pub use cache::{DEFAULT_MAX_PROMPT_CHARS, SemanticCache};
pub use embedder::{EmbedError, Embedder, MODEL_DIR_ENV};
pub use gateway_embedder::GatewayEmbedder;
pub use guards::{Guard, GuardRefusal, Guards};
pub use index::{DEFAULT_QUANTISED_ABOVE, Neighbour, VectorIndex};
#[cfg(feature = "local-embeddings")]
pub use minilm::{MINILM_MAX_TOKENS, MINILM_SAFETENSORS_SHA256, MiniLmEmbedder};
pub use prompt::DEFAULT_MAX_MESSAGES;
pub use vectors::{
    DEFAULT_MAX_PROMPT_BYTES, DEFAULT_MAX_PROMPTS, MemoryVectorStore, NearPrompt, StoredPrompt,
    VectorStore,
};

/// The cosine similarity at or above which a stored prompt counts as the
/// same question (the guards must agree too). Chosen from the evaluation
/// in docs/caching.md: a margin of about 0.1 above 0.74, the lowest
/// threshold at which the tuning part has no false hit with the guards on.
pub const DEFAULT_SIMILARITY_THRESHOLD: f32 = 0.85;
