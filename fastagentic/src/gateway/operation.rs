//! One request and one reply of any kind (chat, stream, embeddings), so a
//! strategy piece is written once for all three.

use serde_json::Value;

use super::{GatewayError, Route};
use crate::llm::{
    ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse, Extra, Usage,
};

/// What a gateway is asked to do: a chat completion, a streamed one, or embeddings.
#[derive(Clone, Debug, PartialEq)]
pub enum GatewayRequest {
    /// One chat completion.
    Chat(ChatRequest),
    /// A streamed chat completion.
    Stream(ChatRequest),
    /// Embeddings.
    Embed(EmbeddingRequest),
}

impl GatewayRequest {
    /// The model asked for.
    pub fn model(&self) -> &str {
        match self {
            GatewayRequest::Chat(request) | GatewayRequest::Stream(request) => &request.model,
            GatewayRequest::Embed(request) => &request.model,
        }
    }

    /// The model asked for, to change it.
    pub fn model_mut(&mut self) -> &mut String {
        match self {
            GatewayRequest::Chat(request) | GatewayRequest::Stream(request) => &mut request.model,
            GatewayRequest::Embed(request) => &mut request.model,
        }
    }

    /// `chat`, `stream` or `embed`.
    pub fn operation(&self) -> &'static str {
        match self {
            GatewayRequest::Chat(_) => "chat",
            GatewayRequest::Stream(_) => "stream",
            GatewayRequest::Embed(_) => "embed",
        }
    }

    /// Whether this is a chat request (streamed or not).
    pub fn is_chat(&self) -> bool {
        !matches!(self, GatewayRequest::Embed(_))
    }

    /// Sets request parameters as they are sent upstream (`"model"`,
    /// `"temperature"`, any other field of the wire format), replacing what
    /// the request had. A value that does not fit the field's type is refused.
    pub fn override_params(&mut self, params: &Extra) -> Result<(), String> {
        if params.is_empty() {
            return Ok(());
        }
        // The common case, the model alone, without a round trip through JSON.
        if params.len() == 1
            && let Some(Value::String(model)) = params.get("model")
        {
            model.clone_into(self.model_mut());
            return Ok(());
        }
        match self {
            GatewayRequest::Chat(request) | GatewayRequest::Stream(request) => {
                *request = merged(request, params)?;
            }
            GatewayRequest::Embed(request) => *request = merged(request, params)?,
        }
        Ok(())
    }
}

/// `value` with `params` set on its JSON form.
fn merged<T>(value: &T, params: &Extra) -> Result<T, String>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut json = serde_json::to_value(value).map_err(|e| e.to_string())?;
    if let Value::Object(fields) = &mut json {
        for (key, param) in params {
            fields.insert(key.clone(), param.clone());
        }
    }
    serde_json::from_value(json).map_err(|e| format!("override_params: {e}"))
}

/// The answer to a [`GatewayRequest`], of the same kind.
#[derive(Debug)]
pub enum Answer {
    /// A chat completion.
    Chat(ChatResponse),
    /// A stream whose first chunk has arrived (or that ended empty).
    Stream(ChatStream),
    /// Embeddings.
    Embed(EmbeddingResponse),
}

/// A reply: the answer and the route it took through the gateway tree.
#[derive(Debug)]
pub struct GatewayReply {
    /// The answer.
    pub answer: Answer,
    /// Which node answered, after how many attempts, past which failures.
    pub route: Route,
}

impl GatewayReply {
    /// A reply that took no recorded route (a transport's answer).
    pub fn new(answer: Answer) -> Self {
        Self {
            answer,
            route: Route::default(),
        }
    }

    /// What the gateways learned, one section per gateway.
    pub fn gateway_metadata_mut(&mut self) -> &mut Extra {
        match &mut self.answer {
            Answer::Chat(response) => &mut response.gateway_metadata,
            Answer::Stream(stream) => &mut stream.gateway_metadata,
            Answer::Embed(response) => &mut response.gateway_metadata,
        }
    }

    /// The usage of a complete answer (a stream's comes with its last chunk).
    pub fn usage(&self) -> Option<&Usage> {
        match &self.answer {
            Answer::Chat(response) => response.usage.as_ref(),
            Answer::Embed(response) => response.usage.as_ref(),
            Answer::Stream(_) => None,
        }
    }

    /// The chat completion, with the route written into
    /// `gateway_metadata["fastagentic"]`.
    pub fn into_chat(self, gateway: &str) -> Result<ChatResponse, GatewayError> {
        match self.rendered().answer {
            Answer::Chat(response) => Ok(response),
            other => Err(mismatch(gateway, "chat", &other)),
        }
    }

    /// The stream, with the route written into `gateway_metadata["fastagentic"]`.
    pub fn into_stream(self, gateway: &str) -> Result<ChatStream, GatewayError> {
        match self.rendered().answer {
            Answer::Stream(stream) => Ok(stream),
            other => Err(mismatch(gateway, "stream", &other)),
        }
    }

    /// The embeddings, with the route written into `gateway_metadata["fastagentic"]`.
    pub fn into_embed(self, gateway: &str) -> Result<EmbeddingResponse, GatewayError> {
        match self.rendered().answer {
            Answer::Embed(response) => Ok(response),
            other => Err(mismatch(gateway, "embed", &other)),
        }
    }

    /// Writes the route's facts into the answer's gateway metadata, once, at
    /// the top of the tree.
    fn rendered(mut self) -> Self {
        if let Some(section) = self.route.facts() {
            self.gateway_metadata_mut()
                .insert(crate::reliability::METADATA_KEY.to_owned(), section);
        }
        self
    }
}

fn mismatch(gateway: &str, asked: &str, answer: &Answer) -> GatewayError {
    let got = match answer {
        Answer::Chat(_) => "chat",
        Answer::Stream(_) => "stream",
        Answer::Embed(_) => "embed",
    };
    GatewayError::config(
        gateway,
        format!("a gateway answered a {asked} request with a {got} answer"),
    )
}
