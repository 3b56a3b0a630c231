//! Server-sent events out: `data: <json>` per event, `data: [DONE]` at the end.

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{StreamExt, stream};
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
pub(crate) fn sse_body(events: AgentStream, cutoff: watch::Receiver<bool>) -> axum::body::Body {
    let frames = stream::unfold(
        (events, cutoff, false),
        |(mut events, mut cutoff, ended)| async move {
            if ended {
                return None;
            }
            let next = tokio::select! {
                biased;
                next = events.next() => next,
                () = reached(&mut cutoff) => Some(Err(AgentError::new(
                    503,
                    "shutting_down",
                    "the server is shutting down and this stream ran past its drain timeout",
                ))),
            };
            match next {
                Some(Ok(json)) => Some((
                    Ok::<_, std::convert::Infallible>(data_frame(&json)),
                    (events, cutoff, false),
                )),
                Some(Err(error)) => {
                    tracing::warn!(error = %error, "stream ended with an error");
                    Some((Ok(error_frame(&error)), (events, cutoff, true)))
                }
                None => Some((
                    Ok(Bytes::from_static(b"data: [DONE]\n\n")),
                    (events, cutoff, true),
                )),
            }
        },
    );
    axum::body::Body::from_stream(frames)
}

/// `event: error` with the error's JSON.
fn error_frame(error: &AgentError) -> Bytes {
    let json = serde_json::to_vec(&error.to_json()).unwrap_or_default();
    let mut frame = BytesMut::from(&b"event: error\n"[..]);
    frame.put_slice(&data_frame(&json));
    frame.freeze()
}
