//! `MockProvider`: an OpenAI-compatible server on an ephemeral loopback port.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use futures_util::stream;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::mock_reply::{MockReply, MockToolCall, ReplyBody};

/// A request the mock received.
#[derive(Clone, Debug)]
pub struct CapturedRequest {
    /// The path (`/v1/chat/completions`).
    pub path: String,
    /// The query string, if any (Azure's `api-version=...`).
    pub query: Option<String>,
    /// The headers, names lower-case.
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: Value,
    /// When it arrived.
    pub received_at: Instant,
}

impl CapturedRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `model` of the body.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }
}

#[derive(Default)]
struct Script {
    queue: VecDeque<MockReply>,
    per_model_queue: HashMap<String, VecDeque<MockReply>>,
    per_model: HashMap<String, MockReply>,
    default: Option<MockReply>,
}

#[derive(Default)]
pub(super) struct MockState {
    script: Mutex<Script>,
    captured: Mutex<Vec<CapturedRequest>>,
    streams_completed: AtomicUsize,
    streams_dropped: AtomicUsize,
    frames_sent: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A real OpenAI-compatible HTTP server on `127.0.0.1:<ephemeral>` with
/// scriptable replies and faults, capturing every request it receives.
///
/// Serves `POST /v1/chat/completions` (plain and streamed),
/// `POST /v1/embeddings` and `GET /v1/models`; and, with the same script,
/// Anthropic's `POST /v1/messages` (answers, event streams and error bodies
/// in Anthropic's shapes), Azure OpenAI's
/// `POST /openai/deployments/{deployment}/chat/completions|embeddings`
/// (scripted by deployment, `api-version` required, content-filter results
/// added) and Google's `POST /v1beta/openai/chat/completions` for Gemini
/// (errors in Google's list shape), and Gemini's native
/// `POST /v1beta/models/{model}:generateContent` and
/// `:streamGenerateContent` (also under `/v1/`). Any other path is recorded
/// too and answered 404 with a JSON error naming it. Replies are chosen in this
/// order: the queue for the request's model, the persistent reply for that
/// model, the global queue, the default (an echo).
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// use fastagentic::testing::{MockProvider, MockReply};
/// use fastagentic::{AgentContext, ChatRequest, OpenAiGateway};
///
/// let mock = MockProvider::start().await;
/// mock.push(MockReply::text("hello"));
/// let ctx = AgentContext::standalone(OpenAiGateway::new("sk-test").base_url(mock.base_url()));
/// let reply = ctx.llm().chat(ChatRequest::new("gpt-4o-mini").user("hi")).await.unwrap();
/// assert_eq!(reply.text(), "hello");
/// assert_eq!(mock.requests()[0].header("authorization"), Some("Bearer sk-test"));
/// # });
/// ```
pub struct MockProvider {
    addr: SocketAddr,
    state: Arc<MockState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl std::fmt::Debug for MockProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockProvider")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockProvider {
    /// Starts a mock on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound (a broken test environment).
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("MockProvider: cannot bind a loopback port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("MockProvider: no local address: {e}"));
        let state = Arc::new(MockState::default());
        let router = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/chat/completions", post(chat))
            .route("/v1/embeddings", post(embeddings))
            .route("/embeddings", post(embeddings))
            .route("/v1/models", get(models))
            .route("/v1/messages", post(super::mock_wire::anthropic))
            .route(
                "/openai/deployments/{deployment}/chat/completions",
                post(super::mock_wire::azure_chat),
            )
            .route(
                "/openai/deployments/{deployment}/embeddings",
                post(super::mock_wire::azure_embeddings),
            )
            .route(
                "/v1beta/openai/chat/completions",
                post(super::mock_wire::gemini_chat),
            )
            .route("/v1beta/openai/embeddings", post(embeddings))
            .route(
                "/v1beta/models/{call}",
                post(super::mock_gemini::gemini_native),
            )
            .route("/v1/models/{call}", post(super::mock_gemini::gemini_native))
            .fallback(unknown_route)
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            addr,
            state,
            shutdown: Some(tx),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:<port>/v1`, the base URL for OpenAI-compatible clients.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The base URL for Anthropic's clients (they add `/v1/messages`): the root.
    pub fn anthropic_base_url(&self) -> String {
        self.url()
    }

    /// The endpoint for Azure OpenAI clients (they add
    /// `/openai/deployments/<deployment>/...`): the root.
    pub fn azure_endpoint(&self) -> String {
        self.url()
    }

    /// The base URL of Google's OpenAI-compatible endpoint for Gemini
    /// (`http://127.0.0.1:<port>/v1beta/openai`).
    pub fn gemini_base_url(&self) -> String {
        format!("http://{}/v1beta/openai", self.addr)
    }

    /// The root URL for clients of Gemini's native API (they add
    /// `/v1beta/models/<model>:generateContent`): the root.
    pub fn gemini_native_url(&self) -> String {
        self.url()
    }

    /// The address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next request (any model).
    pub fn push(&self, reply: MockReply) {
        lock(&self.state.script).queue.push_back(reply);
    }

    /// Queues a reply for the next request for `model`.
    pub fn push_for_model(&self, model: &str, reply: MockReply) {
        lock(&self.state.script)
            .per_model_queue
            .entry(model.to_owned())
            .or_default()
            .push_back(reply);
    }

    /// Answers every request for `model` with `reply` (after that model's queue).
    pub fn on_model(&self, model: &str, reply: MockReply) {
        lock(&self.state.script)
            .per_model
            .insert(model.to_owned(), reply);
    }

    /// Replaces the default reply (an echo).
    pub fn set_default(&self, reply: MockReply) {
        lock(&self.state.script).default = Some(reply);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        lock(&self.state.captured).clone()
    }

    /// How many requests arrived.
    pub fn request_count(&self) -> usize {
        lock(&self.state.captured).len()
    }

    /// How many requests asked for `model`.
    pub fn requests_for_model(&self, model: &str) -> usize {
        lock(&self.state.captured)
            .iter()
            .filter(|r| r.model() == Some(model))
            .count()
    }

    /// Streams sent to the end.
    pub fn streams_completed(&self) -> usize {
        self.state.streams_completed.load(Ordering::SeqCst)
    }

    /// Streams whose client went away (or that were cut) before the end.
    pub fn streams_dropped(&self) -> usize {
        self.state.streams_dropped.load(Ordering::SeqCst)
    }

    /// Streamed frames (SSE events, `[DONE]` included) handed to the
    /// connection so far, across all streams: with a client that stops
    /// reading, this stops growing once socket buffers are full.
    pub fn frames_sent(&self) -> usize {
        self.state.frames_sent.load(Ordering::SeqCst)
    }

    /// Forgets the captured requests.
    pub fn clear_requests(&self) {
        lock(&self.state.captured).clear();
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl MockState {
    pub(super) async fn capture(&self, request: Request) -> CapturedRequest {
        let path = request.uri().path().to_owned();
        let query = request.uri().query().map(str::to_owned);
        let headers = request.headers().clone();
        let bytes = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let captured = CapturedRequest {
            path,
            query,
            headers,
            body,
            received_at: Instant::now(),
        };
        lock(&self.captured).push(captured.clone());
        captured
    }

    pub(super) fn next_reply(&self, model: &str) -> MockReply {
        let mut script = lock(&self.script);
        if let Some(reply) = script
            .per_model_queue
            .get_mut(model)
            .and_then(VecDeque::pop_front)
        {
            return reply;
        }
        if let Some(reply) = script.per_model.get(model) {
            return reply.clone();
        }
        if let Some(reply) = script.queue.pop_front() {
            return reply;
        }
        script.default.clone().unwrap_or_default()
    }
}

pub(super) fn with_headers(mut response: Response, reply: &MockReply) -> Response {
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

pub(super) fn reply_text(reply: &MockReply, body: &Value) -> Vec<String> {
    match &reply.body {
        ReplyBody::Text(text) => text.split_inclusive(' ').map(str::to_owned).collect(),
        ReplyBody::Chunks(chunks) => chunks.clone(),
        ReplyBody::Repeat(chunk, count) => vec![chunk.repeat(*count)],
        ReplyBody::ToolCall(_) => Vec::new(),
        _ => {
            let last_user = body
                .get("messages")
                .and_then(Value::as_array)
                .and_then(|m| {
                    m.iter()
                        .rev()
                        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
                })
                .and_then(|m| m.get("content"))
                .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned))
                .unwrap_or_default();
            format!("Mock reply to: {last_user}")
                .split_inclusive(' ')
                .map(str::to_owned)
                .collect()
        }
    }
}

pub(super) fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

async fn chat(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let captured = state.capture(request).await;
    let asked = captured.model().unwrap_or("mock-model").to_owned();
    chat_as(state, captured.body, asked, false).await
}

/// An OpenAI-format answer to `body` for the model `asked`; error bodies in
/// Google's list shape when `google_errors`.
pub(super) async fn chat_as(
    state: Arc<MockState>,
    body: Value,
    asked: String,
    google_errors: bool,
) -> Response {
    let reply = state.next_reply(&asked);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let model = reply.model.clone().unwrap_or(asked);
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(failure) = scripted_failure(&reply, |status, message| {
        if google_errors {
            return super::mock_wire::google_error(status, message);
        }
        let kind = if status == 429 {
            "rate_limit_error"
        } else {
            "server_error"
        };
        json!({"error": {"message": message, "type": kind, "param": null, "code": status.to_string()}})
    }) {
        return failure;
    }
    let pieces = Pieces::of(&reply, &body);
    let prompt_words: u64 = body
        .get("messages")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .map(|m| m.get("content").and_then(Value::as_str).map_or(0, words))
                .sum()
        })
        .unwrap_or(0);
    let tool = reply.scripted_tool_call().cloned();
    let (input, output) = reply
        .usage
        .unwrap_or((prompt_words, output_words(&pieces, tool.as_ref())));
    let usage = json!({"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output});

    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true);
        let frames = SseFrames {
            model,
            pieces,
            tool,
            usage: include_usage.then_some(usage),
        };
        let response = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from_stream(frame_stream(
                frames,
                state.clone(),
                &reply,
            )))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        return with_headers(response, &reply);
    }
    let json = json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [openai_choice(&pieces, tool.as_ref())],
        "usage": usage,
    });
    with_headers((status, axum::Json(json)).into_response(), &reply)
}

/// The output tokens the mock reports: the words of the text, or of a tool
/// call's arguments (at least one).
pub(super) fn output_words(pieces: &Pieces, tool: Option<&MockToolCall>) -> u64 {
    match tool {
        Some(tool) => words(&tool.arguments.to_string()).max(1),
        None => pieces.words(),
    }
}

/// The one choice of a plain OpenAI answer: the text, or the tool call.
fn openai_choice(pieces: &Pieces, tool: Option<&MockToolCall>) -> Value {
    match tool {
        Some(tool) => json!({"index": 0, "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": tool.id, "type": "function",
                            "function": {"name": tool.name, "arguments": tool.arguments.to_string()}}]},
            "finish_reason": "tool_calls"}),
        None => {
            json!({"index": 0, "message": {"role": "assistant", "content": pieces.text()}, "finish_reason": "stop"})
        }
    }
}

/// The texts of a reply's chunks, listed or generated.
pub(super) enum Pieces {
    List(Vec<String>),
    Repeat(String, usize),
}

impl Pieces {
    pub(super) fn of(reply: &MockReply, body: &Value) -> Self {
        match &reply.body {
            ReplyBody::Repeat(chunk, count) => Pieces::Repeat(chunk.clone(), *count),
            _ => Pieces::List(reply_text(reply, body)),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Pieces::List(list) => list.len(),
            Pieces::Repeat(_, count) => *count,
        }
    }

    pub(super) fn get(&self, i: usize) -> &str {
        match self {
            Pieces::List(list) => list.get(i).map_or("", String::as_str),
            Pieces::Repeat(chunk, _) => chunk,
        }
    }

    pub(super) fn text(&self) -> String {
        match self {
            Pieces::List(list) => list.concat(),
            Pieces::Repeat(chunk, count) => chunk.repeat(*count),
        }
    }

    pub(super) fn words(&self) -> u64 {
        match self {
            Pieces::List(list) => words(&list.concat()),
            Pieces::Repeat(chunk, count) => words(chunk) * *count as u64,
        }
    }
}

/// Counts a stream as completed or dropped when its body is dropped.
struct StreamGuard {
    state: Arc<MockState>,
    completed: bool,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let counter = if self.completed {
            &self.state.streams_completed
        } else {
            &self.state.streams_dropped
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// A streamed answer, each SSE frame encoded when it is sent: the content
/// chunks (or a tool call's name, then its arguments), a finish chunk, a
/// usage chunk when asked for, `[DONE]`.
struct SseFrames {
    model: String,
    pieces: Pieces,
    tool: Option<MockToolCall>,
    usage: Option<Value>,
}

impl SseFrames {
    /// How many content frames: one per piece, or two for a tool call.
    fn content_frames(&self) -> usize {
        if self.tool.is_some() {
            2
        } else {
            self.pieces.len()
        }
    }

    /// Content frame `i`'s delta.
    fn delta(&self, i: usize) -> Value {
        match &self.tool {
            Some(tool) if i == 0 => json!({"role": "assistant", "content": null, "tool_calls": [
                {"index": 0, "id": tool.id, "type": "function", "function": {"name": tool.name, "arguments": ""}}]}),
            Some(tool) => json!({"tool_calls": [
                {"index": 0, "function": {"arguments": tool.arguments.to_string()}}]}),
            None if i == 0 => json!({"role": "assistant", "content": self.pieces.get(i)}),
            None => json!({"content": self.pieces.get(i)}),
        }
    }
}

/// A streamed answer's frames, each encoded when it is sent.
pub(super) trait Frames: Send + 'static {
    /// How many frames.
    fn count(&self) -> usize;
    /// Frame `i`.
    fn frame(&self, i: usize) -> Bytes;
}

impl Frames for SseFrames {
    fn count(&self) -> usize {
        self.content_frames() + 2 + usize::from(self.usage.is_some())
    }

    fn frame(&self, i: usize) -> Bytes {
        let n = self.content_frames();
        let chunk = |delta: Value, finish: Value| {
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": self.model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        };
        let json = if i < n {
            chunk(self.delta(i), Value::Null)
        } else if i == n {
            let finish = if self.tool.is_some() {
                "tool_calls"
            } else {
                "stop"
            };
            chunk(json!({}), json!(finish))
        } else if let (Some(usage), true) = (&self.usage, i == n + 1) {
            json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": self.model, "choices": [], "usage": usage})
        } else {
            return Bytes::from_static(b"data: [DONE]\n\n");
        };
        Bytes::from(format!("data: {json}\n\n"))
    }
}

/// `frames` as a body stream with the reply's faults (pace, cut), counted
/// as completed or dropped.
pub(super) fn frame_stream<F: Frames>(
    frames: F,
    state: Arc<MockState>,
    reply: &MockReply,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    {
        let drop_after = reply.drop_after;
        let interval = reply.chunk_interval;
        let guard = StreamGuard {
            state,
            completed: false,
        };
        stream::unfold(
            (frames, 0usize, guard),
            move |(frames, i, mut guard)| async move {
                if i >= frames.count() {
                    return None;
                }
                if i > 0 && !interval.is_zero() {
                    tokio::time::sleep(interval).await;
                }
                if drop_after == Some(i) {
                    let cut = Err(std::io::Error::other("mock provider cut the stream"));
                    return Some((cut, (frames, usize::MAX, guard)));
                }
                let frame = frames.frame(i);
                if i + 1 == frames.count() {
                    guard.completed = true;
                }
                guard.state.frames_sent.fetch_add(1, Ordering::SeqCst);
                Some((Ok(frame), (frames, i + 1, guard)))
            },
        )
    }
}

async fn embeddings(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let captured = state.capture(request).await;
    let model = captured.model().unwrap_or("mock-embedding").to_owned();
    let reply = state.next_reply(&model);
    if reply.status >= 400 {
        let status =
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return with_headers(
            (
                status,
                axum::Json(json!({"error": {"message": "mock provider failure"}})),
            )
                .into_response(),
            &reply,
        );
    }
    let inputs: Vec<String> = match captured.body.get("input") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": [text.len() as f32, 0.5, 0.25, 0.125]}))
        .collect();
    let tokens: u64 = inputs.iter().map(|i| words(i)).sum();
    axum::Json(json!({"object": "list", "model": model, "data": data, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})).into_response()
}

/// Any path the mock does not serve: recorded, then a 404 naming it.
async fn unknown_route(State(state): State<Arc<MockState>>, request: Request) -> Response {
    let method = request.method().clone();
    let captured = state.capture(request).await;
    let message = format!("mock provider: no route for {method} {}", captured.path);
    let json = json!({"error": {"message": message, "type": "not_found_error", "code": "404"}});
    (StatusCode::NOT_FOUND, axum::Json(json)).into_response()
}

async fn models() -> Response {
    axum::Json(json!({"object": "list", "data": [{"id": "mock-model", "object": "model", "owned_by": "fastagentic"}]})).into_response()
}

/// The reply when it is a scripted error (its body in the provider's error
/// shape, from `error_body(status, message)`) or a raw answer; `None` when
/// it is an answer to build.
pub(super) fn scripted_failure(
    reply: &MockReply,
    error_body: impl FnOnce(u16, &str) -> Value,
) -> Option<Response> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let response = match &reply.body {
        ReplyBody::Error(message) => {
            (status, axum::Json(error_body(reply.status, message))).into_response()
        }
        ReplyBody::Raw(text, content_type) => (
            status,
            [(header::CONTENT_TYPE, content_type.clone())],
            text.clone(),
        )
            .into_response(),
        _ => return None,
    };
    Some(with_headers(response, reply))
}
