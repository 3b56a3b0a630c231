//! candle's own `BertModel` on all-MiniLM-L6-v2's weights, with the
//! tokenizer, mean pooling and normalisation fastagentic's embedder uses:
//! the reference its encoder is held to (`semantic_embedder.rs`) and the
//! benchmark's baseline for the embedding row.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Encoding, PaddingParams, PaddingStrategy, Tokenizer};

/// The reference embedder.
pub struct ReferenceBert {
    bert: BertModel,
    tokenizer: Tokenizer,
}

impl ReferenceBert {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from
    /// `dir` (the folder test support fetched).
    pub fn load(dir: &Path) -> Result<Self, String> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| format!("{name} in {}: {e}", dir.display()))
        };
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| format!("config.json: {e}"))?;
        let vb = candle_nn::VarBuilder::from_buffered_safetensors(
            read("model.safetensors")?,
            DType::F32,
            &Device::Cpu,
        )
        .map_err(|e| e.to_string())?;
        let bert = BertModel::load(vb, &config).map_err(|e| e.to_string())?;
        let mut tokenizer =
            Tokenizer::from_bytes(read("tokenizer.json")?).map_err(|e| e.to_string())?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        Ok(Self { bert, tokenizer })
    }

    /// One unit vector per text, embedded as one padded batch.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| e.to_string())?;
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        let tensor = |part: fn(&Encoding) -> &[u32]| {
            let values: Vec<u32> = encodings.iter().flat_map(|e| part(e).to_vec()).collect();
            Tensor::from_vec(values, (texts.len(), width), &Device::Cpu)
        };
        let pooled = (|| {
            let (ids, mask) = (
                tensor(Encoding::get_ids)?,
                tensor(Encoding::get_attention_mask)?,
            );
            let hidden = self.bert.forward(&ids, &ids.zeros_like()?, Some(&mask))?;
            let kept = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            hidden
                .broadcast_mul(&kept)?
                .sum(1)?
                .broadcast_div(&kept.sum(1)?)?
                .to_vec2::<f32>()
        })()
        .map_err(|e| e.to_string())?;
        Ok(pooled
            .into_iter()
            .map(|vector| {
                let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
                vector.into_iter().map(|x| x / norm).collect()
            })
            .collect())
    }
}
