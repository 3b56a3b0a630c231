//! Requests per minute and tokens per minute, waited for (bounded) or
//! refused at once with 429 and `Retry-After`.
//!
//! Both limits are buckets that hold a minute's worth and refill
//! continuously (the generic cell rate algorithm), each kept in one atomic
//! "theoretical arrival time": a call reserves its slot with one
//! compare-and-swap, and a waiting call sleeps until its own slot, so
//! there is no lock and no queue.
//!
//! Given a shared store (Redis, feature `redis`), the same algorithm runs in
//! Redis as one script per call, so every replica spends one budget; the
//! local buckets take over whenever Redis does not answer in time (or the
//! call is refused, for a limit told to fail closed).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::clock::{nanos, now_nanos};
use super::limit_by::{LimitBy, Part};
use crate::gateway::{
    Answer, BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node,
    NodeKind, Strategy,
};
use crate::llm::{ChatStream, Usage};
use crate::store::{SharedPiece, SharedStore};

const MINUTE: u64 = 60_000_000_000;

/// What a limited call does when the limit is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenLimited {
    /// Fail at once with [`GatewayError::RateLimited`]: 429 with `Retry-After`.
    FailFast,
    /// Wait for a slot, up to this long (and never past the request's
    /// deadline); a call that would wait longer fails as with `FailFast`.
    Wait(Duration),
}

/// Requests per minute and/or tokens per minute.
///
/// - Requests are counted when a call starts. The bucket holds `burst`
///   calls (default: a minute's worth) and refills evenly: with 60 per
///   minute and a burst of 10, ten calls go at once, then one a second.
/// - Tokens are counted from the usage each answer reports (a stream's last
///   chunk), after the call: a call starts while the minute's token budget
///   is not spent, and its tokens are charged when it ends. Concurrent calls
///   can therefore overshoot the budget by what they use; the calls after
///   them wait (or are refused) until it is paid back. Answers without usage
///   cost nothing.
/// - By default a limited call fails fast; [`wait`](Self::wait) makes it
///   wait, bounded.
///
/// ```
/// use std::time::Duration;
/// use fastagentic::reliability::RateLimit;
/// let limit = RateLimit::new()
///     .requests_per_minute(600)
///     .burst(20)
///     .tokens_per_minute(90_000)
///     .wait(Duration::from_secs(2));
/// assert!(limit.check().is_ok());
/// assert!(RateLimit::new().requests_per_minute(0).check().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimit {
    requests_per_minute: Option<u32>,
    tokens_per_minute: Option<u64>,
    burst: Option<u32>,
    when_limited: WhenLimited,
    when_store_down: WhenStoreDown,
    limit_by: LimitBy,
}

/// What a limit with a shared store does while the store does not answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenStoreDown {
    /// Holds each replica to the whole limit on its own (the default: fail
    /// open to local limits, so requests keep flowing; the replicas together
    /// may admit up to their number times the limit until the store is back).
    #[default]
    LocalLimit,
    /// Refuses every call with 429 until the store answers again (fail closed).
    Refuse,
}

impl RateLimit {
    /// No limit yet; add one with [`requests_per_minute`](Self::requests_per_minute)
    /// or [`tokens_per_minute`](Self::tokens_per_minute).
    pub const fn new() -> Self {
        Self {
            requests_per_minute: None,
            tokens_per_minute: None,
            burst: None,
            when_limited: WhenLimited::FailFast,
            when_store_down: WhenStoreDown::LocalLimit,
            limit_by: LimitBy::Whole,
        }
    }

    /// One budget per user ([`CallContext::user_id`], as an auth layer or
    /// an `on_request` hook sets it) instead of one for every call; calls
    /// without a user share one. Shared through the app's store like any
    /// limit, each user's budget under the sha256 of their id.
    pub fn per_user(mut self) -> Self {
        self.limit_by = LimitBy::User;
        self
    }

    /// One budget per value of the request-metadata entry `name` (e.g. the
    /// caller's API key, or its id, as an auth hook sets it); calls without
    /// the entry share one. The value is hashed (sha256) before it names
    /// anything: a key is never kept, logged or sent to Redis as such.
    pub fn per_metadata(mut self, name: impl Into<String>) -> Self {
        self.limit_by = LimitBy::Metadata(name.into());
        self
    }

    /// What the limit keeps one budget per (default [`LimitBy::Whole`]).
    pub fn limit_by(&self) -> &LimitBy {
        &self.limit_by
    }

    /// Limits calls per minute (checked at start-up: at least 1).
    pub const fn requests_per_minute(mut self, rpm: u32) -> Self {
        self.requests_per_minute = Some(rpm);
        self
    }

    /// Limits tokens per minute, counted from real usage (checked at start-up: at least 1).
    pub const fn tokens_per_minute(mut self, tpm: u64) -> Self {
        self.tokens_per_minute = Some(tpm);
        self
    }

    /// How many calls may go at once (default: the rate per minute; checked
    /// at start-up: 1 to the rate).
    pub const fn burst(mut self, burst: u32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// Waits up to `max_wait` for the limit instead of failing at once.
    pub const fn wait(mut self, max_wait: Duration) -> Self {
        self.when_limited = WhenLimited::Wait(max_wait);
        self
    }

    /// Fails at once with 429 and `Retry-After` (the default).
    pub const fn fail_fast(mut self) -> Self {
        self.when_limited = WhenLimited::FailFast;
        self
    }

    /// What the limit does while its shared store does not answer (default
    /// [`WhenStoreDown::LocalLimit`]).
    pub const fn when_store_down(mut self, fallback: WhenStoreDown) -> Self {
        self.when_store_down = fallback;
        self
    }

    /// The requests-per-minute budget, if set.
    pub fn requests(&self) -> Option<u32> {
        self.requests_per_minute
    }

    /// The tokens-per-minute budget, if set.
    pub fn tokens(&self) -> Option<u64> {
        self.tokens_per_minute
    }

    /// What a limited call does.
    pub fn when_limited(&self) -> WhenLimited {
        self.when_limited
    }

    /// Checks the bounds shared with the macros (`fastagentic_rules::reliability`).
    pub fn check(&self) -> Result<(), String> {
        use fastagentic_rules::reliability as rules;
        if self.requests_per_minute.is_none() && self.tokens_per_minute.is_none() {
            return Err(
                "the rate limit limits nothing: set `requests_per_minute` and/or \
                 `tokens_per_minute`, or leave the rate limit out"
                    .to_owned(),
            );
        }
        if let Some(rpm) = self.requests_per_minute {
            rules::check_rate(u64::from(rpm))?;
        }
        if let Some(tpm) = self.tokens_per_minute {
            rules::check_token_rate(tpm)?;
        }
        match (self.burst, self.requests_per_minute) {
            (Some(burst), Some(rpm)) => rules::check_burst(u64::from(burst), u64::from(rpm)),
            (Some(_), None) => Err(
                "`burst` applies to `requests_per_minute`, which is not set: \
                 set it, or remove `burst`"
                    .to_owned(),
            ),
            _ => Ok(()),
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// Calls per minute: one slot per call, reserved by compare-and-swap.
struct RequestBucket {
    /// Nanoseconds between two slots.
    interval: u64,
    /// How far ahead of now slots may be handed out without waiting.
    tolerance: u64,
    /// The end of the last slot handed out.
    tat: AtomicU64,
}

impl RequestBucket {
    fn new(per_minute: u32, burst: u32) -> Self {
        let interval = (MINUTE / u64::from(per_minute.max(1))).max(1);
        Self {
            interval,
            tolerance: interval.saturating_mul(u64::from(burst.max(1))),
            tat: AtomicU64::new(0),
        }
    }

    /// Reserves the next slot if it starts within `max_wait` of `now`:
    /// `Ok(wait until it)`, or `Err(wait it would have needed)`.
    fn reserve(&self, now: u64, max_wait: u64) -> Result<u64, u64> {
        let mut tat = self.tat.load(Ordering::SeqCst);
        loop {
            let next = tat.max(now).saturating_add(self.interval);
            let wait = next.saturating_sub(self.tolerance).saturating_sub(now);
            if wait > max_wait {
                return Err(wait);
            }
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return Ok(wait),
                Err(actual) => tat = actual,
            }
        }
    }
}

/// Tokens per minute: a budget charged after each call.
struct TokenBucket {
    nanos_per_token: f64,
    /// The end of the time the tokens used so far pay for.
    tat: AtomicU64,
}

impl TokenBucket {
    fn new(per_minute: u64) -> Self {
        Self {
            nanos_per_token: MINUTE as f64 / per_minute.max(1) as f64,
            tat: AtomicU64::new(0),
        }
    }

    /// `None` when the budget is not spent at `now`, else how long until it is not.
    fn spent(&self, now: u64) -> Option<u64> {
        let tat = self.tat.load(Ordering::SeqCst);
        (tat >= now.saturating_add(MINUTE)).then(|| tat - MINUTE - now + 1)
    }

    fn charge(&self, now: u64, tokens: u64) {
        let cost = (tokens as f64 * self.nanos_per_token) as u64;
        let _ = self
            .tat
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |tat| {
                Some(tat.max(now).saturating_add(cost))
            });
    }
}

/// Most per-user (or per-key) budgets a limiter keeps in memory; the ones
/// idle longest go first. A budget idle for a minute is full again, so
/// dropping it after [`PART_IDLE`] forgets nothing.
const MAX_PARTS: u64 = 100_000;

/// How long an unused per-user (or per-key) budget is kept.
const PART_IDLE: Duration = Duration::from_secs(120);

/// One budget: the local buckets and, given a shared store, its Redis twin.
struct Budget {
    requests: Option<RequestBucket>,
    tokens: Option<TokenBucket>,
    /// The shared budget, once a store is given (the first one given wins).
    #[cfg(feature = "redis")]
    shared: OnceLock<crate::store::SharedLimit>,
}

impl Budget {
    fn new(limit: &RateLimit) -> Self {
        Self {
            requests: limit
                .requests_per_minute
                .map(|rpm| RequestBucket::new(rpm, limit.burst.unwrap_or(rpm))),
            tokens: limit.tokens_per_minute.map(TokenBucket::new),
            #[cfg(feature = "redis")]
            shared: OnceLock::new(),
        }
    }
}

/// A rate limit's state, shared by every call through the limiter: one
/// budget, or one per user (per key) when the limit says so.
struct Limiter {
    limit: RateLimit,
    when_limited: WhenLimited,
    /// What a refusal says each budget is: "600 requests per minute per user".
    requests_label: String,
    tokens_label: String,
    /// The budget of a limit that is not partitioned.
    whole: Arc<Budget>,
    /// The budgets of a partitioned limit, made as calls need them.
    parts: Option<moka::sync::Cache<Part, Arc<Budget>>>,
    /// Tokens a call is expected to use (a running average), reserved from
    /// a shared budget when the call starts and settled when it ends, so
    /// concurrent calls on several replicas cannot all start on the last
    /// tokens of the minute.
    expected_tokens: AtomicU64,
    /// The shared store and the limit's name there, once given.
    #[cfg(feature = "redis")]
    store: OnceLock<(crate::store::RedisStore, String)>,
    /// Set once a store is given, whichever.
    bound: OnceLock<()>,
}

/// What one call took from a budget: which budget, and the tokens
/// reserved from its shared twin (0 when local).
#[derive(Clone)]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
struct Reserved {
    budget: Arc<Budget>,
    shared: bool,
    tokens: u64,
}

impl Limiter {
    fn new(limit: &RateLimit) -> Self {
        let per = limit
            .limit_by
            .describe()
            .map(|per| format!(" {per}"))
            .unwrap_or_default();
        let rpm = limit.requests_per_minute.unwrap_or(0);
        let tpm = limit.tokens_per_minute.unwrap_or(0);
        Self {
            limit: limit.clone(),
            when_limited: limit.when_limited,
            requests_label: format!(
                "{rpm} {} per minute{per}",
                plural(u64::from(rpm), "request")
            ),
            tokens_label: format!("{tpm} {} per minute{per}", plural(tpm, "token")),
            whole: Arc::new(Budget::new(limit)),
            parts: (limit.limit_by != LimitBy::Whole).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(MAX_PARTS)
                    .time_to_idle(PART_IDLE)
                    .build()
            }),
            expected_tokens: AtomicU64::new(0),
            #[cfg(feature = "redis")]
            store: OnceLock::new(),
            bound: OnceLock::new(),
        }
    }

    /// The budget `call` spends.
    fn budget(&self, call: &CallContext) -> Arc<Budget> {
        let (Some(parts), Some(part)) = (&self.parts, self.limit.limit_by.part(call)) else {
            return self.whole.clone();
        };
        parts.get_with(part, || {
            let budget = Budget::new(&self.limit);
            #[cfg(feature = "redis")]
            if let Some((redis, name)) = self.store.get() {
                let name = format!("{name}:{}:{}", self.limit.limit_by.kind(), part.to_hex());
                let _ = budget.shared.set(self.shared_limit(redis, &name));
            }
            Arc::new(budget)
        })
    }

    #[cfg(feature = "redis")]
    fn shared_limit(
        &self,
        redis: &crate::store::RedisStore,
        name: &str,
    ) -> crate::store::SharedLimit {
        crate::store::SharedLimit::new(
            redis.clone(),
            name,
            self.limit.requests_per_minute,
            self.limit.burst,
            self.limit.tokens_per_minute,
        )
    }

    /// Lets a call through (through the shared budget when there is one and
    /// it answers), waiting if allowed, or refuses it.
    async fn acquire(&self, call: &CallContext) -> Result<Reserved, GatewayError> {
        let budget = self.budget(call);
        #[cfg(feature = "redis")]
        if let Some(shared) = budget.shared.get()
            && let Some(tokens) = self.acquire_shared(&budget, shared, call).await?
        {
            return Ok(Reserved {
                budget,
                shared: true,
                tokens,
            });
        }
        self.acquire_local(&budget, call).await?;
        Ok(Reserved {
            budget,
            shared: false,
            tokens: 0,
        })
    }

    /// The longest a call may wait for the limit.
    fn max_wait(&self, call: &CallContext) -> u64 {
        let mut max_wait = match self.when_limited {
            WhenLimited::FailFast => 0,
            WhenLimited::Wait(limit) => nanos(limit),
        };
        if let Some(deadline) = call.deadline() {
            max_wait = max_wait.min(nanos(deadline.saturating_duration_since(Instant::now())));
        }
        max_wait
    }

    /// The tokens reserved, or `Ok(None)` when the store did not answer
    /// and the local budget decides.
    #[cfg(feature = "redis")]
    async fn acquire_shared(
        &self,
        budget: &Budget,
        shared: &crate::store::SharedLimit,
        call: &CallContext,
    ) -> Result<Option<u64>, GatewayError> {
        use crate::store::SharedVerdict;
        let start = Instant::now();
        let max_wait = Duration::from_nanos(self.max_wait(call));
        let reserve = if budget.tokens.is_some() {
            self.expected_tokens.load(Ordering::Relaxed)
        } else {
            0
        };
        loop {
            let left = max_wait.saturating_sub(start.elapsed());
            match shared.acquire(left, reserve).await {
                SharedVerdict::Admitted(wait) => {
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return Ok(Some(reserve));
                }
                SharedVerdict::Refused { wait, tokens } => {
                    if tokens && start.elapsed() + wait <= max_wait {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let label = if tokens {
                        &self.tokens_label
                    } else {
                        &self.requests_label
                    };
                    return Err(GatewayError::RateLimited {
                        limit: label.clone(),
                        retry_after: wait,
                    });
                }
                SharedVerdict::Unavailable => {
                    return match self.limit.when_store_down {
                        WhenStoreDown::LocalLimit => Ok(None),
                        WhenStoreDown::Refuse => Err(GatewayError::RateLimited {
                            limit: "the shared rate-limit store does not answer (the limit fails closed)"
                                .to_owned(),
                            retry_after: Duration::from_secs(1),
                        }),
                    };
                }
            }
        }
    }

    /// The local buckets.
    async fn acquire_local(&self, budget: &Budget, call: &CallContext) -> Result<(), GatewayError> {
        let start = now_nanos();
        let max_wait = self.max_wait(call);
        let refused = |label: &str, wait: u64| GatewayError::RateLimited {
            limit: label.to_owned(),
            retry_after: Duration::from_nanos(wait),
        };
        if let Some(tokens) = &budget.tokens {
            loop {
                let now = now_nanos();
                let Some(wait) = tokens.spent(now) else { break };
                if (now - start).saturating_add(wait) > max_wait {
                    return Err(refused(&self.tokens_label, wait));
                }
                tokio::time::sleep(Duration::from_nanos(wait)).await;
            }
        }
        if let Some(requests) = &budget.requests {
            let now = now_nanos();
            let left = max_wait.saturating_sub(now - start);
            match requests.reserve(now, left) {
                Ok(0) => {}
                Ok(wait) => tokio::time::sleep(Duration::from_nanos(wait)).await,
                Err(wait) => return Err(refused(&self.requests_label, wait)),
            }
        }
        Ok(())
    }

    /// Settles a call that reserved `reserved`: charges what `usage` says
    /// it used (nothing without usage; the reservation is refunded).
    async fn charge(&self, usage: Option<&Usage>, reserved: Reserved) {
        let Some(tokens) = &reserved.budget.tokens else {
            return;
        };
        let used = usage.map(|usage| {
            if usage.total_tokens > 0 {
                usage.total_tokens
            } else {
                usage.input_tokens + usage.output_tokens
            }
        });
        if let Some(used) = used {
            let expected = self.expected_tokens.load(Ordering::Relaxed);
            let next = if expected == 0 {
                used
            } else {
                (expected.saturating_mul(3).saturating_add(used)) / 4
            };
            self.expected_tokens.store(next, Ordering::Relaxed);
        }
        let used = used.unwrap_or(0);
        #[cfg(feature = "redis")]
        if reserved.shared
            && let Some(shared) = reserved.budget.shared.get()
        {
            let delta = i64::try_from(used).unwrap_or(i64::MAX)
                - i64::try_from(reserved.tokens).unwrap_or(i64::MAX);
            if shared.charge(delta).await {
                return;
            }
        }
        if used > 0 {
            tokens.charge(now_nanos(), used);
        }
    }
}

impl SharedPiece for Limiter {
    fn share(&self, store: &SharedStore, name: &str) {
        if self.bound.set(()).is_err() {
            return;
        }
        match store {
            SharedStore::Local => {
                let _ = name;
            }
            #[cfg(feature = "redis")]
            SharedStore::Redis(redis) => {
                let _ = self.whole.shared.set(self.shared_limit(redis, name));
                let _ = self.store.set((redis.clone(), name.to_owned()));
                // Budgets made before the store was given stay local.
                if let Some(parts) = &self.parts {
                    parts.invalidate_all();
                }
            }
        }
    }
}

/// A rate limiter as a walk over a gateway tree finds it
/// ([`NodeKind::RateLimiter`]).
#[derive(Clone, Copy)]
pub struct LimiterView<'a> {
    limit: &'a RateLimit,
    budget: &'a Arc<Limiter>,
}

impl LimiterView<'_> {
    /// The limit.
    pub fn limit(&self) -> &RateLimit {
        self.limit
    }

    /// Which budget it spends: limiters sharing one
    /// ([`RateLimiter::sharing`]) have the same id.
    pub fn budget_id(&self) -> usize {
        Arc::as_ptr(self.budget) as usize
    }
}

/// A gateway that holds `inner`'s calls to a [`RateLimit`].
///
/// One limiter is one budget: wrap the app's gateway for a per-gateway
/// limit, or an endpoint's own gateway (`#[agent_endpoint(llm_gateway = ..)]`)
/// for a per-endpoint one. Clones share the budget.
///
/// ```
/// use fastagentic::DemoGateway;
/// use fastagentic::reliability::{RateLimit, RateLimiter};
/// let gateway = RateLimiter::new(DemoGateway::new(), RateLimit::new().requests_per_minute(60));
/// # let _ = gateway;
/// ```
#[derive(Clone)]
pub struct RateLimiter<G> {
    inner: G,
    limit: RateLimit,
    limiter: Arc<Limiter>,
}

impl<G: LlmGateway> std::fmt::Debug for RateLimiter<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("gateway", &self.inner.name())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<G: LlmGateway> RateLimiter<G> {
    /// Limits `inner` to `limit`.
    pub fn new(inner: G, limit: RateLimit) -> Self {
        let limiter = Arc::new(Limiter::new(&limit));
        Self {
            inner,
            limit,
            limiter,
        }
    }

    /// The limit.
    pub fn limit(&self) -> &RateLimit {
        &self.limit
    }

    /// Keeps the budget in `store` under `name`, shared by every replica
    /// that uses the same store and name (instead of the app's shared
    /// store, under a name from where the limiter sits).
    pub fn shared(self, store: impl Into<SharedStore>, name: &str) -> Self {
        self.limiter.share(&store.into(), name);
        self
    }

    /// A limiter over `other` that spends this one's budget: one limit
    /// shared by several gateways (the app's limit over every endpoint).
    pub fn sharing<H: LlmGateway>(&self, other: H) -> RateLimiter<H> {
        RateLimiter {
            inner: other,
            limit: self.limit.clone(),
            limiter: self.limiter.clone(),
        }
    }
}

impl<G: LlmGateway> Strategy for RateLimiter<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(async move {
            let reserved = self.limiter.acquire(call).await?;
            let mut reply = match self.inner.serve(call, request).await {
                Ok(reply) => reply,
                Err(error) => {
                    self.limiter.charge(None, reserved).await;
                    return Err(error);
                }
            };
            match &mut reply.answer {
                Answer::Stream(upstream) if self.limit.tokens_per_minute.is_some() => {
                    // A stream's usage comes with its last chunk.
                    let metadata = std::mem::take(&mut upstream.gateway_metadata);
                    let limiter = self.limiter.clone();
                    let chunks = std::mem::replace(upstream, ChatStream::empty());
                    let mut counted = ChatStream::new(chunks.inspect(move |item| {
                        if let Ok(chunk) = item
                            && let Some(usage) = chunk.usage().cloned()
                        {
                            let limiter = limiter.clone();
                            let reserved = reserved.clone();
                            let settle =
                                async move { limiter.charge(Some(&usage), reserved).await };
                            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                                runtime.spawn(settle);
                            }
                        }
                    }));
                    counted.gateway_metadata = metadata;
                    *upstream = counted;
                }
                Answer::Stream(_) => {}
                Answer::Chat(_) | Answer::Embed(_) => {
                    self.limiter.charge(reply.usage(), reserved).await;
                }
            }
            Ok(reply)
        })
    }

    fn node(&self) -> Node<'_> {
        let view = LimiterView {
            limit: &self.limit,
            budget: &self.limiter,
        };
        Node::wrapping(NodeKind::RateLimiter(view), &self.inner).sharing(self.limiter.as_ref())
    }

    fn check_options(&self) -> Result<(), String> {
        self.limit
            .check()
            .map_err(|message| format!("rate limit: {message}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_burst_goes_at_once_then_one_slot_per_interval() {
        // 600 per minute: a slot every 100 ms; 3 at once.
        let bucket = RequestBucket::new(600, 3);
        let t0 = 5_000 * MS;
        for _ in 0..3 {
            assert_eq!(bucket.reserve(t0, 0), Ok(0));
        }
        assert_eq!(
            bucket.reserve(t0, 0),
            Err(100 * MS),
            "the fourth must wait a slot"
        );
        assert_eq!(bucket.reserve(t0 + 100 * MS, 0), Ok(0));
        // Waiting callers each get their own later slot.
        assert_eq!(bucket.reserve(t0 + 100 * MS, 1_000 * MS), Ok(100 * MS));
        assert_eq!(bucket.reserve(t0 + 100 * MS, 1_000 * MS), Ok(200 * MS));
        assert_eq!(bucket.reserve(t0 + 100 * MS, 250 * MS), Err(300 * MS));
        // After a quiet minute the bucket is full again, not fuller.
        let later = t0 + 60_000 * MS;
        for _ in 0..3 {
            assert_eq!(bucket.reserve(later, 0), Ok(0));
        }
        assert!(bucket.reserve(later, 0).is_err());
    }

    #[test]
    fn a_full_minute_burst_by_default() {
        let bucket = RequestBucket::new(10, 10);
        let t0 = 1_000 * MS;
        let admitted = (0..50).filter(|_| bucket.reserve(t0, 0).is_ok()).count();
        assert_eq!(admitted, 10);
        assert_eq!(bucket.reserve(t0, 0), Err(6_000 * MS));
    }

    #[test]
    fn tokens_are_charged_after_the_call() {
        // 100 tokens per minute: 600 ms per token.
        let bucket = TokenBucket::new(100);
        let t0 = 1_000 * MS;
        assert_eq!(bucket.spent(t0), None);
        bucket.charge(t0, 60);
        assert_eq!(bucket.spent(t0), None, "40 tokens are left");
        bucket.charge(t0, 60);
        // 20 tokens over budget: 12 s until it is paid back.
        assert_eq!(bucket.spent(t0), Some(12_000 * MS + 1));
        assert_eq!(bucket.spent(t0 + 12_001 * MS), None);
    }

    #[test]
    fn checks() {
        assert!(RateLimit::new().check().is_err());
        assert!(RateLimit::new().tokens_per_minute(1).check().is_ok());
        assert!(
            RateLimit::new()
                .requests_per_minute(5)
                .burst(6)
                .check()
                .is_err()
        );
        assert!(
            RateLimit::new()
                .tokens_per_minute(5)
                .burst(1)
                .check()
                .is_err()
        );
    }
}
