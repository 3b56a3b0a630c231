//! [`GatewayEmbedder`]: any gateway's embeddings endpoint as an [`Embedder`]
//! (e.g. `text-embedding-3-small` through OpenAI, Portkey or LiteLLM).

use std::sync::Arc;

use super::embedder::{EmbedError, Embedder, normalise};
use crate::gateway::{BoxFuture, CallContext, LlmGateway, shared};
use crate::llm::EmbeddingRequest;

/// Embeds through a gateway's embeddings endpoint: one request per batch,
/// the vectors put in input order and L2-normalised.
///
/// ```
/// use fastagentic::OpenAiGateway;
/// use fastagentic::cache::semantic::GatewayEmbedder;
/// let embedder = GatewayEmbedder::new(
///     OpenAiGateway::new("sk-test"),
///     "text-embedding-3-small",
///     1536,
/// );
/// # let _ = embedder;
/// ```
pub struct GatewayEmbedder {
    gateway: Arc<dyn LlmGateway>,
    model: String,
    dimensions: usize,
    name: String,
}

impl std::fmt::Debug for GatewayEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayEmbedder")
            .field("gateway", &self.gateway.name())
            .field("model", &self.model)
            .field("dimensions", &self.dimensions)
            .finish()
    }
}

impl GatewayEmbedder {
    /// Embeds with `model` through `gateway`; its vectors have `dimensions`.
    pub fn new<G: LlmGateway>(gateway: G, model: impl Into<String>, dimensions: usize) -> Self {
        let gateway = shared(gateway);
        let model = model.into();
        let name = format!("{}:{model}", gateway.name());
        Self {
            gateway,
            model,
            dimensions,
            name,
        }
    }
}

impl Embedder for GatewayEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed(&self, texts: Vec<String>) -> BoxFuture<'_, Result<Vec<Vec<f32>>, EmbedError>> {
        Box::pin(async move {
            if texts.is_empty() {
                return Ok(Vec::new());
            }
            let count = texts.len();
            let call = CallContext::detached();
            let request = EmbeddingRequest::new(self.model.clone(), texts);
            let mut response = self.gateway.embed(&call, request).await?;
            let shape_error = |got: String| EmbedError::Shape {
                expected: format!("{count} vectors of {} dimensions", self.dimensions),
                got,
            };
            if response.data.len() != count {
                return Err(shape_error(format!("{} vectors", response.data.len())));
            }
            response.data.sort_by_key(|embedding| embedding.index);
            let mut vectors = Vec::with_capacity(count);
            for embedding in response.data {
                if embedding.embedding.len() != self.dimensions {
                    return Err(shape_error(format!(
                        "a vector of {} dimensions",
                        embedding.embedding.len()
                    )));
                }
                let mut vector = embedding.embedding;
                normalise(&mut vector);
                vectors.push(vector);
            }
            Ok(vectors)
        })
    }
}
