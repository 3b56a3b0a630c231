//! Between a stored answer and a stream: a cached chat completion replayed
//! to a streaming client as server-sent chunks, and a completed stream
//! gathered into a chat completion to store.

use futures_util::{StreamExt, stream};

use crate::llm::{
    ChatChunk, ChatResponse, ChatStream, ChunkChoice, Content, Delta, Extra, Message, Role, Usage,
};

/// `response` as a stream: one chunk per choice with its whole message,
/// then, when it has usage, a usage-only chunk (as `include_usage` sends it).
pub(crate) fn replay(response: &ChatResponse) -> ChatStream {
    let mut chunks = Vec::with_capacity(response.choices.len() + 1);
    for choice in &response.choices {
        let tool_calls = choice.message.tool_calls.as_ref().map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(index, call)| {
                    let mut value = serde_json::to_value(call).unwrap_or_default();
                    if let Some(fields) = value.as_object_mut() {
                        fields.insert("index".to_owned(), index.into());
                    }
                    value
                })
                .collect()
        });
        let mut chunk = ChatChunk::default();
        chunk.id.clone_from(&response.id);
        chunk.model.clone_from(&response.model);
        chunk.choices = vec![ChunkChoice {
            index: choice.index,
            delta: Delta {
                role: Some(Role::Assistant),
                content: choice
                    .message
                    .content
                    .as_ref()
                    .map(|c| c.text().into_owned()),
                tool_calls,
                extra: Extra::new(),
            },
            finish_reason: choice.finish_reason.clone(),
            extra: Extra::new(),
        }];
        chunks.push(chunk);
    }
    if let Some(usage) = &response.usage {
        let mut chunk = ChatChunk::default();
        chunk.id.clone_from(&response.id);
        chunk.model.clone_from(&response.model);
        chunk.usage = Some(usage.clone());
        chunks.push(chunk);
    }
    for chunk in &mut chunks {
        chunk.object = "chat.completion.chunk".to_owned();
    }
    ChatStream::new(stream::iter(chunks.into_iter().map(Ok)))
}

/// A stream's chunks gathered into the answer they spell, for choices that
/// carried text only; `None` when a choice called tools (their fragments are
/// not gathered) or the stream carried no choice.
#[derive(Default)]
pub(crate) struct Gathered {
    id: String,
    model: String,
    texts: Vec<(String, Option<String>)>,
    usage: Option<Usage>,
    unstorable: bool,
}

impl Gathered {
    pub(crate) fn add(&mut self, chunk: &ChatChunk) {
        if self.id.is_empty() {
            self.id.clone_from(&chunk.id);
        }
        if self.model.is_empty() {
            self.model.clone_from(&chunk.model);
        }
        for choice in &chunk.choices {
            let index = choice.index as usize;
            if index > 16 {
                self.unstorable = true;
                continue;
            }
            while self.texts.len() <= index {
                self.texts.push((String::new(), None));
            }
            if choice.delta.tool_calls.is_some() {
                self.unstorable = true;
            }
            if let Some(text) = &choice.delta.content {
                self.texts[index].0.push_str(text);
            }
            if choice.finish_reason.is_some() {
                self.texts[index].1.clone_from(&choice.finish_reason);
            }
        }
        if chunk.usage.is_some() {
            self.usage.clone_from(&chunk.usage);
        }
    }

    pub(crate) fn into_response(self) -> Option<ChatResponse> {
        if self.unstorable || self.texts.is_empty() {
            return None;
        }
        let usage = self.usage.unwrap_or_default();
        let mut response = ChatResponse::from_text(self.model, "", usage);
        response.id = self.id;
        response.choices = self
            .texts
            .into_iter()
            .enumerate()
            .map(|(index, (text, finish))| crate::llm::Choice {
                index: u32::try_from(index).unwrap_or(0),
                message: Message {
                    content: Some(Content::Text(text)),
                    ..Message::assistant("")
                },
                finish_reason: finish,
                extra: Extra::new(),
            })
            .collect();
        Some(response)
    }
}

/// `upstream` passed on unchanged; when it ends without an error, `store`
/// gets the answer it spelled.
pub(crate) fn gather<F>(upstream: ChatStream, store: F) -> ChatStream
where
    F: FnOnce(ChatResponse) + Send + 'static,
{
    let metadata = upstream.gateway_metadata.clone();
    let state = (upstream, Gathered::default(), Some(store), false);
    let chunks = stream::unfold(
        state,
        |(mut upstream, mut gathered, mut store, failed)| async move {
            match upstream.next().await {
                Some(Ok(chunk)) => {
                    gathered.add(&chunk);
                    Some((Ok(chunk), (upstream, gathered, store, failed)))
                }
                Some(Err(error)) => Some((Err(error), (upstream, gathered, store, true))),
                None => {
                    if !failed
                        && let (Some(store), Some(response)) =
                            (store.take(), gathered.into_response())
                    {
                        store(response);
                    }
                    None
                }
            }
        },
    );
    let mut stream = ChatStream::new(chunks);
    stream.gateway_metadata = metadata;
    stream
}
