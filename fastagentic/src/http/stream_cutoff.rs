//! The drain timeout as open streams see it: when shutdown has waited as
//! long as it may, every stream still open ends with an SSE error event,
//! so its client reads why it ended instead of a cut connection.

use std::sync::Arc;

use tokio::sync::watch;

/// Set once, when the drain timeout runs out; read by every SSE body.
#[derive(Clone, Debug)]
pub(crate) struct StreamCutoff(Arc<watch::Sender<bool>>);

impl Default for StreamCutoff {
    fn default() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }
}

impl StreamCutoff {
    /// Tells every open stream to end now.
    pub(crate) fn cut(&self) {
        self.0.send_replace(true);
    }

    /// What one stream watches.
    pub(crate) fn watch(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }
}

/// Completes when `cutoff` is set; never if the server is gone without
/// setting it.
pub(crate) async fn reached(cutoff: &mut watch::Receiver<bool>) {
    if cutoff.wait_for(|cut| *cut).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_sees_the_cut_made_after_it_started_watching() {
        let cutoff = StreamCutoff::default();
        let mut watching = cutoff.watch();
        let waiter = tokio::spawn(async move { reached(&mut watching).await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        cutoff.cut();
        waiter.await.expect("reached after the cut");
    }
}
