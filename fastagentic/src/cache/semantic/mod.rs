//! The semantic cache: a request whose prompt means the same as one seen
//! before is answered from the cache.
//!
//! | piece | one job |
//! |---|---|
//! | [`Embedder`] | texts to unit-length vectors (cosine = dot product) |
//! | [`MiniLmEmbedder`] | all-MiniLM-L6-v2 in-process (feature `local-embeddings`) |
//! | [`Guards`] | refuse a near match whose prompt asks something else (numbers, negation, word order, ...) |

mod embedder;
mod guards;
#[cfg(feature = "local-embeddings")]
mod minilm;

pub use embedder::{EmbedError, Embedder, MODEL_DIR_ENV};
pub use guards::{Guard, GuardRefusal, Guards};
#[cfg(feature = "local-embeddings")]
pub use minilm::{MINILM_MAX_TOKENS, MINILM_SAFETENSORS_SHA256, MiniLmEmbedder};

/// The cosine similarity at or above which a stored prompt counts as the
/// same question (the guards must agree too). Chosen from the evaluation
/// in docs/caching.md.
pub const DEFAULT_SIMILARITY_THRESHOLD: f32 = 0.85;
