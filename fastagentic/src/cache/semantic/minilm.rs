//! [`MiniLmEmbedder`]: all-MiniLM-L6-v2 run in-process (a BERT encoder on
//! candle's tensors, pure Rust), from a local folder; nothing is downloaded
//! at run time.

mod encoder;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use encoder::{Config, Encoder};
use sha2::{Digest, Sha256};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer};

use super::embedder::{EmbedError, Embedder, MODEL_DIR_ENV, normalise};
use crate::gateway::BoxFuture;

/// The sha256 of all-MiniLM-L6-v2's `model.safetensors`: the only weights
/// [`MiniLmEmbedder`] loads.
pub const MINILM_SAFETENSORS_SHA256: &str =
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// The most tokens (with `[CLS]` and `[SEP]`) the model reads, as
/// sentence-transformers trained it (`max_seq_length`).
pub const MINILM_MAX_TOKENS: usize = 256;

/// Texts embedded in one forward pass (a longer batch is split).
const BATCH: usize = 32;

/// all-MiniLM-L6-v2 (384 dimensions) in-process: tokenizer, a BERT forward
/// pass on the CPU, mean pooling over the attention mask, L2 normalisation.
///
/// Loading reads `model.safetensors` (checked against
/// [`MINILM_SAFETENSORS_SHA256`]), `tokenizer.json` and `config.json` from a
/// folder: about 90 MB, a fraction of a second. The forward pass runs on
/// tokio's blocking pool ([`Embedder::embed`]), never on the async runtime;
/// [`embed_blocking`](Self::embed_blocking) runs it on the caller's thread.
///
/// A text longer than [`MINILM_MAX_TOKENS`] is refused
/// ([`EmbedError::TooLong`]) rather than cut: two prompts that differ after
/// the cut would embed the same.
#[derive(Clone)]
pub struct MiniLmEmbedder {
    model: Arc<Model>,
}

struct Model {
    encoder: Encoder,
    tokenizer: Tokenizer,
    device: Device,
    dimensions: usize,
}

impl std::fmt::Debug for MiniLmEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLmEmbedder")
            .field("dimensions", &self.model.dimensions)
            .finish_non_exhaustive()
    }
}

impl MiniLmEmbedder {
    /// Loads the model from the folder named by `FASTAGENTIC_EMBEDDING_MODEL_DIR`;
    /// without it, an error naming the variable and how to get the model.
    pub fn from_env() -> Result<Self, EmbedError> {
        match std::env::var_os(MODEL_DIR_ENV).filter(|dir| !dir.is_empty()) {
            Some(dir) => Self::from_dir(PathBuf::from(dir)),
            None => Err(EmbedError::ModelDirUnset),
        }
    }

    /// Loads the model from `dir` (`model.safetensors`, `tokenizer.json`,
    /// `config.json`); a missing file or other weights are an error naming
    /// the fix.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, EmbedError> {
        let dir = dir.as_ref();
        let file = |name: &'static str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(EmbedError::ModelFileMissing {
                    dir: dir.to_path_buf(),
                    file: name,
                })
            }
        };
        let (weights_path, tokenizer_path, config_path) = (
            file("model.safetensors")?,
            file("tokenizer.json")?,
            file("config.json")?,
        );
        let load_error = |path: &Path, message: String| EmbedError::ModelLoad {
            path: path.to_path_buf(),
            message,
        };

        let weights =
            std::fs::read(&weights_path).map_err(|e| load_error(&weights_path, e.to_string()))?;
        let found: String = Sha256::digest(&weights)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if found != MINILM_SAFETENSORS_SHA256 {
            return Err(EmbedError::ModelHashMismatch {
                path: weights_path,
                expected: MINILM_SAFETENSORS_SHA256,
                found,
            });
        }

        let config_text = std::fs::read_to_string(&config_path)
            .map_err(|e| load_error(&config_path, e.to_string()))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| load_error(&config_path, format!("not a BERT config: {e}")))?;

        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| load_error(&tokenizer_path, e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(None)
            .map_err(|e| load_error(&tokenizer_path, e.to_string()))?;

        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| load_error(&weights_path, e.to_string()))?;
        let encoder =
            Encoder::load(vb, &config).map_err(|e| load_error(&weights_path, e.to_string()))?;
        Ok(Self {
            model: Arc::new(Model {
                encoder,
                tokenizer,
                device,
                dimensions: config.hidden_size,
            }),
        })
    }

    /// Embeds `texts` on the calling thread (tens of milliseconds per
    /// batch): for benchmarks, evaluations and code that is not async.
    /// Async code calls [`Embedder::embed`], which runs this off the runtime.
    pub fn embed_blocking<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            vectors.extend(self.model.forward(batch)?);
        }
        Ok(vectors)
    }
}

impl Model {
    fn forward<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inference = |e: &dyn std::fmt::Display| EmbedError::Inference(e.to_string());
        let encodings = match texts {
            // One text (a prompt to look up): no batch, no padding, no
            // tokenizer threads.
            [text] => vec![
                self.tokenizer
                    .encode(text.as_ref(), true)
                    .map_err(|e| inference(&e))?,
            ],
            _ => {
                let inputs: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
                self.tokenizer
                    .encode_batch(inputs, true)
                    .map_err(|e| inference(&e))?
            }
        };
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        if width > MINILM_MAX_TOKENS {
            let tokens = encodings
                .iter()
                .map(|e| e.get_attention_mask().iter().filter(|&&m| m == 1).count())
                .max()
                .unwrap_or(width);
            return Err(EmbedError::TooLong {
                tokens,
                limit: MINILM_MAX_TOKENS,
            });
        }
        let rows = encodings.len();
        let mut ids = Vec::with_capacity(rows * width);
        let mut mask = Vec::with_capacity(rows * width);
        for encoding in &encodings {
            ids.extend_from_slice(encoding.get_ids());
            mask.extend_from_slice(encoding.get_attention_mask());
        }
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
            let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
            let hidden = self.encoder.forward(&ids, &mask)?;
            // Mean pooling over the tokens the mask keeps.
            let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&weights)?.sum(1)?;
            let counts = weights.sum(1)?.clamp(1e-9f32, f32::MAX)?;
            summed.broadcast_div(&counts)?.to_vec2::<f32>()
        };
        let mut vectors = run().map_err(|e| inference(&e))?;
        for vector in &mut vectors {
            normalise(vector);
        }
        Ok(vectors)
    }
}

impl Embedder for MiniLmEmbedder {
    fn name(&self) -> &str {
        "all-MiniLM-L6-v2"
    }

    fn dimensions(&self) -> usize {
        self.model.dimensions
    }

    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<Vec<Vec<f32>>, EmbedError>> {
        let this = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || this.embed_blocking(&texts))
                .await
                .map_err(|e| EmbedError::Inference(format!("the embedding task failed: {e}")))?
        })
    }
}
