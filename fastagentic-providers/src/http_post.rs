//! [`Poster`]: the HTTP side shared by the adapters' transports. Headers are
//! built once; each request serializes its body once; a non-2xx answer
//! becomes a typed [`GatewayError::Upstream`] whose message the provider's
//! own error reader finds.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fastagentic::GatewayError;
use fastagentic::gateway::kit::{SseEvents, retry_after};
use futures_util::{Stream, StreamExt, stream};
use http::{HeaderMap, HeaderValue, header};

/// How much of a body is kept in errors.
const BODY_SNIPPET: usize = 2048;

/// Reads a provider's error message (and, when the body names one, its
/// error type) from an error body.
pub(crate) type ErrorReader = fn(&[u8]) -> Option<String>;

/// Sends JSON to a provider's URLs.
#[derive(Clone, Debug)]
pub(crate) struct Poster {
    provider: Arc<str>,
    headers: HeaderMap,
    timeout: Option<Duration>,
    http: reqwest::Client,
    read_error: ErrorReader,
}

impl Poster {
    /// A poster for `provider` whose error bodies `read_error` understands.
    pub(crate) fn new(provider: &str, read_error: ErrorReader) -> Self {
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
            headers,
            timeout: None,
            http: reqwest::Client::builder()
                .pool_idle_timeout(Duration::from_secs(90))
                .tcp_nodelay(true)
                .build()
                .unwrap_or_default(),
            read_error,
        }
    }

    pub(crate) fn provider(&self) -> &str {
        &self.provider
    }

    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub(crate) fn provider_arc(&self) -> Arc<str> {
        self.provider.clone()
    }

    pub(crate) fn set_header(&mut self, name: header::HeaderName, value: HeaderValue) {
        self.headers.insert(name, value);
    }

    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    pub(crate) fn set_http_client(&mut self, http: reqwest::Client) {
        self.http = http;
    }

    /// `POST url` with `body`; the 2xx answer's headers and whole body.
    pub(crate) async fn post(
        &self,
        url: &reqwest::Url,
        body: &serde_json::Value,
        extra: Option<HeaderMap>,
    ) -> Result<(HeaderMap, Bytes), GatewayError> {
        let read = async {
            let response = self.send(url, body, extra).await?;
            let headers = response.headers().clone();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| self.connection_error(&e))?;
            Ok((headers, bytes))
        };
        self.within_timeout(read).await
    }

    /// `POST url` with `body`, answered 2xx; the body left to stream.
    pub(crate) async fn open(
        &self,
        url: &reqwest::Url,
        body: &serde_json::Value,
        extra: Option<HeaderMap>,
    ) -> Result<reqwest::Response, GatewayError> {
        self.within_timeout(self.send(url, body, extra)).await
    }

    /// A 2xx body that is not what the API promises.
    pub(crate) fn malformed(&self, message: impl Into<String>, body: &[u8]) -> GatewayError {
        GatewayError::MalformedResponse {
            provider: self.provider.to_string(),
            message: message.into(),
            body: snippet(body),
        }
    }

    async fn within_timeout<T>(
        &self,
        work: impl Future<Output = Result<T, GatewayError>>,
    ) -> Result<T, GatewayError> {
        match self.timeout {
            Some(after) => tokio::time::timeout(after, work).await.unwrap_or_else(|_| {
                Err(GatewayError::Timeout {
                    provider: self.provider.to_string(),
                    after,
                })
            }),
            None => work.await,
        }
    }

    async fn send(
        &self,
        url: &reqwest::Url,
        body: &serde_json::Value,
        extra: Option<HeaderMap>,
    ) -> Result<reqwest::Response, GatewayError> {
        let bytes = serde_json::to_vec(body).map_err(|e| GatewayError::MalformedResponse {
            provider: self.provider.to_string(),
            message: format!("could not encode the request: {e}"),
            body: String::new(),
        })?;
        let mut headers = self.headers.clone();
        if let Some(extra) = extra {
            headers.extend(extra);
        }
        let response = self
            .http
            .post(url.clone())
            .headers(headers)
            .body(bytes)
            .send()
            .await
            .map_err(|e| self.connection_error(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.unwrap_or_default();
        Err(GatewayError::Upstream {
            provider: self.provider.to_string(),
            status,
            message: (self.read_error)(&bytes).unwrap_or_else(|| fallback_message(&bytes)),
            body: snippet(&bytes),
            retry_after,
        })
    }

    fn connection_error(&self, e: &reqwest::Error) -> GatewayError {
        fastagentic::gateway::kit::connection_error(&self.provider, e)
    }
}

/// The body's text as the message when the provider's reader found none.
fn fallback_message(body: &[u8]) -> String {
    let text = snippet(body);
    if text.trim().is_empty() {
        "no error message in the response".to_owned()
    } else {
        text
    }
}

/// The start of a body, for errors.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let end = bytes.len().min(BODY_SNIPPET);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The `data:` payloads of a streamed body, then `Ok(None)` once at its end;
/// a broken connection is an `Err` with what failed.
pub(crate) fn sse_data(
    response: reqwest::Response,
) -> impl Stream<Item = Result<Option<Bytes>, String>> + Send + Unpin {
    struct State<S> {
        body: S,
        events: SseEvents,
        ended: bool,
    }
    let state = State {
        body: Box::pin(response.bytes_stream()),
        events: SseEvents::default(),
        ended: false,
    };
    Box::pin(stream::unfold(state, |mut state| async move {
        if state.ended {
            return None;
        }
        loop {
            if let Some(data) = state.events.next_data() {
                return Some((Ok(Some(data)), state));
            }
            match state.body.next().await {
                Some(Ok(bytes)) => state.events.push(&bytes),
                Some(Err(e)) => {
                    state.ended = true;
                    return Some((Err(format!("connection lost: {e}")), state));
                }
                None => {
                    state.ended = true;
                    let item = if state.events.has_partial() {
                        Err("the stream ended in the middle of an event".to_owned())
                    } else {
                        Ok(None)
                    };
                    return Some((item, state));
                }
            }
        }
    }))
}
