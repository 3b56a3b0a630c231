//! Server-sent events out: `data: <json>` per event, `data: [DONE]` at the end.

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::{StreamExt, stream};

use crate::endpoint::AgentStream;

fn data_frame(json: &[u8]) -> Bytes {
    let mut frame = BytesMut::with_capacity(json.len() + 8);
    frame.put_slice(b"data: ");
    frame.put_slice(json);
    frame.put_slice(b"\n\n");
    frame.freeze()
}

/// Frames a stream as SSE. After an error the stream ends with an
/// `event: error` frame instead of `[DONE]`.
pub(crate) fn sse_body(events: AgentStream) -> axum::body::Body {
    let frames = stream::unfold((events, false), |(mut events, ended)| async move {
        if ended {
            return None;
        }
        match events.next().await {
            Some(Ok(json)) => Some((
                Ok::<_, std::convert::Infallible>(data_frame(&json)),
                (events, false),
            )),
            Some(Err(error)) => {
                tracing::warn!(error = %error, "stream ended with an error");
                let json = serde_json::to_vec(&error.to_json()).unwrap_or_default();
                let mut frame = BytesMut::from(&b"event: error\n"[..]);
                frame.put_slice(&data_frame(&json));
                Some((Ok(frame.freeze()), (events, true)))
            }
            None => Some((Ok(Bytes::from_static(b"data: [DONE]\n\n")), (events, true))),
        }
    });
    axum::body::Body::from_stream(frames)
}
