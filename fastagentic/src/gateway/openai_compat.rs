//! The HTTP transport for OpenAI-compatible APIs, shared by the OpenAI,
//! Portkey and LiteLLM gateways.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};
use http::{HeaderMap, HeaderName, HeaderValue, header};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use super::GatewayError;
use super::sse::SseDecoder;
use super::upstream_http::{HttpError, ParsedUrl, ResponseBody, UpstreamHttp};
use crate::Secret;
use crate::llm::{
    ChatRequest, ChatResponse, ChatStream, EmbeddingRequest, EmbeddingResponse, StreamChunk,
};

/// How much of an error body is kept for diagnosis.
const BODY_SNIPPET: usize = 2048;

/// The request URLs under a base URL, parsed once.
#[derive(Debug)]
struct EndpointUrls {
    chat: ParsedUrl,
    embeddings: ParsedUrl,
}

impl EndpointUrls {
    /// `None` when the base URL does not parse (the gateway's start-up
    /// check, [`BaseUrl::check`](super::kit::BaseUrl::check), reports it).
    fn parse(base_url: &str) -> Option<Arc<Self>> {
        let base = base_url.trim_end_matches('/');
        let parse = |path: &str| ParsedUrl::parse(&format!("{base}/{path}"));
        Some(Arc::new(Self {
            chat: parse("chat/completions")?,
            embeddings: parse("embeddings")?,
        }))
    }

    fn get(&self, path: &str) -> Option<&ParsedUrl> {
        match path {
            "chat/completions" => Some(&self.chat),
            "embeddings" => Some(&self.embeddings),
            _ => None,
        }
    }
}

/// A decoded upstream answer with the response headers it came with, so a
/// gateway can read its own facts (`x-portkey-*`, `x-litellm-*`).
#[derive(Debug)]
pub struct UpstreamReply<T> {
    /// The decoded body.
    pub body: T,
    /// The response headers.
    pub headers: HeaderMap,
}

/// A client for an OpenAI-compatible API (`POST {base}/chat/completions`,
/// `POST {base}/embeddings`).
///
/// Headers are built once; each request serializes its body once; streams
/// keep each chunk's original bytes. Errors are typed: status, the
/// provider's message and `Retry-After` are kept.
#[derive(Clone, Debug)]
pub struct OpenAiCompatClient {
    provider: Arc<str>,
    base_url: String,
    /// `{base}/chat/completions` and `{base}/embeddings`, parsed once: parsing
    /// a URL per request was 12% of a request's instructions (callgrind).
    urls: Option<Arc<EndpointUrls>>,
    headers: HeaderMap,
    timeout: Option<Duration>,
    http: UpstreamHttp,
    /// Whether the user handed in the reqwest client (kept across base URL changes).
    custom_http: bool,
}

impl OpenAiCompatClient {
    /// A client for `provider` (a name for messages) at `base_url` (e.g. `https://api.openai.com/v1`).
    pub fn new(provider: &str, base_url: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("fastagentic-rs/", env!("CARGO_PKG_VERSION"))),
        );
        Self {
            provider: provider.into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            urls: EndpointUrls::parse(base_url),
            headers,
            timeout: None,
            http: UpstreamHttp::for_base_url(base_url),
            custom_http: false,
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Changes the base URL.
    pub fn set_base_url(&mut self, base_url: &str) {
        self.base_url = base_url.trim_end_matches('/').to_owned();
        self.urls = EndpointUrls::parse(base_url);
        if !self.custom_http {
            self.http = UpstreamHttp::for_base_url(base_url);
        }
    }

    /// Sends `Authorization: Bearer <key>` (marked sensitive, never logged).
    pub fn set_bearer(&mut self, key: &Secret) {
        self.set_secret_header(header::AUTHORIZATION, &format!("Bearer {}", key.expose()));
    }

    /// Sends a header holding a secret (marked sensitive). Invalid values are
    /// dropped here; gateways check secrets first with
    /// [`secret_header`](super::kit::secret_header).
    pub fn set_secret_header(&mut self, name: HeaderName, value: &str) {
        if let Ok(mut value) = HeaderValue::from_str(value) {
            value.set_sensitive(true);
            self.headers.insert(name, value);
        }
    }

    /// Sends a header on every request.
    pub fn set_header(&mut self, name: HeaderName, value: HeaderValue) {
        self.headers.insert(name, value);
    }

    /// Removes a header.
    pub fn remove_header(&mut self, name: &HeaderName) {
        self.headers.remove(name);
    }

    /// The headers sent on every request.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Limits each call: until the whole answer for plain calls, until the
    /// stream opens for streamed ones.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Uses another `reqwest::Client` (proxies, custom TLS) instead of the
    /// client's own pool (hyper's directly for plain HTTP, else reqwest).
    pub fn set_http_client(&mut self, http: reqwest::Client) {
        self.http = UpstreamHttp::Reqwest(http);
        self.custom_http = true;
    }

    /// The provider's name, as used in errors.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// `POST {base}/chat/completions`.
    pub async fn chat(
        &self,
        request: &ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> Result<UpstreamReply<ChatResponse>, GatewayError> {
        self.post_json("chat/completions", request, extra_headers)
            .await
    }

    /// `POST {base}/embeddings`.
    pub async fn embed(
        &self,
        request: &EmbeddingRequest,
        extra_headers: Option<HeaderMap>,
    ) -> Result<UpstreamReply<EmbeddingResponse>, GatewayError> {
        self.post_json("embeddings", request, extra_headers).await
    }

    /// `POST {base}/chat/completions` with `stream: true` (and usage in the
    /// last chunk unless the request says otherwise). Returns once the
    /// upstream answered 2xx; a failure before that is an `Err`, one after
    /// it an `Err` item in the stream.
    pub async fn chat_stream(
        &self,
        mut request: ChatRequest,
        extra_headers: Option<HeaderMap>,
    ) -> Result<(HeaderMap, ChatStream), GatewayError> {
        request.stream = Some(true);
        if request.stream_options.is_none() {
            request.stream_options = Some(serde_json::json!({"include_usage": true}));
        }
        let response = self
            .send("chat/completions", &request, extra_headers)
            .await?;
        let (parts, body) = response.into_parts();
        let chunks = chat_chunks(self.provider.clone(), body.into_data_stream());
        Ok((parts.headers, ChatStream::new(chunks)))
    }

    async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        extra_headers: Option<HeaderMap>,
    ) -> Result<UpstreamReply<T>, GatewayError> {
        let read = async {
            let response = self.send_inner(path, body, extra_headers).await?;
            let (parts, body) = response.into_parts();
            let headers = parts.headers;
            let bytes = body
                .collect()
                .await
                .map_err(|e| self.connection_error(&*e))?
                .to_bytes();
            match serde_json::from_slice::<T>(&bytes) {
                Ok(body) => Ok(UpstreamReply { body, headers }),
                Err(e) => Err(GatewayError::MalformedResponse {
                    provider: self.provider.to_string(),
                    message: e.to_string(),
                    body: snippet(&bytes),
                }),
            }
        };
        self.with_timeout(read).await
    }

    async fn send<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
        extra_headers: Option<HeaderMap>,
    ) -> Result<http::Response<ResponseBody>, GatewayError> {
        self.with_timeout(self.send_inner(path, body, extra_headers))
            .await
    }

    async fn with_timeout<T>(
        &self,
        fut: impl Future<Output = Result<T, GatewayError>>,
    ) -> Result<T, GatewayError> {
        match self.timeout {
            Some(limit) => {
                tokio::time::timeout(limit, fut)
                    .await
                    .unwrap_or(Err(GatewayError::Timeout {
                        provider: self.provider.to_string(),
                        after: limit,
                    }))
            }
            None => fut.await,
        }
    }

    async fn send_inner<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
        extra_headers: Option<HeaderMap>,
    ) -> Result<http::Response<ResponseBody>, GatewayError> {
        let body = serde_json::to_vec(body).map_err(|e| GatewayError::MalformedResponse {
            provider: self.provider.to_string(),
            message: format!("could not encode the request: {e}"),
            body: String::new(),
        })?;
        let mut headers = self.headers.clone();
        if let Some(extra) = extra_headers {
            headers.extend(extra);
        }
        let url = self.urls.as_deref().and_then(|urls| urls.get(path));
        let response = self
            .http
            .post(url, || format!("{}/{path}", self.base_url), headers, body)
            .await
            .map_err(|e| self.connection_error(&*e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(self.upstream_error(response).await)
    }

    fn connection_error(&self, e: &(dyn std::error::Error + 'static)) -> GatewayError {
        super::kit::connection_error(&self.provider, e)
    }

    async fn upstream_error(&self, response: http::Response<ResponseBody>) -> GatewayError {
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let bytes = match response.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        GatewayError::Upstream {
            provider: self.provider.to_string(),
            status,
            message: error_message(&bytes),
            body: snippet(&bytes),
            retry_after,
        }
    }
}

/// Reads `retry-after-ms` or `Retry-After` (in seconds).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let read = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    if let Some(ms) = read("retry-after-ms").filter(|ms| ms.is_finite() && *ms >= 0.0) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    read("retry-after")
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// The provider's own error message: `{"error": {"message"}}`, `{"error": "..."}`,
/// `{"message"}`, Portkey's `{"errors": [...]}` list, or the body's text.
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let candidates = [
            json.pointer("/error/message"),
            json.get("error").filter(|e| e.is_string()),
            json.get("message"),
            json.get("detail"),
        ];
        if let Some(text) = candidates.into_iter().flatten().find_map(|v| v.as_str()) {
            let mut message = text.to_owned();
            if let Some(errors) = json.get("errors").and_then(|e| e.as_array()) {
                let list: Vec<String> = errors
                    .iter()
                    .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                    .collect();
                message.push_str(&format!(" ({})", list.join("; ")));
            }
            return message;
        }
    }
    let text = snippet(body);
    if text.trim().is_empty() {
        "no error message in the response".to_owned()
    } else {
        text
    }
}

fn snippet(bytes: &[u8]) -> String {
    let end = bytes.len().min(BODY_SNIPPET);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

struct ChunkReader<S> {
    body: S,
    decoder: SseDecoder,
    provider: Arc<str>,
    chunks: usize,
    done: bool,
}

/// Turns an SSE body into chat chunks, each kept as its bytes with the few
/// facts a scan reads (see [`StreamChunk`]). The stream must end with
/// `data: [DONE]`; ending without it is reported as an interruption.
fn chat_chunks<S>(
    provider: Arc<str>,
    body: S,
) -> impl Stream<Item = Result<StreamChunk, GatewayError>> + Send
where
    S: Stream<Item = Result<Bytes, HttpError>> + Send + Unpin + 'static,
{
    let reader = ChunkReader {
        body,
        decoder: SseDecoder::default(),
        provider,
        chunks: 0,
        done: false,
    };
    // Boxed: the state moves in and out of each item's future, and a
    // pointer moves cheaper than the reader with its buffer.
    stream::unfold(Box::new(reader), |mut r| async move {
        if r.done {
            return None;
        }
        loop {
            if let Some(data) = r.decoder.next_data() {
                if data.as_ref() == b"[DONE]" {
                    return None;
                }
                let item = r.decode(data);
                r.done = item.is_err();
                return Some((item, r));
            }
            match r.body.next().await {
                Some(Ok(bytes)) => r.decoder.push(&bytes),
                Some(Err(e)) => {
                    let message = format!("connection lost: {e}");
                    return Some((Err(r.interrupted(message)), r));
                }
                None => {
                    let message = if r.decoder.has_partial() {
                        "the stream ended in the middle of an event".to_owned()
                    } else {
                        "the stream ended without `data: [DONE]`".to_owned()
                    };
                    return Some((Err(r.interrupted(message)), r));
                }
            }
        }
    })
}

impl<S> ChunkReader<S> {
    fn interrupted(&mut self, message: String) -> GatewayError {
        self.done = true;
        GatewayError::StreamInterrupted {
            provider: self.provider.to_string(),
            chunks: self.chunks,
            message,
        }
    }

    fn decode(&mut self, data: Bytes) -> Result<StreamChunk, GatewayError> {
        match StreamChunk::from_json_bytes(data.clone()) {
            Ok(chunk) if chunk.is_error() => Err(self.interrupted(error_message(&data))),
            Ok(chunk) => {
                self.chunks += 1;
                Ok(chunk)
            }
            Err(e) => Err(self.interrupted(format!("unreadable chunk ({e}): {}", snippet(&data)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_provider_messages() {
        assert_eq!(
            error_message(br#"{"error":{"message":"bad key","type":"auth"}}"#),
            "bad key"
        );
        assert_eq!(error_message(br#"{"error":"nope"}"#), "nope");
        assert_eq!(
            error_message(br#"{"status":"failure","message":"Invalid config passed","errors":["path: strategy,mode, message: bad"]}"#),
            "Invalid config passed (path: strategy,mode, message: bad)"
        );
        assert_eq!(error_message(b"<html>oops</html>"), "<html>oops</html>");
        assert_eq!(error_message(b""), "no error message in the response");
    }

    #[test]
    fn reads_retry_after() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
    }
}
