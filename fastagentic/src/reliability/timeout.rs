//! A limit on each call, within the request's deadline.

use std::time::{Duration, Instant};

use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};

/// Limits each call to `limit`, or to what is left of the request's deadline
/// ([`CallContext::deadline`]) when that is sooner.
///
/// A plain call must answer in time; a stream must deliver its first chunk
/// in time (the rest of it may take as long as it takes). Past the limit the
/// call fails with [`GatewayError::Timeout`] (504), class
/// [`ErrorClass::Timeout`](super::ErrorClass::Timeout).
///
/// ```
/// use std::time::Duration;
/// use fastagentic::DemoGateway;
/// use fastagentic::reliability::Timeout;
/// let gateway = Timeout::new(DemoGateway::new(), Duration::from_secs(30));
/// # let _ = gateway;
/// ```
#[derive(Clone, Debug)]
pub struct Timeout<G> {
    inner: G,
    limit: Duration,
}

impl<G: LlmGateway> Timeout<G> {
    /// Limits each call of `inner` to `limit` (checked at start-up: more than 0).
    pub fn new(inner: G, limit: Duration) -> Self {
        Self { inner, limit }
    }

    /// The limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// The time this call may take: the limit, or less when the deadline is sooner.
    fn budget(&self, call: &CallContext) -> Duration {
        match call.deadline() {
            Some(deadline) => self
                .limit
                .min(deadline.saturating_duration_since(Instant::now())),
            None => self.limit,
        }
    }

    async fn bounded<T>(
        &self,
        call: &CallContext,
        work: impl Future<Output = Result<T, GatewayError>>,
    ) -> Result<T, GatewayError> {
        let budget = self.budget(call);
        let timed_out = || GatewayError::Timeout {
            provider: self.inner.name().to_owned(),
            after: budget,
        };
        if budget.is_zero() {
            return Err(timed_out());
        }
        tokio::time::timeout(budget, work)
            .await
            .unwrap_or_else(|_| Err(timed_out()))
    }
}

impl<G: LlmGateway> Strategy for Timeout<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(self.bounded(call, self.inner.serve(call, request)))
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Timeout(self.limit), &self.inner)
    }

    fn check_options(&self) -> Result<(), String> {
        fastagentic_rules::reliability::check_positive_ms("timeout", super::millis(self.limit))
    }
}
