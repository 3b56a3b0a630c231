//! Where a stream's failure still counts as the call's failure: before its
//! first chunk.
//!
//! A provider may answer `200` and then send nothing usable. Until the first
//! chunk arrives nothing has reached the client, so such a stream can still
//! be retried or fall back; after it, the stream is the client's and its
//! errors pass through (the endpoint ends the SSE with an error event).

use futures_util::{StreamExt, stream};

use crate::gateway::GatewayError;
use crate::llm::ChatStream;

/// Waits for the stream's first chunk. An error before it is returned as
/// the call's error; otherwise the whole stream is returned, the first
/// chunk put back in front, the gateway metadata kept.
pub(crate) async fn first_chunk(mut upstream: ChatStream) -> Result<ChatStream, GatewayError> {
    match upstream.next().await {
        Some(Ok(chunk)) => {
            let metadata = std::mem::take(&mut upstream.gateway_metadata);
            let mut primed = ChatStream::new(stream::once(async { Ok(chunk) }).chain(upstream));
            primed.gateway_metadata = metadata;
            Ok(primed)
        }
        Some(Err(error)) => Err(error),
        None => Ok(upstream),
    }
}
