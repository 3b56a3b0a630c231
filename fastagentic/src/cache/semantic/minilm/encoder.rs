//! The BERT encoder all-MiniLM-L6-v2 is, written for what the semantic
//! cache asks of it: one short prompt at a time, on the CPU.
//!
//! candle's own `BertModel` computes every dense layer as `x · Wᵀ`: a
//! product whose rows are the prompt's dozen tokens. gemm's kernels are
//! built for many rows, and with a dozen most of the time goes to reading
//! 42 MB of weights in a pattern the CPU cannot stream. Here each dense
//! layer computes `(W · xᵀ)ᵀ` instead, with `W` laid out column-major once
//! at load: the weights become the product's many rows, each kernel step
//! reads one whole cache line of them, and the query, key and value layers
//! are one product. One sentence embeds in about 8 ms instead of 11 on a
//! 2-core host with AVX-512 (same process, interleaved); on a 2-core Zen 3
//! host without it both take about 18 ms, so the gain depends on the CPU.
//! The arithmetic is BERT's, unchanged: a test holds the vectors to
//! candle's `BertModel` on the same weights.

use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, VarBuilder};
use serde::Deserialize;

/// What `config.json` says of the network (the fields this encoder reads).
#[derive(Debug, Deserialize)]
pub(super) struct Config {
    pub(super) vocab_size: usize,
    pub(super) hidden_size: usize,
    pub(super) num_hidden_layers: usize,
    pub(super) num_attention_heads: usize,
    pub(super) intermediate_size: usize,
    pub(super) hidden_act: String,
    pub(super) max_position_embeddings: usize,
    pub(super) type_vocab_size: usize,
    pub(super) layer_norm_eps: f64,
}

/// A dense layer whose weights are kept `in × out` row-major, which is
/// `out × in` column-major: the left operand of `W · xᵀ`, read in order.
struct Dense {
    weight: Tensor,
    bias: Tensor,
}

impl Dense {
    /// Loads `weight` (`out × in`, as stored) and `bias` under each prefix
    /// and joins them along the output: several layers that read the same
    /// input become one product.
    fn load_joined(vbs: &[VarBuilder], input: usize, output: usize) -> Result<Self> {
        let mut weights = Vec::with_capacity(vbs.len());
        let mut biases = Vec::with_capacity(vbs.len());
        for vb in vbs {
            weights.push(vb.get((output, input), "weight")?);
            biases.push(vb.get(output, "bias")?);
        }
        Ok(Self {
            weight: Tensor::cat(&weights, 0)?.t()?.contiguous()?,
            bias: Tensor::cat(&biases, 0)?,
        })
    }

    fn load(vb: VarBuilder, input: usize, output: usize) -> Result<Self> {
        Self::load_joined(&[vb], input, output)
    }

    /// `xs`: `tokens × in`; returns `tokens × out`.
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.weight
            .t()?
            .matmul(&xs.t()?)?
            .t()?
            .broadcast_add(&self.bias)
    }
}

struct Layer {
    query_key_value: Dense,
    attention_output: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
}

/// The encoder: embeddings, then the layers; returns the last hidden states.
pub(super) struct Encoder {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
}

impl Encoder {
    /// Loads the weights of a BERT checkpoint (with or without the `bert.`
    /// prefix). Only the erf GELU the model was trained with is accepted.
    pub(super) fn load(vb: VarBuilder, config: &Config) -> Result<Self> {
        if config.hidden_act != "gelu" {
            candle_core::bail!(
                "this encoder runs BERT with the erf GELU (hidden_act \"gelu\"), not {:?}",
                config.hidden_act
            );
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            candle_core::bail!(
                "hidden_size {} does not split into {} attention heads",
                config.hidden_size,
                config.num_attention_heads
            );
        }
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let hidden = config.hidden_size;
        let norm = |vb: VarBuilder| candle_nn::layer_norm(hidden, config.layer_norm_eps, vb);
        let embedding = |rows: usize, vb: VarBuilder| candle_nn::embedding(rows, hidden, vb);
        let embeddings = vb.pp("embeddings");
        let layers = (0..config.num_hidden_layers)
            .map(|index| {
                let vb = vb.pp(format!("encoder.layer.{index}"));
                let attention = vb.pp("attention");
                let own = attention.pp("self");
                Ok(Layer {
                    query_key_value: Dense::load_joined(
                        &[own.pp("query"), own.pp("key"), own.pp("value")],
                        hidden,
                        hidden,
                    )?,
                    attention_output: Dense::load(attention.pp("output.dense"), hidden, hidden)?,
                    attention_norm: norm(attention.pp("output.LayerNorm"))?,
                    intermediate: Dense::load(
                        vb.pp("intermediate.dense"),
                        hidden,
                        config.intermediate_size,
                    )?,
                    output: Dense::load(vb.pp("output.dense"), config.intermediate_size, hidden)?,
                    output_norm: norm(vb.pp("output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            word_embeddings: embedding(config.vocab_size, embeddings.pp("word_embeddings"))?,
            position_embeddings: embedding(
                config.max_position_embeddings,
                embeddings.pp("position_embeddings"),
            )?,
            token_type_embeddings: embedding(
                config.type_vocab_size,
                embeddings.pp("token_type_embeddings"),
            )?,
            embeddings_norm: norm(embeddings.pp("LayerNorm"))?,
            layers,
            heads: config.num_attention_heads,
            hidden,
        })
    }

    /// `ids` and `mask`: `batch × width` (`u32`); returns the hidden states,
    /// `batch × width × hidden`. Token types are all 0 (one segment).
    pub(super) fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, width) = ids.dims2()?;
        let device = ids.device();
        let flat_ids = ids.flatten_all()?;
        let positions = Tensor::arange(0u32, width as u32, device)?;
        let token_type = self
            .token_type_embeddings
            .embeddings()
            .narrow(0, 0, 1)?
            .squeeze(0)?;
        let embedded = self
            .word_embeddings
            .forward(&flat_ids)?
            .reshape((batch, width, self.hidden))?
            .broadcast_add(&self.position_embeddings.forward(&positions)?)?
            .broadcast_add(&token_type)?;
        let mut hidden = self
            .embeddings_norm
            .forward(&embedded)?
            .reshape((batch * width, self.hidden))?;

        // Padding is masked out of attention: (1 - mask) · f32::MIN on the
        // scores, as BERT does. A lone prompt has no padding and no mask.
        let padding = if mask.to_dtype(DType::U8)?.min_all()?.to_scalar::<u8>()? == 1 {
            None
        } else {
            let mask = mask.to_dtype(DType::F32)?.reshape((batch, 1, 1, width))?;
            Some(((1.0 - mask)? * f64::from(f32::MIN))?)
        };

        let head_size = self.hidden / self.heads;
        let scale = 1.0 / (head_size as f64).sqrt();
        for layer in &self.layers {
            let qkv = layer.query_key_value.forward(&hidden)?;
            let split = |part: usize| -> Result<Tensor> {
                qkv.narrow(1, part * self.hidden, self.hidden)?
                    .reshape((batch, width, self.heads, head_size))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (query, key, value) = (split(0)?, split(1)?, split(2)?);
            let mut scores = (query.matmul(&key.t()?)? * scale)?;
            if let Some(padding) = &padding {
                scores = scores.broadcast_add(padding)?;
            }
            let weights = candle_nn::ops::softmax_last_dim(&scores)?;
            let context = weights
                .matmul(&value)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((batch * width, self.hidden))?;
            let attended = layer
                .attention_norm
                .forward(&(layer.attention_output.forward(&context)? + &hidden)?)?;
            let intermediate = layer.intermediate.forward(&attended)?.gelu_erf()?;
            hidden = layer
                .output_norm
                .forward(&(layer.output.forward(&intermediate)? + &attended)?)?;
        }
        hidden.reshape((batch, width, self.hidden))
    }
}
