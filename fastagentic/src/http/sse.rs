//! Server-sent events out: `data: <json>` per event, `data: [DONE]` at the end.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::sync::watch;

use super::stream_cutoff::reached;
use crate::endpoint::AgentStream;
use crate::error::AgentError;

fn data_frame(json: &[u8]) -> Bytes {
    let mut frame = BytesMut::with_capacity(json.len() + 8);
    frame.put_slice(b"data: ");
    frame.put_slice(json);
    frame.put_slice(b"\n\n");
    frame.freeze()
}

/// Frames a stream as SSE. After an error the stream ends with an
/// `event: error` frame instead of `[DONE]`; so it does when `cutoff` is set
/// (the drain timeout ran out during shutdown).
pub(crate) fn sse_body(events: AgentStream, mut cutoff: watch::Receiver<bool>) -> axum::body::Body {
    axum::body::Body::from_stream(SseFrames {
        events,
        cutoff: Box::pin(async move { reached(&mut cutoff).await }),
        ended: false,
    })
}

/// The frames of one stream. The cut-off is one future for the whole
/// stream: waiting for it afresh for every event registered and dropped a
/// waiter on the cut-off's channel each time (callgrind: about 400
/// instructions an event).
struct SseFrames {
    events: AgentStream,
    cutoff: Pin<Box<dyn Future<Output = ()> + Send>>,
    ended: bool,
}

impl Stream for SseFrames {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        // The events first: one that is ready goes out even once cut.
        let frame = match self.events.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(json))) => return Poll::Ready(Some(Ok(data_frame(&json)))),
            Poll::Ready(Some(Err(error))) => {
                tracing::warn!(error = %error, "stream ended with an error");
                error_frame(&error)
            }
            Poll::Ready(None) => Bytes::from_static(b"data: [DONE]\n\n"),
            Poll::Pending => {
                if self.cutoff.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                error_frame(&AgentError::new(
                    503,
                    "shutting_down",
                    "the server is shutting down and this stream ran past its drain timeout",
                ))
            }
        };
        self.ended = true;
        Poll::Ready(Some(Ok(frame)))
    }
}

/// `event: error` with the error's JSON.
fn error_frame(error: &AgentError) -> Bytes {
    let json = serde_json::to_vec(&error.to_json()).unwrap_or_default();
    let mut frame = BytesMut::from(&b"event: error\n"[..]);
    frame.put_slice(&data_frame(&json));
    frame.freeze()
}
