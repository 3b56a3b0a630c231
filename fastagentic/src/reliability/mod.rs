//! Reliability: retry, fallback, rate limit, circuit breaker and timeout,
//! each a gateway that wraps gateways, like tower's layers.
//!
//! | piece | one job |
//! |---|---|
//! | [`Retry`] + [`RetryPolicy`] + [`Backoff`] | try a failed call again, on the failures named, after a backoff or `Retry-After` |
//! | [`Fallback`] + [`Target`] | try the next target of an ordered chain (a model, a gateway, or both) |
//! | [`RateLimiter`] + [`RateLimit`] | requests and tokens per minute, waited for or refused with 429 |
//! | [`CircuitBreaker`] + [`BreakerPolicy`] | stop calling a target that keeps failing; probe it after a cool-down |
//! | [`Timeout`] | bound each call, within the request's deadline |
//! | [`ErrorClass`] + [`ErrorFilter`] | which failures a policy names: `rate_limit`, `timeout`, `server_error`, `connection`, status codes |
//!
//! [`ReliableGateway`] assembles them around any gateway in one fixed order,
//! outermost first:
//!
//! ```text
//! RateLimiter                      one budget per gateway: a call is counted once, however often it is retried
//!   Fallback                       primary, then each target in turn
//!     per target:
//!       Retry                      on the same target, before moving on (as Portkey and LiteLLM do)
//!         CircuitBreaker           each attempt is a health sample; open = refuse at once, so
//!                                  retries stop and the chain moves on without waiting
//!           Timeout                per attempt, so a hung attempt can be retried
//!             the target's gateway
//! ```
//!
//! Any other order can be built by nesting the pieces by hand:
//!
//! ```no_run
//! use std::time::Duration;
//! use fastagentic::OpenAiGateway;
//! use fastagentic::reliability::{Fallback, RateLimit, RateLimiter, Retry, RetryPolicy, Target, Timeout};
//!
//! # fn main() -> Result<(), fastagentic::Error> {
//! // A per-provider quota under the chain, and a different retry policy per target.
//! let openai = RateLimiter::new(
//!     Retry::new(OpenAiGateway::from_env()?, RetryPolicy::new(3)),
//!     RateLimit::new().requests_per_minute(500),
//! );
//! let local = Timeout::new(
//!     OpenAiGateway::new("sk-local").base_url("http://127.0.0.1:11434/v1"),
//!     Duration::from_secs(60),
//! );
//! let chain = Fallback::new(openai).then(Target::gateway(local).with_model("llama3.1"));
//! # let _ = chain; Ok(()) }
//! ```
//!
//! The whole story, with examples, is in `docs/reliability.md`.
//!
//! ## What an answer says
//! Answers carry `gateway_metadata["fastagentic"]` ([`METADATA_KEY`]), which
//! the `LlmClient` copies into `HookContext::metadata` for `on_llm_end`:
//! `attempts` (calls made to the target that answered, from [`Retry`]) and,
//! with a fallback chain, `target_index` (0 is the primary), `model` (what
//! that target was asked for) and `failed` (the targets that failed before,
//! with their error type and status).
//!
//! ## Streams
//! A stream that fails before its first chunk is retried and falls back like
//! a failed call: nothing has reached the caller yet. One that fails later
//! passes the error through; a streaming endpoint ends its SSE with an
//! `event: error`. Timeouts bound a stream until its first chunk.
//!
//! ## Hooks
//! Each retry is reported, before its wait, to the call's [`CallObserver`]
//! (see [`CallContext::with_observer`](crate::CallContext::with_observer)).
//! An app's LLM client installs one that runs the `on_retry` hooks with
//! `attempt`, `error`, `next_delay` and `model` filled in. Fallbacks are
//! reported the same way ([`GatewayEvent::Fallback`]); hooks do not run for them.

mod backoff;
mod circuit_breaker;
pub(crate) mod clock;
mod error_class;
pub(crate) mod events;
mod fallback;
mod limit_by;
mod override_params;
mod rate_limit;
mod reliable;
mod retry;
mod timeout;

use std::time::Duration;

pub use backoff::{Backoff, BackoffKind};
pub use circuit_breaker::{BreakerPolicy, CircuitBreaker, CircuitState, CircuitView};
pub use error_class::{ErrorClass, ErrorFilter};
pub(crate) use events::Both;
pub use events::{CallObserver, FallbackEvent, GatewayEvent, RetryEvent};
pub use fallback::{Fallback, Target};
pub use limit_by::LimitBy;
pub use override_params::Override;
pub use rate_limit::{LimiterView, RateLimit, RateLimiter, WhenLimited, WhenStoreDown};
pub use reliable::ReliableGateway;
pub use retry::{Retry, RetryPolicy};
pub use timeout::Timeout;

/// The key of the reliability layer's section in `gateway_metadata` and
/// `HookContext::metadata`.
pub const METADATA_KEY: &str = "fastagentic";

/// A duration in whole milliseconds as the shared rules take it; anything
/// above zero counts as at least 1 ms.
pub(crate) fn millis(duration: Duration) -> u64 {
    if duration.is_zero() {
        return 0;
    }
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use fastagentic_rules::reliability as rules;

    use super::*;

    /// The runtime's start-up checks give the verdicts (and messages) of the
    /// rules the macros apply to literals.
    #[test]
    fn runtime_checks_agree_with_the_shared_rules() {
        for attempts in [0u32, 1, 3, 20, 21, 1000] {
            let runtime = RetryPolicy::new(attempts).check();
            assert_eq!(
                runtime,
                rules::check_retry_attempts(u64::from(attempts)),
                "{attempts}"
            );
        }
        for (initial, max) in [(0, 0), (100, 2_000), (500, 100), (1, 600_001)] {
            let backoff =
                Backoff::exponential(Duration::from_millis(initial), Duration::from_millis(max));
            assert_eq!(
                RetryPolicy::new(3).backoff(backoff).check(),
                rules::check_delays(initial, max),
                "{initial} {max}"
            );
        }
        for rpm in [0u32, 1, 60] {
            assert_eq!(
                RateLimit::new().requests_per_minute(rpm).check(),
                rules::check_rate(u64::from(rpm))
            );
        }
        for (threshold, window) in [(0u32, 1_000u64), (5, 0), (5, 60_000), (1, 3_600_001)] {
            let policy = BreakerPolicy::new(threshold, Duration::from_millis(window));
            assert_eq!(
                policy.check(),
                rules::check_breaker(u64::from(threshold), window),
                "{threshold} {window}"
            );
        }
    }

    #[test]
    fn sub_millisecond_durations_count_as_positive() {
        assert_eq!(millis(Duration::ZERO), 0);
        assert_eq!(millis(Duration::from_micros(10)), 1);
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
    }
}
