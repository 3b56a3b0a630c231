//! `ReliableGateway`: the built-in reliability pieces around any gateway, in
//! one documented order.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{
    BreakerPolicy, CircuitBreaker, CircuitState, ErrorFilter, Fallback, Override, RateLimit,
    RateLimiter, Retry, RetryPolicy, Target, Timeout,
};
use crate::cache::CacheLayer;
use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};

/// Any gateway made reliable: cache, retry, fallback chain, rate limit,
/// circuit breaker and timeout, each optional, assembled in this order
/// (outermost first):
///
/// 0. A cache ([`CacheLayer`]: exact or semantic); a hit calls nothing below.
/// 1. [`RateLimiter`]: one budget for the whole gateway; a call counts once
///    however often it is retried or falls back.
/// 2. [`Fallback`]: the primary (this gateway, the request's model), then
///    each [`Target`] in turn.
/// 3. Per target: [`Retry`] (on the same target before moving on), then a
///    [`CircuitBreaker`] per target (every attempt is a health sample; an
///    open circuit refuses at once, which ends the retries and moves the
///    chain on), then a [`Timeout`] per attempt.
///
/// ```no_run
/// use std::time::Duration;
/// use fastagentic::prelude::*;
/// use fastagentic::reliability::{BreakerPolicy, RateLimit, ReliableGateway, RetryPolicy, Target};
///
/// # fn main() -> Result<(), fastagentic::Error> {
/// let gateway = ReliableGateway::new(OpenAiGateway::from_env()?)
///     .retry(RetryPolicy::new(3))
///     .fallback([
///         Target::model("gpt-4o-mini"),
///         Target::gateway(OpenAiGateway::new("sk-other").base_url("http://127.0.0.1:4000/v1"))
///             .with_model("claude-3-5-haiku"),
///     ])
///     .circuit_breaker(BreakerPolicy::new(5, Duration::from_secs(60)))
///     .rate_limit(RateLimit::new().requests_per_minute(600).tokens_per_minute(200_000))
///     .timeout(Duration::from_secs(30));
/// let app = App::new("Reliable agent").llm_gateway(gateway);
/// # let _ = app; Ok(()) }
/// ```
///
/// The pieces are built once, at the app's start-up check (or the first
/// call), and shared by every call: breakers and rate limits hold their
/// state across requests.
pub struct ReliableGateway {
    primary: Arc<dyn LlmGateway>,
    retry: Option<RetryPolicy>,
    fallbacks: Vec<Target>,
    fallback_on: ErrorFilter,
    rate_limit: Option<RateLimit>,
    breaker: Option<BreakerPolicy>,
    timeout: Option<Duration>,
    cache: Option<CacheLayer>,
    built: OnceLock<Built>,
}

/// The assembled tree.
struct Built {
    tree: Arc<dyn LlmGateway>,
}

impl std::fmt::Debug for ReliableGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReliableGateway")
            .field("primary", &self.primary.name())
            .field("retry", &self.retry)
            .field("fallbacks", &self.fallbacks)
            .field("fallback_on", &self.fallback_on)
            .field("rate_limit", &self.rate_limit)
            .field("circuit_breaker", &self.breaker)
            .field("timeout", &self.timeout)
            .field("cache", &self.cache)
            .finish()
    }
}

impl ReliableGateway {
    /// `primary` with no reliability yet; add pieces with the methods below.
    pub fn new<G: LlmGateway>(primary: G) -> Self {
        Self {
            primary: crate::gateway::shared(primary),
            retry: None,
            fallbacks: Vec::new(),
            fallback_on: ErrorFilter::transient().with(super::ErrorClass::Timeout),
            rate_limit: None,
            breaker: None,
            timeout: None,
            cache: None,
            built: OnceLock::new(),
        }
    }

    /// Retries each target per `policy`.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self.rebuilt()
    }

    /// Tries these targets, in order, after the primary fails.
    pub fn fallback<I: IntoIterator<Item = Target>>(mut self, targets: I) -> Self {
        self.fallbacks.extend(targets);
        self.rebuilt()
    }

    /// The failures that move on to the next target (default
    /// [`ErrorFilter::transient`] plus timeouts; an open circuit and an
    /// unreadable answer always move on).
    pub fn fallback_on(mut self, filter: impl Into<ErrorFilter>) -> Self {
        self.fallback_on = filter.into();
        self.rebuilt()
    }

    /// Holds the whole gateway to `limit`.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self.rebuilt()
    }

    /// Gives each target its own circuit breaker following `policy`.
    pub fn circuit_breaker(mut self, policy: BreakerPolicy) -> Self {
        self.breaker = Some(policy);
        self.rebuilt()
    }

    /// Bounds each attempt (a stream: until its first chunk) to `per_call`.
    pub fn timeout(mut self, per_call: Duration) -> Self {
        self.timeout = Some(per_call);
        self.rebuilt()
    }

    /// Answers from a cache, exact or semantic, in front of everything
    /// else: a hit spends no rate-limit budget and calls no target.
    pub fn cache(mut self, cache: CacheLayer) -> Self {
        self.cache = Some(cache);
        self.rebuilt()
    }

    /// Each target's circuit and its state, primary first (empty without a breaker).
    /// Targets are named `target <index>: <gateway>[/<model>]`.
    pub fn circuit_states(&self) -> Vec<(String, CircuitState)> {
        let mut states = Vec::new();
        crate::gateway::walk(self, &mut |_, kind| {
            if let NodeKind::CircuitBreaker(view) = kind {
                states.push((view.target().to_owned(), view.state()));
            }
        });
        states
    }

    /// The retry policy every target gets, if any.
    pub fn retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }

    fn rebuilt(mut self) -> Self {
        self.built = OnceLock::new();
        self
    }

    fn built(&self) -> &Built {
        self.built.get_or_init(|| self.assemble())
    }

    /// Wraps one target in its timeout, breaker and retry, outermost last;
    /// a target with its own model asks for it above all of them.
    fn arm(&self, index: usize, target: &Target) -> Arc<dyn LlmGateway> {
        let gateway = target
            .own_gateway()
            .cloned()
            .unwrap_or_else(|| self.primary.clone());
        let model = target.model_name();
        let mut wrapped = gateway.clone();
        if let Some(limit) = self.timeout {
            wrapped = Arc::new(Timeout::new(wrapped, limit));
        }
        if let Some(policy) = &self.breaker {
            let label = match model {
                Some(model) => format!("target {index}: {}/{model}", gateway.name()),
                None => format!("target {index}: {}", gateway.name()),
            };
            wrapped = Arc::new(CircuitBreaker::new(wrapped, policy.clone()).target(label));
        }
        if let Some(policy) = &self.retry {
            wrapped = Arc::new(Retry::new(wrapped, policy.clone()));
        }
        match model {
            Some(model) => Arc::new(Override::model(wrapped, model)),
            None => wrapped,
        }
    }

    fn assemble(&self) -> Built {
        let primary = Target::gateway(self.primary.clone());
        let mut targets = vec![self.arm(0, &primary)];
        for (i, target) in self.fallbacks.iter().enumerate() {
            targets.push(self.arm(i + 1, target));
        }
        let mut tree: Arc<dyn LlmGateway> = if targets.len() > 1 {
            Arc::new(Fallback::chain(targets).fallback_on(self.fallback_on.clone()))
        } else {
            targets.remove(0)
        };
        if let Some(limit) = &self.rate_limit {
            tree = Arc::new(RateLimiter::new(tree, limit.clone()));
        }
        if let Some(cache) = &self.cache {
            tree = cache.wrap(tree);
        }
        Built { tree }
    }

    fn check_reliability_options(&self) -> Result<(), String> {
        if let Some(policy) = &self.retry {
            policy.check().map_err(|m| format!("retry: {m}"))?;
        }
        for (i, target) in self.fallbacks.iter().enumerate() {
            target.check(i + 1)?;
        }
        self.fallback_on
            .check()
            .map_err(|m| format!("fallback_on: {m}"))?;
        if let Some(limit) = &self.rate_limit {
            limit.check().map_err(|m| format!("rate limit: {m}"))?;
        }
        if let Some(policy) = &self.breaker {
            policy
                .check()
                .map_err(|m| format!("circuit breaker: {m}"))?;
        }
        if let Some(limit) = self.timeout {
            fastagentic_rules::reliability::check_positive_ms("timeout", super::millis(limit))?;
        }
        Ok(())
    }
}

impl Strategy for ReliableGateway {
    fn name(&self) -> &str {
        self.primary.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        self.built().tree.serve(call, request)
    }

    fn node(&self) -> Node<'_> {
        Node::wrapping(NodeKind::Strategy("reliable"), self.built().tree.as_ref())
    }

    /// Every option against the shared rules; then the tree (the primary's
    /// and each target's own gateway among it).
    fn check_options(&self) -> Result<(), String> {
        self.check_reliability_options()
    }
}
