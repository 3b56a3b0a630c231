//! Stop calling a target that keeps failing; probe it after a cool-down.
//!
//! State lives in atomics (no lock on the request path): the state, when it
//! opened, the probes in flight, and failures counted in eight slots that
//! together span the window.
//!
//! Given a shared store (Redis, feature `redis`), the circuit is also kept
//! there under the target's name: a call is refused when either this
//! replica's circuit or the shared one is open, so a target opened by one
//! replica's failures is refused by all. While Redis does not answer, the
//! local circuit alone decides.

use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::clock::{nanos, now_nanos, until};
use super::{ErrorClass, ErrorFilter};
use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    Strategy,
};
use crate::store::{SharedPiece, SharedStore};

/// When a circuit opens and how it recovers.
///
/// - It opens when `failure_threshold` failures (those in `failure_on`,
///   default 5xx, unreachable and timeouts) happen within `window`.
/// - Open, it refuses calls at once with [`GatewayError::CircuitOpen`] for
///   `cooldown` (default 30 s); a fallback chain moves on to its next target.
/// - Then it is half-open: up to `half_open_probes` calls (default 1) go
///   through. A probe that gets any answer other than a counted failure
///   closes the circuit; one that fails opens it for another cool-down.
///
/// ```
/// use std::time::Duration;
/// use fastagentic::reliability::BreakerPolicy;
/// let policy = BreakerPolicy::new(5, Duration::from_secs(60)).cooldown(Duration::from_secs(10));
/// assert!(policy.check().is_ok());
/// assert!(BreakerPolicy::new(0, Duration::from_secs(60)).check().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerPolicy {
    failure_threshold: u32,
    window: Duration,
    cooldown: Duration,
    half_open_probes: u32,
    failure_on: ErrorFilter,
}

impl BreakerPolicy {
    /// Opens after `failure_threshold` failures within `window`.
    pub const fn new(failure_threshold: u32, window: Duration) -> Self {
        Self {
            failure_threshold,
            window,
            cooldown: Duration::from_secs(30),
            half_open_probes: 1,
            failure_on: ErrorFilter::all_classes().without(ErrorClass::RateLimit),
        }
    }

    /// How long an open circuit refuses calls before it probes (default 30 s).
    pub const fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// How many probe calls a half-open circuit lets through at once (default 1).
    pub const fn half_open_probes(mut self, probes: u32) -> Self {
        self.half_open_probes = probes;
        self
    }

    /// The failures that count (default: 5xx, unreachable, timeouts; a 429
    /// is the provider pacing us, not failing, and a 4xx is our mistake).
    pub fn failure_on(mut self, filter: impl Into<ErrorFilter>) -> Self {
        self.failure_on = filter.into();
        self
    }

    /// Checks the bounds shared with the macros (`fastagentic_rules::reliability`).
    pub fn check(&self) -> Result<(), String> {
        use fastagentic_rules::reliability as rules;
        rules::check_breaker(
            u64::from(self.failure_threshold),
            super::millis(self.window),
        )?;
        rules::check_positive_ms("cooldown", super::millis(self.cooldown))?;
        rules::check_half_open_probes(u64::from(self.half_open_probes))?;
        self.failure_on.check()
    }
}

/// Where a circuit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CircuitState {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// The cool-down ended: the next calls are probes.
    HalfOpen,
}

impl CircuitState {
    /// `closed`, `open` or `half_open` (for logs and metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const HALF_OPEN: u8 = 2;
const SLOTS: u64 = 8;

/// One slot of the failure window: which slot-length period it counts, and how many.
#[derive(Default)]
struct Slot {
    epoch: AtomicU64,
    count: AtomicU32,
}

/// A circuit's state, shared by every call of the target.
pub(crate) struct Circuit {
    policy: BreakerPolicy,
    state: AtomicU8,
    opened_at: AtomicU64,
    probes: AtomicU32,
    slot_nanos: u64,
    slots: [Slot; SLOTS as usize],
    /// The shared circuit, once a store is given (the first one given wins).
    #[cfg(feature = "redis")]
    shared: OnceLock<crate::store::SharedCircuit>,
    bound: OnceLock<()>,
}

/// Leave to make one call.
#[derive(Debug, PartialEq, Eq)]
enum Permit {
    Normal,
    Probe,
}

impl Circuit {
    pub(crate) fn new(policy: BreakerPolicy) -> Self {
        let slot_nanos = (nanos(policy.window) / SLOTS).max(1);
        Self {
            policy,
            state: AtomicU8::new(CLOSED),
            opened_at: AtomicU64::new(0),
            probes: AtomicU32::new(0),
            slot_nanos,
            slots: Default::default(),
            #[cfg(feature = "redis")]
            shared: OnceLock::new(),
            bound: OnceLock::new(),
        }
    }

    /// The state at `now` (an open circuit whose cool-down ended reads half-open).
    pub(crate) fn state_at(&self, now: u64) -> CircuitState {
        match self.state.load(Ordering::SeqCst) {
            CLOSED => CircuitState::Closed,
            OPEN if now < self.reopens_at() => CircuitState::Open,
            _ => CircuitState::HalfOpen,
        }
    }

    fn reopens_at(&self) -> u64 {
        self.opened_at
            .load(Ordering::SeqCst)
            .saturating_add(nanos(self.policy.cooldown))
    }

    /// Lets a call through, or says how long until it would.
    fn admit(&self, now: u64) -> Result<Permit, Duration> {
        loop {
            match self.state.load(Ordering::SeqCst) {
                CLOSED => return Ok(Permit::Normal),
                OPEN => {
                    let reopens_at = self.reopens_at();
                    if now < reopens_at {
                        return Err(until(now, reopens_at));
                    }
                    // The cool-down ended: whoever flips the state resets the probes.
                    if self
                        .state
                        .compare_exchange(OPEN, HALF_OPEN, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                    {
                        self.probes.store(0, Ordering::SeqCst);
                    }
                }
                _ => {
                    let limit = self.policy.half_open_probes.max(1);
                    let taken = self
                        .probes
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| {
                            (p < limit).then_some(p + 1)
                        });
                    return match taken {
                        Ok(_) => Ok(Permit::Probe),
                        // A probe is out: ask to come back after a cool-down's worth.
                        Err(_) => Err(self.policy.cooldown),
                    };
                }
            }
        }
    }

    /// Records the outcome of a call made with `permit`: `failed` when its
    /// error counts as a failure.
    fn record(&self, permit: Permit, failed: bool, now: u64) {
        match (permit, failed) {
            (Permit::Normal, false) => {}
            (Permit::Normal, true) => {
                self.count_failure(now);
                if self.failures(now) >= self.policy.failure_threshold {
                    self.open(CLOSED, now);
                }
            }
            (Permit::Probe, false) => {
                self.release_probe();
                if self
                    .state
                    .compare_exchange(HALF_OPEN, CLOSED, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    for slot in &self.slots {
                        slot.epoch.store(0, Ordering::SeqCst);
                    }
                }
            }
            (Permit::Probe, true) => {
                self.open(HALF_OPEN, now);
                self.release_probe();
            }
        }
    }

    fn open(&self, from: u8, now: u64) {
        if self.state.load(Ordering::SeqCst) != from {
            return; // another call already moved it
        }
        // The time first, so a reader that sees OPEN reads the new time.
        self.opened_at.store(now, Ordering::SeqCst);
        let _ = self
            .state
            .compare_exchange(from, OPEN, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn release_probe(&self) {
        let _ = self
            .probes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| p.checked_sub(1));
    }

    /// Slot epochs start at 1 so that 0 means "never used".
    fn epoch(&self, now: u64) -> u64 {
        now / self.slot_nanos + 1
    }

    fn count_failure(&self, now: u64) {
        let epoch = self.epoch(now);
        let slot = &self.slots[(epoch % SLOTS) as usize];
        let seen = slot.epoch.load(Ordering::SeqCst);
        if seen != epoch
            && slot
                .epoch
                .compare_exchange(seen, epoch, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            slot.count.store(1, Ordering::SeqCst);
            return;
        }
        slot.count.fetch_add(1, Ordering::SeqCst);
    }

    /// Failures in the slots of the window that ends at `now`.
    fn failures(&self, now: u64) -> u32 {
        let epoch = self.epoch(now);
        self.slots
            .iter()
            .filter(|slot| {
                let e = slot.epoch.load(Ordering::SeqCst);
                e != 0 && e + SLOTS > epoch
            })
            .map(|slot| slot.count.load(Ordering::SeqCst))
            .fold(0u32, u32::saturating_add)
    }
}

/// Releases a probe whose call was dropped before it finished, so the
/// circuit is not left waiting for an outcome that never comes.
struct Outcome<'c> {
    circuit: &'c Circuit,
    permit: Option<Permit>,
}

impl Outcome<'_> {
    fn record(mut self, failed: bool) {
        if let Some(permit) = self.permit.take() {
            self.circuit.record(permit, failed, now_nanos());
        }
    }
}

impl Drop for Outcome<'_> {
    fn drop(&mut self) {
        if self.permit.take() == Some(Permit::Probe) {
            self.circuit.release_probe();
        }
    }
}

/// A gateway that stops calling `inner` while it keeps failing (see
/// [`BreakerPolicy`]). One breaker guards one target; every call of it
/// shares the breaker's state.
///
/// Streams count as answered once their first chunk arrives.
///
/// ```
/// use std::time::Duration;
/// use fastagentic::DemoGateway;
/// use fastagentic::reliability::{BreakerPolicy, CircuitBreaker, CircuitState};
/// let gateway = CircuitBreaker::new(DemoGateway::new(), BreakerPolicy::new(5, Duration::from_secs(60)));
/// assert_eq!(gateway.state(), CircuitState::Closed);
/// ```
#[derive(Clone)]
pub struct CircuitBreaker<G> {
    inner: G,
    circuit: Arc<Circuit>,
    target: Arc<str>,
}

impl<G: LlmGateway> std::fmt::Debug for CircuitBreaker<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("target", &self.target)
            .field("state", &self.state())
            .field("policy", &self.circuit.policy)
            .finish_non_exhaustive()
    }
}

impl<G: LlmGateway> CircuitBreaker<G> {
    /// Guards `inner` with a breaker following `policy`.
    pub fn new(inner: G, policy: BreakerPolicy) -> Self {
        let target = Arc::from(inner.name());
        Self {
            inner,
            circuit: Arc::new(Circuit::new(policy)),
            target,
        }
    }

    /// Names the target in errors and logs (default: the gateway's name).
    pub fn target(mut self, name: impl Into<Arc<str>>) -> Self {
        self.target = name.into();
        self
    }

    /// The circuit's state now.
    pub fn state(&self) -> CircuitState {
        self.circuit.state_at(now_nanos())
    }

    /// Keeps the circuit in `store` too, under the target's name, shared by
    /// every replica that guards the same target (instead of the app's
    /// shared store).
    pub fn shared(self, store: impl Into<SharedStore>) -> Self {
        self.share(&store.into(), "");
        self
    }

    fn refused(&self, retry_after: Duration) -> GatewayError {
        GatewayError::CircuitOpen {
            target: self.target.to_string(),
            retry_after,
        }
    }

    fn admit(&self) -> Result<Outcome<'_>, GatewayError> {
        match self.circuit.admit(now_nanos()) {
            Ok(permit) => Ok(Outcome {
                circuit: &self.circuit,
                permit: Some(permit),
            }),
            Err(retry_after) => Err(self.refused(retry_after)),
        }
    }

    async fn guarded<T>(
        &self,
        call: impl Future<Output = Result<T, GatewayError>>,
    ) -> Result<T, GatewayError> {
        let outcome = self.admit()?;
        // `Some(probe?)` when the shared circuit let the call through.
        #[cfg(feature = "redis")]
        let shared_permit = match self.circuit.shared.get() {
            Some(shared) => {
                use crate::store::SharedAdmit;
                match shared.admit().await {
                    SharedAdmit::Closed => Some((shared, false)),
                    SharedAdmit::Probe => Some((shared, true)),
                    SharedAdmit::Open(retry_after) => return Err(self.refused(retry_after)),
                    SharedAdmit::Unavailable => None,
                }
            }
            None => None,
        };
        let result = call.await;
        let failed = result
            .as_ref()
            .err()
            .is_some_and(|e| self.circuit.policy.failure_on.matches(e));
        #[cfg(feature = "redis")]
        if let Some((shared, probe)) = shared_permit {
            shared.record(probe, failed).await;
        }
        let was = self.circuit.state.load(Ordering::SeqCst);
        outcome.record(failed);
        let now = self.circuit.state.load(Ordering::SeqCst);
        if was != now {
            let state = self.circuit.state_at(now_nanos());
            tracing::warn!(target_name = %self.target, state = state.as_str(), "circuit breaker changed state");
        }
        result
    }
}

impl<G: LlmGateway> Strategy for CircuitBreaker<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(self.guarded(self.inner.serve(call, request)))
    }

    fn node(&self) -> Node<'_> {
        let view = CircuitView {
            target: &self.target,
            circuit: &self.circuit,
        };
        Node::wrapping(NodeKind::CircuitBreaker(view), &self.inner).sharing(self)
    }

    fn check_options(&self) -> Result<(), String> {
        self.circuit
            .policy
            .check()
            .map_err(|message| format!("circuit breaker: {message}"))
    }
}

impl<G: LlmGateway> SharedPiece for CircuitBreaker<G> {
    /// Shared under the target's name (whatever `name` says).
    fn share(&self, store: &SharedStore, _name: &str) {
        if self.circuit.bound.set(()).is_err() {
            return;
        }
        match store {
            SharedStore::Local => {}
            #[cfg(feature = "redis")]
            SharedStore::Redis(redis) => {
                let policy = &self.circuit.policy;
                let _ = self.circuit.shared.set(crate::store::SharedCircuit::new(
                    redis.clone(),
                    &self.target,
                    policy.failure_threshold,
                    policy.window,
                    policy.cooldown,
                ));
            }
        }
    }
}

/// A circuit breaker as a walk over a gateway tree finds it
/// ([`NodeKind::CircuitBreaker`]).
#[derive(Clone, Copy)]
pub struct CircuitView<'a> {
    target: &'a str,
    circuit: &'a Arc<Circuit>,
}

impl CircuitView<'_> {
    /// The target it guards, as named in errors and `/metrics`.
    pub fn target(&self) -> &str {
        self.target
    }

    /// The circuit's state now.
    pub fn state(&self) -> CircuitState {
        self.circuit.state_at(now_nanos())
    }

    /// The shared circuit (one per breaker, however often the tree is walked).
    pub(crate) fn circuit(&self) -> &Arc<Circuit> {
        self.circuit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn circuit() -> Circuit {
        Circuit::new(
            BreakerPolicy::new(3, Duration::from_millis(800)).cooldown(Duration::from_millis(100)),
        )
    }

    fn fail(c: &Circuit, now: u64) {
        let permit = c.admit(now).expect("admitted");
        c.record(permit, true, now);
    }

    #[test]
    fn opens_at_the_threshold_within_the_window() {
        let c = circuit();
        let t0 = 10_000 * MS;
        fail(&c, t0);
        fail(&c, t0 + 10 * MS);
        assert_eq!(c.state_at(t0 + 10 * MS), CircuitState::Closed);
        fail(&c, t0 + 20 * MS);
        assert_eq!(c.state_at(t0 + 20 * MS), CircuitState::Open);
        assert_eq!(c.admit(t0 + 50 * MS), Err(Duration::from_millis(70)));
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let c = circuit();
        let t0 = 10_000 * MS;
        fail(&c, t0);
        fail(&c, t0 + 100 * MS);
        // 900 ms later the first two are out of the 800 ms window.
        fail(&c, t0 + 1_000 * MS);
        assert_eq!(c.state_at(t0 + 1_000 * MS), CircuitState::Closed);
        assert_eq!(c.failures(t0 + 1_000 * MS), 1);
    }

    #[test]
    fn successes_in_the_closed_state_change_nothing() {
        let c = circuit();
        let permit = c.admit(0).expect("admitted");
        c.record(permit, false, 0);
        assert_eq!(c.failures(0), 0);
        assert_eq!(c.state_at(0), CircuitState::Closed);
    }

    #[test]
    fn half_open_lets_one_probe_through_and_closes_on_success() {
        let c = circuit();
        let t0 = 10_000 * MS;
        for i in 0..3 {
            fail(&c, t0 + i * MS);
        }
        let after = t0 + 200 * MS;
        assert_eq!(c.state_at(after), CircuitState::HalfOpen);
        let probe = c.admit(after).expect("the probe goes through");
        assert_eq!(probe, Permit::Probe);
        assert!(c.admit(after).is_err(), "only one probe at a time");
        c.record(probe, false, after);
        assert_eq!(c.state_at(after), CircuitState::Closed);
        assert_eq!(c.failures(after), 0, "the failures are forgotten");
        assert_eq!(c.admit(after), Ok(Permit::Normal));
    }

    #[test]
    fn a_failed_probe_opens_for_another_cooldown() {
        let c = circuit();
        let t0 = 10_000 * MS;
        for i in 0..3 {
            fail(&c, t0 + i * MS);
        }
        let after = t0 + 200 * MS;
        let probe = c.admit(after).expect("probe");
        c.record(probe, true, after);
        assert_eq!(c.state_at(after + 50 * MS), CircuitState::Open);
        assert_eq!(c.state_at(after + 100 * MS), CircuitState::HalfOpen);
        assert_eq!(c.admit(after + 100 * MS), Ok(Permit::Probe));
    }

    #[test]
    fn a_dropped_probe_frees_its_place() {
        let c = circuit();
        for i in 0..3 {
            fail(&c, i * MS);
        }
        let after = 500 * MS;
        let outcome = Outcome {
            circuit: &c,
            permit: Some(c.admit(after).expect("probe")),
        };
        assert!(c.admit(after).is_err());
        drop(outcome);
        assert_eq!(c.admit(after), Ok(Permit::Probe));
    }
}
