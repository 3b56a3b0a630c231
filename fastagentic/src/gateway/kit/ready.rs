//! [`Ready`]: what a compiled gateway adds around the shared transport, the
//! hooks of the one skeleton of `chat`, `chat_stream` and `embed`.

use http::HeaderMap;
use serde_json::Value;

use super::Transport;
use crate::gateway::{CallContext, GatewayError};
use crate::llm::{ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Extra, Usage};

/// The request a call is about to send, for per-request body fields.
#[derive(Debug)]
pub enum Outgoing<'a> {
    /// A chat completion (streamed or not).
    Chat(&'a mut ChatRequest),
    /// Embeddings.
    Embedding(&'a mut EmbeddingRequest),
}

/// What per-request work adds to a call: extra headers, and what it
/// remembers for the response's facts (e.g. the trace id it sent).
#[derive(Debug, Default)]
pub struct PerRequest<T> {
    /// Headers for this call only, beside the transport's static ones.
    pub headers: Option<HeaderMap>,
    /// Handed to [`Ready::facts`].
    pub sent: T,
}

/// The gateway's facts about an answer.
#[derive(Debug, Default)]
pub struct Facts {
    /// The section put into `gateway_metadata[<gateway name>]` (none: no section).
    pub section: Option<Value>,
    /// The gateway's own cost of the call in US dollars, put into
    /// `usage.cost` of plain answers (it wins over the app's price table).
    pub cost: Option<f64>,
}

impl Facts {
    /// Puts the facts on a plain answer, the section under `name`.
    pub(crate) fn put_on<A: Answer>(self, name: &str, mut answer: A) -> A {
        let (usage, metadata) = answer.usage_and_metadata();
        if let Some(cost) = self.cost {
            usage.get_or_insert_with(Usage::default).cost = Some(cost);
        }
        if let Some(section) = self.section {
            metadata.insert(name.to_owned(), section);
        }
        answer
    }
}

/// A plain answer that carries usage and gateway metadata.
pub(crate) trait Answer {
    fn usage_and_metadata(&mut self) -> (&mut Option<Usage>, &mut Extra);
}

impl Answer for ChatResponse {
    fn usage_and_metadata(&mut self) -> (&mut Option<Usage>, &mut Extra) {
        (&mut self.usage, &mut self.gateway_metadata)
    }
}

impl Answer for EmbeddingResponse {
    fn usage_and_metadata(&mut self) -> (&mut Option<Usage>, &mut Extra) {
        (&mut self.usage, &mut self.gateway_metadata)
    }
}

/// A compiled gateway, ready to call: the transport, and the steps around it.
/// [`CompileOnce::chat`](super::CompileOnce::chat), `chat_stream` and
/// `embed` run them in order: per-request work, the transport, the facts
/// (or, on failure, the diagnosis).
pub trait Ready: Send + Sync + 'static {
    /// What per-request work remembers for the facts.
    type Sent: Send;

    /// How the gateway reaches its provider: [`OpenAiCompatClient`](crate::OpenAiCompatClient)
    /// for OpenAI-compatible APIs.
    type Transport: Transport;

    /// The transport, with every static header set. Its provider name is the
    /// gateway's name: errors and the metadata section's key.
    fn client(&self) -> &Self::Transport;

    /// Per-request work: body fields set on `outgoing`, headers returned.
    fn per_request(&self, call: &CallContext, outgoing: Outgoing<'_>) -> PerRequest<Self::Sent>;

    /// The facts of a successful answer, from its response headers.
    fn facts(&self, headers: &HeaderMap, sent: Self::Sent) -> Facts;

    /// A transport error turned into one that says what to fix.
    fn diagnose(&self, error: GatewayError) -> GatewayError {
        error
    }
}
