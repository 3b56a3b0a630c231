//! Trying a failed call again: how often, on which failures, how long to
//! wait in between, and until when.

use std::time::{Duration, Instant};

use super::events::{GatewayEvent, RetryEvent};
use super::{Backoff, ErrorFilter};
use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};

/// When and how a failed call is tried again.
///
/// - `max_attempts` counts the first call: 3 means up to two retries.
/// - Only failures in `retry_on` are retried (default
///   [`ErrorFilter::transient`]: 429, 5xx, unreachable). A 400 or 401, a
///   timeout (unless named), a stream that broke after its first chunk, an
///   open circuit: never.
/// - The wait is the provider's `Retry-After`/`retry-after-ms` when it sent
///   one (up to `max_retry_after`, 60 s by default; asked for longer, the
///   call fails at once), otherwise the [`Backoff`] (default exponential
///   200 ms → 8 s, jitter 0.2).
/// - No attempt starts, and no wait is begun, that would end past the total
///   deadline: the sooner of `total_timeout` (from the first attempt) and
///   the request's deadline ([`CallContext::deadline`]).
///
/// ```
/// use std::time::Duration;
/// use fastagentic::reliability::{Backoff, ErrorClass, ErrorFilter, RetryPolicy};
/// let policy = RetryPolicy::new(4)
///     .backoff(Backoff::exponential(Duration::from_millis(100), Duration::from_secs(2)).jitter(0.5))
///     .retry_on(ErrorFilter::transient().with(ErrorClass::Timeout).status(409))
///     .total_timeout(Duration::from_secs(20));
/// assert!(policy.check().is_ok());
/// assert!(RetryPolicy::new(0).check().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    backoff: Backoff,
    retry_on: ErrorFilter,
    honor_retry_after: bool,
    max_retry_after: Duration,
    total_timeout: Option<Duration>,
}

impl RetryPolicy {
    /// Up to `max_attempts` calls in all (checked at start-up: 1 to 20), with
    /// the defaults above.
    pub const fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            backoff: Backoff::exponential(Duration::from_millis(200), Duration::from_secs(8))
                .jitter(0.2),
            retry_on: ErrorFilter::transient(),
            honor_retry_after: true,
            max_retry_after: Duration::from_secs(60),
            total_timeout: None,
        }
    }

    /// Never retries.
    pub const fn none() -> Self {
        Self::new(1)
    }

    /// Sets the number of calls in all, the first included.
    pub const fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the delays between attempts.
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets the failures that are retried (replacing the default).
    pub fn retry_on(mut self, filter: impl Into<ErrorFilter>) -> Self {
        self.retry_on = filter.into();
        self
    }

    /// Also retries these exact status codes (checked at start-up: 400 to 599).
    pub fn retry_on_status(mut self, codes: impl IntoIterator<Item = u16>) -> Self {
        self.retry_on = self.retry_on.statuses(codes);
        self
    }

    /// Whether to wait what the provider asks for with `Retry-After` instead
    /// of the backoff (default: yes).
    pub const fn honor_retry_after(mut self, honor: bool) -> Self {
        self.honor_retry_after = honor;
        self
    }

    /// The longest `Retry-After` waited out (default 60 s); asked to wait
    /// longer, the call fails at once with the provider's error.
    pub const fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Bounds all attempts and waits together, from the first attempt.
    pub const fn total_timeout(mut self, limit: Duration) -> Self {
        self.total_timeout = Some(limit);
        self
    }

    /// The number of calls in all.
    pub fn attempt_limit(&self) -> u32 {
        self.max_attempts
    }

    /// The failures that are retried.
    pub fn retried_errors(&self) -> &ErrorFilter {
        &self.retry_on
    }

    /// Whether `error` may be retried.
    pub fn should_retry(&self, error: &GatewayError) -> bool {
        self.retry_on.matches(error)
    }

    /// The wait before retry number `retry` (1 for the first) after `error`:
    /// its `Retry-After` when honoured, else the backoff; `None` when the
    /// provider asked for more than `max_retry_after`.
    pub fn delay_for(&self, retry: u32, error: &GatewayError) -> Option<Duration> {
        match error.retry_after() {
            Some(wait) if self.honor_retry_after => (wait <= self.max_retry_after).then_some(wait),
            _ => Some(self.backoff.delay(retry)),
        }
    }

    /// Checks the bounds shared with the macros (`fastagentic_rules::reliability`).
    pub fn check(&self) -> Result<(), String> {
        fastagentic_rules::reliability::check_retry_attempts(u64::from(self.max_attempts))?;
        self.backoff.check()?;
        self.retry_on.check()?;
        if let Some(limit) = self.total_timeout {
            fastagentic_rules::reliability::check_positive_ms(
                "total_timeout",
                super::millis(limit),
            )?;
        }
        Ok(())
    }
}

impl Default for RetryPolicy {
    /// Three attempts, with the defaults of [`RetryPolicy::new`].
    fn default() -> Self {
        Self::new(3)
    }
}

/// A gateway that retries `inner`'s failed calls per a [`RetryPolicy`].
///
/// Streams are retried only while nothing has reached the caller: a stream
/// that fails before its first chunk is retried like a failed call; after
/// it, errors pass through. Each retry is reported to the call's
/// [`CallObserver`](super::CallObserver) (the app's `on_retry` hooks) before
/// its wait. The answer's `gateway_metadata["fastagentic"]["attempts"]`
/// says how many calls it took.
///
/// ```
/// use fastagentic::DemoGateway;
/// use fastagentic::reliability::{Retry, RetryPolicy};
/// let gateway = Retry::new(DemoGateway::new(), RetryPolicy::new(3));
/// # let _ = gateway;
/// ```
#[derive(Clone, Debug)]
pub struct Retry<G> {
    inner: G,
    policy: RetryPolicy,
}

impl<G: LlmGateway> Retry<G> {
    /// Retries `inner` per `policy`.
    pub fn new(inner: G, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Serves `request` until it succeeds, fails for good, or runs out of
    /// attempts or time; records the attempts in the reply's route.
    async fn run(
        &self,
        call: &CallContext,
        request: GatewayRequest,
    ) -> Result<GatewayReply, GatewayError> {
        let started = Instant::now();
        let deadline = match (call.deadline(), self.policy.total_timeout) {
            (Some(a), Some(total)) => Some(a.min(started + total)),
            (a, total) => a.or_else(|| total.map(|t| started + t)),
        };
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            if attempt >= max_attempts {
                let attempt_result = self.inner.serve(call, request);
                let mut reply = self.bounded(deadline, started, attempt_result).await?;
                reply.route.note_attempts(attempt);
                return Ok(reply);
            }
            let attempt_result = self.inner.serve(call, request.clone());
            let error = match self.bounded(deadline, started, attempt_result).await {
                Ok(mut reply) => {
                    reply.route.note_attempts(attempt);
                    return Ok(reply);
                }
                Err(error) => error,
            };
            if !self.policy.should_retry(&error) {
                return Err(error);
            }
            let Some(delay) = self.policy.delay_for(attempt, &error) else {
                return Err(error);
            };
            if deadline.is_some_and(|deadline| Instant::now() + delay >= deadline) {
                return Err(error);
            }
            tracing::warn!(
                gateway = self.inner.name(),
                model = request.model(),
                attempt,
                delay_ms = delay.as_millis() as u64,
                "LLM call failed, retrying: {error}"
            );
            if call.is_observed() {
                let event = RetryEvent {
                    attempt,
                    error,
                    delay,
                    model: request.model().to_owned(),
                    gateway: self.inner.name().to_owned(),
                };
                call.report(GatewayEvent::Retry(event)).await;
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Runs one attempt, cut at the total deadline.
    async fn bounded<T>(
        &self,
        deadline: Option<Instant>,
        started: Instant,
        attempt: impl Future<Output = Result<T, GatewayError>>,
    ) -> Result<T, GatewayError> {
        let Some(deadline) = deadline else {
            return attempt.await;
        };
        let timed_out = || GatewayError::Timeout {
            provider: self.inner.name().to_owned(),
            after: deadline.saturating_duration_since(started),
        };
        if Instant::now() >= deadline {
            return Err(timed_out());
        }
        tokio::time::timeout_at(deadline.into(), attempt)
            .await
            .unwrap_or_else(|_| Err(timed_out()))
    }
}

impl<G: LlmGateway> Strategy for Retry<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(self.run(call, request))
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Retry(&self.policy), &self.inner)
    }

    fn check_options(&self) -> Result<(), String> {
        self.policy
            .check()
            .map_err(|message| format!("retry: {message}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(status: u16, retry_after: Option<Duration>) -> GatewayError {
        GatewayError::Upstream {
            provider: "p".into(),
            status,
            message: String::new(),
            body: String::new(),
            retry_after,
        }
    }

    #[test]
    fn decides_what_to_retry_and_how_long_to_wait() {
        let ms = Duration::from_millis;
        let policy = RetryPolicy::new(3).backoff(Backoff::fixed(ms(10)));
        assert!(policy.should_retry(&upstream(503, None)));
        assert!(policy.should_retry(&upstream(429, None)));
        assert!(!policy.should_retry(&upstream(400, None)));
        assert!(!policy.should_retry(&upstream(401, None)));
        assert_eq!(policy.delay_for(1, &upstream(503, None)), Some(ms(10)));
        assert_eq!(
            policy.delay_for(1, &upstream(429, Some(ms(250)))),
            Some(ms(250))
        );
        assert_eq!(
            policy
                .clone()
                .honor_retry_after(false)
                .delay_for(1, &upstream(429, Some(ms(250)))),
            Some(ms(10))
        );
        assert_eq!(
            policy
                .clone()
                .max_retry_after(ms(100))
                .delay_for(1, &upstream(429, Some(ms(250)))),
            None
        );
        assert!(
            policy
                .clone()
                .retry_on_status([400])
                .should_retry(&upstream(400, None))
        );
        assert!(policy.check().is_ok());
        assert!(policy.clone().max_attempts(21).check().is_err());
        assert!(
            policy
                .clone()
                .total_timeout(Duration::ZERO)
                .check()
                .is_err()
        );
    }
}
