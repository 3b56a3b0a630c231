//! [`StreamChunk`]: one item of a [`ChatStream`](super::ChatStream), kept
//! as the upstream's bytes and parsed into a [`ChatChunk`] only when
//! something reads its fields.
//!
//! A streaming endpoint forwards each chunk's bytes as they came, and the
//! LLM client needs only the model, the text and (on the last chunk) the
//! usage. Parsing every chunk into a `ChatChunk` was 28% of a stream's
//! instructions (callgrind); a borrowed scan of the same bytes reads the
//! few facts without building strings, maps or vectors.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};

use super::{ChatChunk, Usage};

/// One chunk of a streamed chat completion.
///
/// Reads like a [`ChatChunk`] (it dereferences to one, parsed from the
/// upstream's bytes on first use); [`delta_text`](Self::delta_text),
/// [`model`](Self::model), [`usage`](Self::usage) and
/// [`to_json_bytes`](Self::to_json_bytes) need no parse.
#[derive(Clone)]
pub struct StreamChunk {
    /// The chunk's JSON as the upstream sent it; `None` once changed.
    raw: Option<Bytes>,
    /// What the scan read from `raw`.
    facts: Facts,
    /// The typed chunk, parsed on first use (or given); boxed, so a chunk
    /// that is never parsed stays small as it moves through a stream's
    /// layers (a `ChatChunk` in place made every item 336 bytes).
    typed: OnceLock<Box<ChatChunk>>,
}

/// The facts a scan reads: where the model and text are in the bytes
/// (copied only when JSON escapes made them differ), and the usage.
#[derive(Clone, Debug, Default)]
struct Facts {
    model: Text,
    text: Text,
    usage: Option<Usage>,
    choices: usize,
    error: bool,
}

/// A string of the chunk: a range of its bytes, a copy, or the typed
/// chunk's own (for a chunk built as a `ChatChunk`).
#[derive(Clone, Debug, Default)]
enum Text {
    #[default]
    Empty,
    In(Range<usize>),
    Owned(String),
    Typed,
}

impl Text {
    fn of(value: Option<Cow<'_, str>>, raw: &[u8]) -> Self {
        match value {
            None => Text::Empty,
            Some(Cow::Borrowed(text)) => {
                // A borrowed string lies inside `raw`: its offset is the
                // distance between the two addresses.
                let start = (text.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
                match raw.get(start..start + text.len()) {
                    Some(bytes) if bytes.as_ptr() == text.as_ptr() => {
                        Text::In(start..start + text.len())
                    }
                    _ => Text::Owned(text.to_owned()),
                }
            }
            Some(Cow::Owned(text)) => Text::Owned(text),
        }
    }

    fn get<'a>(&'a self, raw: Option<&'a Bytes>, typed: impl FnOnce() -> &'a str) -> &'a str {
        match self {
            Text::Empty => "",
            Text::Typed => typed(),
            Text::Owned(text) => text,
            Text::In(range) => raw
                .and_then(|raw| raw.get(range.clone()))
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or(""),
        }
    }
}

impl StreamChunk {
    /// Reads one SSE `data:` line's JSON, keeping the bytes. Fails when it
    /// is not a JSON object of the chunk's shape (the fields it reads).
    pub fn from_json_bytes(raw: Bytes) -> Result<Self, serde_json::Error> {
        let facts = match super::chunk_scan::scan(&raw).and_then(|found| quick_facts(found, &raw)) {
            Some(facts) => facts,
            None => {
                let scan: Scan<'_> = serde_json::from_slice(&raw)?;
                Facts {
                    model: Text::of(scan.model, &raw),
                    text: Text::of(scan.choices.first_text, &raw),
                    usage: scan.usage,
                    choices: scan.choices.count,
                    error: scan.error.is_some(),
                }
            }
        };
        Ok(Self {
            raw: Some(raw),
            facts,
            typed: OnceLock::new(),
        })
    }

    /// The text choice 0 adds ("" when none).
    pub fn delta_text(&self) -> &str {
        self.facts.text.get(self.raw.as_ref(), || {
            self.typed.get().map_or("", |chunk| chunk.delta_text())
        })
    }

    /// The model ("" when the chunk names none).
    pub fn model(&self) -> &str {
        self.facts.model.get(self.raw.as_ref(), || {
            self.typed.get().map_or("", |chunk| chunk.model.as_str())
        })
    }

    /// The usage, sent on the last chunk (with `stream_options.include_usage`).
    pub fn usage(&self) -> Option<&Usage> {
        self.facts.usage.as_ref()
    }

    /// Fills the usage's cost when the upstream sent none (the typed chunk
    /// reads the same; the bytes pass through unchanged).
    pub(crate) fn fill_cost(&mut self, cost: impl FnOnce(&Usage) -> Option<f64>) {
        let Some(usage) = self.facts.usage.as_mut() else {
            return;
        };
        if usage.cost.is_none() {
            usage.cost = cost(usage);
            if let Some(chunk) = self.typed.get_mut() {
                chunk.usage.clone_from(&self.facts.usage);
            }
        }
    }

    /// Whether this is an error object in place of a chunk (no choices, no
    /// usage, an `error` field), as some providers send mid-stream.
    pub(crate) fn is_error(&self) -> bool {
        self.facts.choices == 0 && self.facts.usage.is_none() && self.facts.error
    }

    /// The chunk's JSON as the upstream sent it, if it came from one and
    /// nothing changed it since.
    pub fn raw(&self) -> Option<&Bytes> {
        self.raw.as_ref()
    }

    /// The chunk's JSON: the original bytes when unchanged, else freshly encoded.
    pub fn to_json_bytes(&self) -> Bytes {
        match &self.raw {
            Some(raw) => raw.clone(),
            None => self.chunk().to_json_bytes(),
        }
    }

    /// The typed chunk (parsed now if it was not yet).
    pub fn chunk(&self) -> &ChatChunk {
        self.typed.get_or_init(|| Box::new(self.parse()))
    }

    /// The typed chunk, by value (to change it: change it, call
    /// [`ChatChunk::into_modified`], and make a `StreamChunk` of it again).
    pub fn into_chunk(mut self) -> ChatChunk {
        self.chunk();
        self.typed.take().map(|chunk| *chunk).unwrap_or_default()
    }

    fn parse(&self) -> ChatChunk {
        let Some(raw) = &self.raw else {
            return ChatChunk::default();
        };
        // The scan accepted these bytes; a typed parse that does not (a
        // field of an unexpected type the scan skipped) reads as an empty
        // chunk with the same bytes and facts.
        let mut chunk = ChatChunk::from_json_bytes(raw.clone()).unwrap_or_else(|_| {
            let mut empty = ChatChunk::default();
            empty.model = self.model().to_owned();
            empty
        });
        chunk.usage.clone_from(&self.facts.usage);
        chunk
    }
}

/// The facts from the one-pass scan; `None` (serde decides) when the
/// usage object does not read as a [`Usage`].
fn quick_facts(found: super::chunk_scan::Found, raw: &[u8]) -> Option<Facts> {
    let usage = match found.usage {
        Some(range) => Some(serde_json::from_slice::<Usage>(raw.get(range)?).ok()?),
        None => None,
    };
    let text = |range: Option<Range<usize>>| range.map_or(Text::Empty, Text::In);
    Some(Facts {
        model: text(found.model),
        text: text(found.text),
        usage,
        choices: found.choices,
        error: found.error,
    })
}

/// A chunk built as a `ChatChunk` (a gateway's own, a provider's
/// translation, a cache replay): its facts are read from it.
impl From<ChatChunk> for StreamChunk {
    fn from(chunk: ChatChunk) -> Self {
        let facts = Facts {
            model: Text::Typed,
            text: Text::Typed,
            usage: chunk.usage.clone(),
            choices: chunk.choices.len(),
            error: chunk.extra.contains_key("error"),
        };
        Self {
            raw: chunk.raw().cloned(),
            facts,
            typed: OnceLock::from(Box::new(chunk)),
        }
    }
}

impl std::ops::Deref for StreamChunk {
    type Target = ChatChunk;

    fn deref(&self) -> &ChatChunk {
        self.chunk()
    }
}

impl fmt::Debug for StreamChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamChunk")
            .field("model", &self.model())
            .field("delta_text", &self.delta_text())
            .field("usage", &self.usage())
            .field("raw", &self.raw.as_ref().map(|raw| raw.len()))
            .finish_non_exhaustive()
    }
}

/// Serializes as the typed chunk (for the upstream's exact bytes, use
/// [`StreamChunk::to_json_bytes`]).
impl serde::Serialize for StreamChunk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.chunk().serialize(serializer)
    }
}

impl PartialEq for StreamChunk {
    fn eq(&self, other: &Self) -> bool {
        self.chunk() == other.chunk()
    }
}

/// The fields of a chunk the scan reads; everything else is skipped
/// without being kept.
#[derive(Deserialize)]
struct Scan<'a> {
    #[serde(default, borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    choices: Choices<'a>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

/// How many choices, and the first one's text.
#[derive(Default)]
struct Choices<'a> {
    count: usize,
    first_text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ChoiceScan<'a> {
    #[serde(default, borrow)]
    delta: Option<DeltaScan<'a>>,
}

#[derive(Deserialize)]
struct DeltaScan<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Choices<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChoicesVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for ChoicesVisitor<'a> {
            type Value = Choices<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of choices")
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Choices::default())
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut choices = Choices::default();
                if let Some(first) = seq.next_element::<ChoiceScan<'a>>()? {
                    choices.count = 1;
                    choices.first_text = first.delta.and_then(|d| d.content);
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    choices.count += 1;
                }
                Ok(choices)
            }
        }

        deserializer.deserialize_any(ChoicesVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hel\"lo"},"finish_reason":null}]}"#;

    #[test]
    fn reads_the_facts_without_parsing_and_the_rest_on_demand() {
        let chunk = StreamChunk::from_json_bytes(Bytes::from_static(CHUNK.as_bytes())).unwrap();
        assert_eq!(chunk.model(), "gpt-4o-mini");
        assert_eq!(chunk.delta_text(), "Hel\"lo");
        assert!(chunk.usage().is_none() && !chunk.is_error());
        assert!(chunk.typed.get().is_none(), "nothing parsed yet");
        assert_eq!(chunk.to_json_bytes(), CHUNK.as_bytes());
        // Reading a field parses it.
        assert_eq!(chunk.id, "c1");
        assert_eq!(chunk.extra["created"], 1);
        assert_eq!(chunk.choices[0].delta.content.as_deref(), Some("Hel\"lo"));
    }

    #[test]
    fn usage_and_its_cost_read_the_same_typed_or_not() {
        let raw = r#"{"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#;
        let mut chunk = StreamChunk::from_json_bytes(Bytes::from_static(raw.as_bytes())).unwrap();
        chunk.fill_cost(|_| Some(0.5));
        assert_eq!(chunk.usage().and_then(|u| u.cost), Some(0.5));
        assert_eq!(chunk.usage.as_ref().and_then(|u| u.cost), Some(0.5));
        assert_eq!(chunk.usage().map(|u| u.total_tokens), Some(7));
        assert_eq!(chunk.to_json_bytes(), raw.as_bytes(), "bytes unchanged");
    }

    #[test]
    fn a_chunk_moves_as_a_small_value() {
        // Every stream layer moves each item: with the typed chunk in
        // place an item was 336 bytes, copied several times per chunk.
        assert!(std::mem::size_of::<StreamChunk>() <= 160);
        assert!(std::mem::size_of::<Result<StreamChunk, crate::gateway::GatewayError>>() <= 160);
    }

    #[test]
    fn errors_and_changes() {
        let error = StreamChunk::from_json_bytes(Bytes::from_static(
            br#"{"error":{"message":"overloaded"}}"#,
        ))
        .unwrap();
        assert!(error.is_error());
        assert!(StreamChunk::from_json_bytes(Bytes::from_static(b"[1]")).is_err());
        assert!(StreamChunk::from_json_bytes(Bytes::from_static(br#"{"choices":3}"#)).is_err());

        let chunk = StreamChunk::from_json_bytes(Bytes::from_static(CHUNK.as_bytes())).unwrap();
        let mut typed = chunk.into_chunk();
        typed.choices[0].delta.content = Some("changed".into());
        let chunk = StreamChunk::from(typed.into_modified());
        assert_eq!(chunk.delta_text(), "changed");
        assert!(chunk.raw().is_none());
        let json: serde_json::Value = serde_json::from_slice(&chunk.to_json_bytes()).unwrap();
        assert_eq!(json["choices"][0]["delta"]["content"], "changed");

        let own = StreamChunk::from(ChatChunk::text("demo", "hi"));
        assert_eq!((own.model(), own.delta_text()), ("demo", "hi"));
    }
}
