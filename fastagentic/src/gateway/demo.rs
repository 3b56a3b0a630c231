//! `DemoGateway`: deterministic offline answers, so an app runs with no API key.

use std::time::Duration;

use futures_util::{StreamExt, stream};
use serde_json::json;

use super::{BoxFuture, CallContext, GatewayError, LlmGateway};
use crate::llm::{
    ChatChunk, ChatRequest, ChatResponse, ChatStream, ChunkChoice, Embedding, EmbeddingRequest,
    EmbeddingResponse, Extra, Role, Usage,
};

/// The model name every demo answer carries, so no one mistakes it for a real model.
pub const DEMO_MODEL: &str = "fastagentic-demo";

const NOTICE: &str = "answered by FastAgentic's offline demo gateway; set OPENAI_API_KEY, PORTKEY_API_KEY or LITELLM_PROXY_API_BASE for a real model";

/// A gateway that answers from a fixed recipe, offline and deterministically:
/// the same request always gets the same answer. Every answer says it is the
/// demo (model `fastagentic-demo`, a `notice` in `metadata["demo"]`).
///
/// ```
/// # tokio_test_block_on(async {
/// use fastagentic::{CallContext, ChatRequest, DemoGateway, LlmGateway};
/// let reply = DemoGateway::new().chat(&CallContext::detached(), ChatRequest::new("gpt-4o-mini").user("hi")).await.unwrap();
/// assert_eq!(reply.model, "fastagentic-demo");
/// assert!(reply.text().contains("hi"));
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output { tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct DemoGateway {
    token_delay: Duration,
}

impl DemoGateway {
    /// The demo gateway, streaming without delay.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits this long between streamed words, so streaming is visible in a terminal.
    pub fn token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = delay;
        self
    }

    fn answer(request: &ChatRequest) -> (String, Usage) {
        let question = request
            .last_user_text()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let instructions = request
            .messages
            .iter()
            .filter(|m| matches!(m.role, Role::System | Role::Developer))
            .map(|m| m.text().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let text = if question.is_empty() {
            "Hello from the FastAgentic demo model. Send a user message and I will echo it back."
                .to_owned()
        } else {
            let words = question.split_whitespace().count();
            let mut text = format!("Demo answer to \"{question}\" ({words} words).");
            if !instructions.is_empty() {
                text.push_str(&format!(
                    " Instructions noted: \"{}\".",
                    instructions.trim()
                ));
            }
            text.push_str(" This is FastAgentic's offline demo model; configure a real gateway for real answers.");
            text
        };
        let prompt_tokens: usize = request
            .messages
            .iter()
            .map(|m| count_tokens(&m.text()))
            .sum();
        let usage = Usage::new(prompt_tokens as u64, count_tokens(&text) as u64);
        (text, usage)
    }
}

fn count_tokens(text: &str) -> usize {
    text.split_whitespace().count()
}

fn metadata() -> Extra {
    let mut metadata = Extra::new();
    metadata.insert("demo".to_owned(), json!({"notice": NOTICE}));
    metadata
}

impl LlmGateway for DemoGateway {
    fn name(&self) -> &str {
        "demo"
    }

    fn chat<'a>(
        &'a self,
        _call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, GatewayError>> {
        Box::pin(async move {
            let (text, usage) = Self::answer(&request);
            let mut response = ChatResponse::from_text(DEMO_MODEL, text, usage);
            response.id = "chatcmpl-demo".to_owned();
            response
                .extra
                .insert("system_fingerprint".to_owned(), json!(DEMO_MODEL));
            response.gateway_metadata = metadata();
            Ok(response)
        })
    }

    fn chat_stream<'a>(
        &'a self,
        _call: &'a CallContext,
        request: ChatRequest,
    ) -> BoxFuture<'a, Result<ChatStream, GatewayError>> {
        Box::pin(async move {
            let (text, usage) = Self::answer(&request);
            let words: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
            let delay = self.token_delay;
            let mut last = ChatChunk::text(DEMO_MODEL, "");
            last.choices = vec![ChunkChoice {
                finish_reason: Some("stop".to_owned()),
                ..ChunkChoice::default()
            }];
            last.usage = Some(usage);
            let chunks = stream::iter(
                words
                    .into_iter()
                    .map(|w| ChatChunk::text(DEMO_MODEL, w))
                    .chain([last]),
            )
            .map(|mut chunk| {
                chunk.id = "chatcmpl-demo".to_owned();
                chunk
            })
            .then(move |chunk| async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Ok(chunk)
            });
            let mut stream = ChatStream::new(chunks);
            stream.gateway_metadata = metadata();
            Ok(stream)
        })
    }

    fn embed<'a>(
        &'a self,
        _call: &'a CallContext,
        request: EmbeddingRequest,
    ) -> BoxFuture<'a, Result<EmbeddingResponse, GatewayError>> {
        Box::pin(async move {
            let inputs: Vec<String> = match &request.input {
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect(),
                serde_json::Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            let tokens: usize = inputs.iter().map(|i| count_tokens(i)).sum();
            let data = inputs
                .iter()
                .enumerate()
                .map(|(index, text)| Embedding {
                    index: index as u32,
                    embedding: demo_vector(text),
                    extra: Extra::new(),
                })
                .collect();
            Ok(EmbeddingResponse {
                model: DEMO_MODEL.to_owned(),
                data,
                usage: Some(Usage::new(tokens as u64, 0)),
                extra: Extra::new(),
                gateway_metadata: metadata(),
            })
        })
    }
}

/// A deterministic unit vector of 8 dimensions derived from the text's bytes.
fn demo_vector(text: &str) -> Vec<f32> {
    let mut v = [0f32; 8];
    for (i, b) in text.bytes().enumerate() {
        v[i % 8] += f32::from(b) / 255.0;
    }
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    v.iter().map(|x| x / norm).collect()
}
