//! [`Embedder`]: turns texts into unit-length vectors whose dot product is
//! their cosine similarity; what the semantic cache compares prompts with.

use std::path::PathBuf;

use crate::gateway::{BoxFuture, GatewayError};

/// The environment variable naming the folder that holds the embedding
/// model's files (`model.safetensors`, `tokenizer.json`, `config.json`).
pub const MODEL_DIR_ENV: &str = "FASTAGENTIC_EMBEDDING_MODEL_DIR";

/// Turns texts into vectors, one per text, each of length
/// [`dimensions`](Self::dimensions) and L2-normalised (so the dot product of
/// two is their cosine similarity).
///
/// Object-safe: a cache holds an `Arc<dyn Embedder>`. Implementations must
/// never block the async runtime: a local model runs its forward pass off
/// it (see [`MiniLmEmbedder`](super::MiniLmEmbedder)).
pub trait Embedder: Send + Sync + 'static {
    /// A short name for logs and reports, e.g. `all-MiniLM-L6-v2`.
    fn name(&self) -> &str;

    /// The length of every vector this embedder returns.
    fn dimensions(&self) -> usize;

    /// One L2-normalised vector per text, in order.
    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<Vec<Vec<f32>>, EmbedError>>;
}

impl<E: Embedder + ?Sized> Embedder for std::sync::Arc<E> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn dimensions(&self) -> usize {
        (**self).dimensions()
    }
    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<Vec<Vec<f32>>, EmbedError>> {
        (**self).embed(texts)
    }
}

/// Why texts could not be embedded, or an embedder could not be built.
/// Every start-up error names the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// No model folder was given.
    #[error(
        "the semantic cache needs an embedding model: set {MODEL_DIR_ENV} to a folder holding all-MiniLM-L6-v2's model.safetensors, tokenizer.json and config.json (see docs/caching.md, \"Getting the model\"), or give the cache an embedder in code"
    )]
    ModelDirUnset,
    /// A file the model needs is not in the folder.
    #[error(
        "the embedding model folder {} has no {file}: copy all-MiniLM-L6-v2's model.safetensors, tokenizer.json and config.json there (see docs/caching.md, \"Getting the model\"); {MODEL_DIR_ENV} names the folder",
        dir.display()
    )]
    ModelFileMissing {
        /// The folder looked in.
        dir: PathBuf,
        /// The missing file's name.
        file: &'static str,
    },
    /// The weights are not the pinned all-MiniLM-L6-v2 weights.
    #[error(
        "{} is not all-MiniLM-L6-v2 (sha256 {found}, expected {expected}): replace it with the pinned model file (see docs/caching.md, \"Getting the model\")",
        path.display()
    )]
    ModelHashMismatch {
        /// The weights file.
        path: PathBuf,
        /// The sha256 the model must have.
        expected: &'static str,
        /// The sha256 it has.
        found: String,
    },
    /// A model file could not be read or understood.
    #[error("could not load the embedding model from {}: {message}", path.display())]
    ModelLoad {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A text is longer than the model reads: embedding only its start
    /// would make texts that differ later look the same.
    #[error("a text of {tokens} tokens is longer than the {limit} the embedding model reads")]
    TooLong {
        /// The text's length in tokens.
        tokens: usize,
        /// The most the model reads.
        limit: usize,
    },
    /// Tokenizing or running the model failed.
    #[error("embedding failed: {0}")]
    Inference(String),
    /// The embeddings endpoint of a gateway failed.
    #[error("the embeddings endpoint failed: {0}")]
    Gateway(#[from] GatewayError),
    /// The embedder answered with the wrong number or size of vectors.
    #[error("the embedder answered {got}, expected {expected}")]
    Shape {
        /// What was expected, e.g. `3 vectors of 384 dimensions`.
        expected: String,
        /// What came back.
        got: String,
    },
}

/// Scales `vector` to unit length (a zero vector stays zero).
pub(crate) fn normalise(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in vector {
            *x /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_vectors_have_unit_length() {
        let mut v = vec![3.0, 4.0];
        normalise(&mut v);
        assert_eq!(v, [0.6, 0.8]);
        let mut zero = vec![0.0; 3];
        normalise(&mut zero);
        assert_eq!(zero, [0.0; 3]);
    }

    #[test]
    fn the_start_up_error_names_the_variable() {
        assert!(
            EmbedError::ModelDirUnset
                .to_string()
                .contains("FASTAGENTIC_EMBEDDING_MODEL_DIR")
        );
    }
}
