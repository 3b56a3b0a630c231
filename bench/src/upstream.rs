//! The fast upstream: an OpenAI-compatible chat-completions server that
//! answers every request with a fixed body, built on hyper alone.
//!
//! - A request whose body says `"stream": true` gets server-sent events:
//!   [`STREAM_CHUNKS`] content chunks, the first at once and then one every
//!   [`CHUNK_INTERVAL`] (on a fixed schedule from the request, so a late
//!   chunk does not push the later ones back), then a usage chunk and
//!   `data: [DONE]`.
//! - Any other POST gets a fixed `chat.completion` JSON.
//! - `GET /requests` answers the number of POSTs served so far (how the
//!   harness checks that cache hits never reach the upstream).
//! - Any other `GET` answers `ok` (readiness).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, stream};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Either, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::time::Instant;

/// Content chunks per streamed answer.
pub const STREAM_CHUNKS: usize = 20;
/// The time between two content chunks.
pub const CHUNK_INTERVAL: Duration = Duration::from_millis(100);

/// The fixed non-streamed answer.
pub const COMPLETION: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"billing"},"finish_reason":"stop"}],"usage":{"prompt_tokens":21,"completion_tokens":1,"total_tokens":22}}"#;

type Frames = Pin<Box<dyn Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>;
type Body = Either<Full<Bytes>, StreamBody<Frames>>;

/// The pre-encoded answers, shared by every connection.
struct Answers {
    /// POSTs received.
    requests: AtomicU64,
    completion: Bytes,
    /// `data: <chunk>\n\n` per content chunk; the last one also carries the
    /// usage chunk and `data: [DONE]`.
    frames: Vec<Bytes>,
}

impl Answers {
    fn new(chunks: usize) -> Self {
        let frames = (0..chunks)
            .map(|i| {
                let last = i + 1 == chunks;
                let finish = if last { r#""stop""# } else { "null" };
                let mut frame = format!(
                    "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"tok{i} \"}},\"finish_reason\":{finish}}}]}}\n\n"
                );
                if last {
                    frame.push_str(&format!(
                        "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{{\"prompt_tokens\":21,\"completion_tokens\":{chunks},\"total_tokens\":{}}}}}\n\ndata: [DONE]\n\n",
                        21 + chunks
                    ));
                }
                Bytes::from(frame)
            })
            .collect();
        Self {
            requests: AtomicU64::new(0),
            completion: Bytes::from_static(COMPLETION.as_bytes()),
            frames,
        }
    }
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: TcpListener, interval: Duration, chunks: usize) {
    let answers = Arc::new(Answers::new(chunks));
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let _ = socket.set_nodelay(true);
        let answers = answers.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(answers.clone(), interval, request));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}

async fn answer(
    answers: Arc<Answers>,
    interval: Duration,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let received = Instant::now();
    if request.method() != Method::POST {
        let body = if request.uri().path() == "/requests" {
            Bytes::from(answers.requests.load(Ordering::Relaxed).to_string())
        } else {
            Bytes::from_static(b"ok")
        };
        return Ok(Response::new(Either::Left(Full::new(body))));
    }
    answers.requests.fetch_add(1, Ordering::Relaxed);
    let body = match Limited::new(request.into_body(), 1 << 20).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(response);
        }
    };
    if !wants_stream(&body) {
        let mut response = Response::new(Either::Left(Full::new(answers.completion.clone())));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(response);
    }
    let frames: Frames = Box::pin(stream::unfold(0usize, move |i| {
        let answers = answers.clone();
        async move {
            let frame = answers.frames.get(i)?.clone();
            let due = received + interval * u32::try_from(i).unwrap_or(u32::MAX);
            tokio::time::sleep_until(due).await;
            Some((Ok(Frame::data(frame)), i + 1))
        }
    }));
    let mut response = Response::new(Either::Right(StreamBody::new(frames)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Whether a JSON body has `"stream": true` (a byte search: parsing every
/// body would slow the direct path down for nothing).
fn wants_stream(body: &[u8]) -> bool {
    const KEY: &[u8] = b"\"stream\"";
    let mut rest = body;
    while let Some(at) = find(rest, KEY) {
        let after = &rest[at + KEY.len()..];
        let value = after
            .iter()
            .position(|b| !b.is_ascii_whitespace() && *b != b':')
            .map_or(&[][..], |start| &after[start..]);
        if value.starts_with(b"true") {
            return true;
        }
        rest = after;
    }
    false
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_stream_requests() {
        assert!(wants_stream(br#"{"model":"m","stream":true}"#));
        assert!(wants_stream(br#"{"stream" : true, "model":"m"}"#));
        assert!(!wants_stream(br#"{"model":"m","stream":false}"#));
        assert!(!wants_stream(br#"{"model":"m"}"#));
        assert!(wants_stream(
            br#"{"stream_options":{"include_usage":true},"stream":true}"#
        ));
    }

    #[test]
    fn frames_end_with_usage_and_done() {
        let answers = Answers::new(3);
        assert_eq!(answers.frames.len(), 3);
        let last = std::str::from_utf8(&answers.frames[2]).unwrap();
        assert!(last.contains(r#""finish_reason":"stop""#));
        assert!(last.contains(r#""total_tokens":24"#));
        assert!(last.ends_with("data: [DONE]\n\n"));
        let first: serde_json::Value =
            serde_json::from_str(std::str::from_utf8(&answers.frames[0]).unwrap()[6..].trim())
                .unwrap();
        assert_eq!(first["choices"][0]["delta"]["content"], "tok0 ");
        let _: serde_json::Value = serde_json::from_str(COMPLETION).unwrap();
    }
}
