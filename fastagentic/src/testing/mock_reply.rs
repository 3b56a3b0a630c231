//! What the mock provider answers: a scripted reply or fault.

use std::time::Duration;

/// One scripted answer of the [`MockProvider`](super::MockProvider).
///
/// ```
/// use std::time::Duration;
/// use fastagentic::testing::MockReply;
/// let overloaded = MockReply::status(503).retry_after(Duration::from_millis(200));
/// let slow = MockReply::text("ok").delay(Duration::from_millis(50));
/// let cut = MockReply::stream(["a", "b", "c"]).drop_after(1);
/// # let _ = (overloaded, slow, cut);
/// ```
#[derive(Clone, Debug)]
pub struct MockReply {
    pub(super) body: ReplyBody,
    pub(super) status: u16,
    pub(super) delay: Duration,
    pub(super) headers: Vec<(String, String)>,
    pub(super) usage: Option<(u64, u64)>,
    pub(super) chunk_interval: Duration,
    pub(super) drop_after: Option<usize>,
    pub(super) model: Option<String>,
}

#[derive(Clone, Debug)]
pub(super) enum ReplyBody {
    /// An echo of the last user message (the default).
    Echo,
    /// This text, as a completion or (for `stream: true` requests) word by word.
    Text(String),
    /// These chunks' texts, streamed (a plain request gets them joined).
    Chunks(Vec<String>),
    /// One text repeated as many chunks, generated as they are sent.
    Repeat(String, usize),
    /// An OpenAI-style error body with this message.
    Error(String),
    /// Exactly these bytes with this content type.
    Raw(String, String),
    /// A call of one tool, in each wire format's own shape.
    ToolCall(MockToolCall),
}

/// The tool call a [`MockReply::tool_call`] answers with.
#[derive(Clone, Debug)]
pub(super) struct MockToolCall {
    /// The call's id (`call_mock`).
    pub(super) id: String,
    /// The tool's name.
    pub(super) name: String,
    /// The arguments, as a JSON object.
    pub(super) arguments: serde_json::Value,
}

impl MockReply {
    fn with_body(body: ReplyBody) -> Self {
        Self {
            body,
            status: 200,
            delay: Duration::ZERO,
            headers: Vec::new(),
            usage: None,
            chunk_interval: Duration::ZERO,
            drop_after: None,
            model: None,
        }
    }

    /// Echoes the last user message: `Mock reply to: <message>`.
    pub fn echo() -> Self {
        Self::with_body(ReplyBody::Echo)
    }

    /// Answers `text` (streamed word by word when the request streams).
    pub fn text(text: impl Into<String>) -> Self {
        Self::with_body(ReplyBody::Text(text.into()))
    }

    /// Streams these chunks (a plain request gets them joined).
    pub fn stream<I, S>(chunks: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::with_body(ReplyBody::Chunks(
            chunks.into_iter().map(Into::into).collect(),
        ))
    }

    /// Streams `chunk` `count` times, generating each chunk as it is sent
    /// (for long streams that should not sit in the mock's memory).
    pub fn repeat(chunk: impl Into<String>, count: usize) -> Self {
        Self::with_body(ReplyBody::Repeat(chunk.into(), count))
    }

    /// Calls the tool `name` with `arguments` (a JSON object): OpenAI's
    /// `tool_calls` (finish reason `tool_calls`), Anthropic's `tool_use`
    /// block, Gemini's `functionCall` part; streamed as each provider
    /// streams a call (name first, then the arguments).
    ///
    /// ```
    /// use fastagentic::testing::MockReply;
    /// let call = MockReply::tool_call("get_weather", serde_json::json!({"city": "Paris"}));
    /// # let _ = call;
    /// ```
    pub fn tool_call(name: impl Into<String>, arguments: serde_json::Value) -> Self {
        Self::with_body(ReplyBody::ToolCall(MockToolCall {
            id: "call_mock".to_owned(),
            name: name.into(),
            arguments,
        }))
    }

    /// Fails with `status` and an OpenAI-style error body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            ..Self::with_body(ReplyBody::Error(format!("mock provider failure {status}")))
        }
    }

    /// A 200 whose body is not JSON.
    pub fn malformed() -> Self {
        Self::raw(
            200,
            "{\"id\": \"chatcmpl-broken\", \"choices\": [",
            "application/json",
        )
    }

    /// Exactly `body` with `status` and `content_type`.
    pub fn raw(status: u16, body: impl Into<String>, content_type: impl Into<String>) -> Self {
        Self {
            status,
            ..Self::with_body(ReplyBody::Raw(body.into(), content_type.into()))
        }
    }

    /// Sets the error message of a [`status`](Self::status) reply.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.body = ReplyBody::Error(message.into());
        self
    }

    /// Waits this long before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends `Retry-After` (whole seconds, rounded up) and `retry-after-ms`.
    pub fn retry_after(self, wait: Duration) -> Self {
        let secs = wait.as_secs_f64().ceil() as u64;
        self.header("retry-after", secs.to_string())
            .header("retry-after-ms", wait.as_millis().to_string())
    }

    /// Adds a response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Reports this usage instead of counting words.
    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage = Some((input_tokens, output_tokens));
        self
    }

    /// Waits this long between streamed chunks.
    pub fn chunk_interval(mut self, interval: Duration) -> Self {
        self.chunk_interval = interval;
        self
    }

    /// Cuts the connection after `n` streamed chunks, without `[DONE]`.
    pub fn drop_after(mut self, n: usize) -> Self {
        self.drop_after = Some(n);
        self
    }

    /// Answers as this model instead of the one asked for.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
}

impl MockReply {
    /// The tool call this reply answers with, if it is one.
    pub(super) fn scripted_tool_call(&self) -> Option<&MockToolCall> {
        match &self.body {
            ReplyBody::ToolCall(tool) => Some(tool),
            _ => None,
        }
    }
}

impl Default for MockReply {
    fn default() -> Self {
        Self::echo()
    }
}
