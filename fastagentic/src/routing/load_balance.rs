//! Spreading calls over targets: a weighted random pick per request (as
//! Portkey's `loadbalance` does), or the target with the lowest recent
//! latency, or the less busy of two random picks; optionally failing over to
//! the other targets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use crate::gateway::{
    BoxFuture, CallContext, GatewayError, GatewayReply, GatewayRequest, LlmGateway, Node, NodeKind,
    PassedOver, PathSegment, Strategy,
};
use crate::reliability::ErrorFilter;

/// How a [`LoadBalance`] picks the target of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balance {
    /// One weighted random draw per request (Portkey's `loadbalance`): a
    /// target with weight 2 gets twice the share of one with weight 1; weight
    /// 0 is never picked.
    Weighted,
    /// The target with the lowest recent latency (an exponentially weighted
    /// moving average of its answers' durations); targets not yet measured
    /// first. Weight 0 is never picked.
    LeastLatency,
    /// The less busy (fewest calls in flight) of two targets drawn at random
    /// by weight ("power of two choices"). Weight 0 is never picked.
    LeastBusy,
}

/// One target and what the balancer knows about it.
struct Member {
    gateway: Arc<dyn LlmGateway>,
    weight: f64,
    in_flight: AtomicU32,
    /// Latency EWMA in nanoseconds; 0 = not measured yet.
    latency: AtomicU64,
}

/// A gateway that sends each request to one of its targets.
///
/// With [`failover`](Self::failover) (an in-process extension: Portkey's
/// gateway never fails over to a sibling), a failed target is followed by the
/// others in order of weight, heaviest first, as long as the failures are in
/// the filter.
///
/// ```
/// use fastagentic::DemoGateway;
/// use fastagentic::gateway::shared;
/// use fastagentic::routing::{Balance, LoadBalance};
/// use fastagentic::reliability::ErrorFilter;
/// let balanced = LoadBalance::new(Balance::Weighted)
///     .target(shared(DemoGateway::new()), 0.7)
///     .target(shared(DemoGateway::new()), 0.3)
///     .failover(ErrorFilter::transient());
/// # let _ = balanced;
/// ```
pub struct LoadBalance {
    members: Vec<Member>,
    balance: Balance,
    failover: Option<ErrorFilter>,
}

impl std::fmt::Debug for LoadBalance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let targets: Vec<(String, f64)> = self
            .members
            .iter()
            .map(|m| (m.gateway.name().to_owned(), m.weight))
            .collect();
        f.debug_struct("LoadBalance")
            .field("balance", &self.balance)
            .field("targets", &targets)
            .field("failover", &self.failover)
            .finish()
    }
}

/// How much a new latency sample moves the average (the last ~10 samples count).
const EWMA_ALPHA: f64 = 0.2;

impl Member {
    /// Moves the latency average by one sample. A failure counts as twice
    /// the slower of its own duration and the average so far, so a target
    /// that fails fast does not look fast to `LeastLatency`.
    fn record_latency(&self, elapsed: u64, answered: bool) {
        let _ = self
            .latency
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                let sample = if answered {
                    elapsed
                } else {
                    elapsed.max(old).saturating_mul(2)
                };
                Some(if old == 0 {
                    sample
                } else {
                    (old as f64 * (1.0 - EWMA_ALPHA) + sample as f64 * EWMA_ALPHA) as u64
                })
            });
    }
}

/// A call in flight on a member, counted for `LeastBusy` until it ends or
/// is dropped (a cancelled request must not leave the target looking busy).
struct InFlight<'a>(&'a AtomicU32);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicU32) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LoadBalance {
    /// No targets yet; add them with [`target`](Self::target).
    pub fn new(balance: Balance) -> Self {
        Self {
            members: Vec::new(),
            balance,
            failover: None,
        }
    }

    /// Adds a target with `weight` (Portkey's default is 1; 0 is never picked).
    pub fn target(mut self, gateway: Arc<dyn LlmGateway>, weight: f64) -> Self {
        self.members.push(Member {
            gateway,
            weight,
            in_flight: AtomicU32::new(0),
            latency: AtomicU64::new(0),
        });
        self
    }

    /// After a failure in `filter`, tries the other targets, heaviest first.
    pub fn failover(mut self, filter: impl Into<ErrorFilter>) -> Self {
        self.failover = Some(filter.into());
        self
    }

    /// The picking rule.
    pub fn balance(&self) -> Balance {
        self.balance
    }

    fn eligible(&self) -> impl Iterator<Item = usize> + '_ {
        self.members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.weight > 0.0 && m.weight.is_finite())
            .map(|(i, _)| i)
    }

    /// One weighted random draw among the eligible targets.
    fn draw(&self) -> Option<usize> {
        let total: f64 = self.eligible().map(|i| self.members[i].weight).sum();
        if total <= 0.0 {
            return None;
        }
        let mut point = rand::random::<f64>() * total;
        let mut last = None;
        for i in self.eligible() {
            last = Some(i);
            point -= self.members[i].weight;
            if point < 0.0 {
                return Some(i);
            }
        }
        last
    }

    /// The target for this request.
    fn pick(&self) -> Option<usize> {
        match self.balance {
            Balance::Weighted => self.draw(),
            Balance::LeastLatency => self.eligible().min_by_key(|&i| {
                // Unmeasured targets first, then the fastest.
                self.members[i].latency.load(Ordering::Relaxed)
            }),
            Balance::LeastBusy => {
                let first = self.draw()?;
                let second = self.draw().unwrap_or(first);
                let busy = |i: usize| self.members[i].in_flight.load(Ordering::Relaxed);
                Some(if busy(second) < busy(first) {
                    second
                } else {
                    first
                })
            }
        }
    }

    /// The order targets are tried in: the pick, then (with failover) the
    /// others by weight, heaviest first.
    fn order(&self) -> Vec<usize> {
        let Some(first) = self.pick() else {
            return Vec::new();
        };
        let mut order = vec![first];
        if self.failover.is_some() {
            let mut rest: Vec<usize> = self.eligible().filter(|&i| i != first).collect();
            rest.sort_by(|&a, &b| self.members[b].weight.total_cmp(&self.members[a].weight));
            order.extend(rest);
        }
        order
    }

    async fn call_member(
        &self,
        index: usize,
        call: &CallContext,
        request: GatewayRequest,
    ) -> Result<GatewayReply, GatewayError> {
        let member = &self.members[index];
        let busy = InFlight::enter(&member.in_flight);
        let started = Instant::now();
        let result = member.gateway.serve(call, request).await;
        drop(busy);
        let elapsed = u64::try_from(started.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        member.record_latency(elapsed, result.is_ok());
        result
    }

    async fn run(
        &self,
        call: &CallContext,
        request: GatewayRequest,
    ) -> Result<GatewayReply, GatewayError> {
        let order = self.order();
        let Some((&last, _)) = order.split_last() else {
            return Err(GatewayError::config(
                Strategy::name(self),
                "the load balancer has no target with a weight above 0",
            ));
        };
        let mut failed = Vec::new();
        for &index in &order {
            match self.call_member(index, call, request.clone()).await {
                Ok(mut reply) => {
                    reply.route.branch(index, request.model(), failed);
                    return Ok(reply);
                }
                Err(error) => {
                    let moves_on = self.failover.as_ref().is_some_and(|filter| {
                        filter.matches(&error)
                            || matches!(
                                error,
                                GatewayError::CircuitOpen { .. }
                                    | GatewayError::MalformedResponse { .. }
                            )
                    });
                    if index == last || !moves_on {
                        return Err(error);
                    }
                    tracing::warn!(
                        target_index = index,
                        "load-balanced target failed, failing over: {error}"
                    );
                    failed.push(PassedOver::new(
                        PathSegment::Target(index).into(),
                        request.model().to_owned(),
                        &error,
                    ));
                }
            }
        }
        Err(GatewayError::config(
            Strategy::name(self),
            "no target to try",
        ))
    }
}

impl Strategy for LoadBalance {
    fn name(&self) -> &str {
        self.members
            .first()
            .map_or("loadbalance", |member| member.gateway.name())
    }

    fn serve<'a>(
        &'a self,
        call: &'a CallContext,
        request: GatewayRequest,
    ) -> BoxFuture<'a, Result<GatewayReply, GatewayError>> {
        Box::pin(self.run(call, request))
    }

    fn node(&self) -> Node<'_> {
        Node::branching(
            NodeKind::LoadBalance(self.balance),
            self.members.iter().map(|m| m.gateway.as_ref()),
        )
    }

    fn check_options(&self) -> Result<(), String> {
        if self.members.is_empty() {
            return Err("the load balancer has no targets: add some with `.target(..)`".to_owned());
        }
        if let Some(bad) = self
            .members
            .iter()
            .position(|m| !m.weight.is_finite() || m.weight < 0.0)
        {
            return Err(format!(
                "targets[{bad}]: a weight must be a number of 0 or more (0: never picked)"
            ));
        }
        if self.eligible().next().is_none() {
            return Err("every target has weight 0, so none can be picked".to_owned());
        }
        if let Some(filter) = &self.failover {
            filter.check().map_err(|m| format!("failover: {m}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DemoGateway;
    use crate::gateway::shared;

    #[test]
    fn weighted_draws_follow_the_weights_and_never_pick_zero() {
        let balanced = LoadBalance::new(Balance::Weighted)
            .target(shared(DemoGateway::new()), 3.0)
            .target(shared(DemoGateway::new()), 0.0)
            .target(shared(DemoGateway::new()), 1.0);
        let mut counts = [0u32; 3];
        for _ in 0..4_000 {
            counts[balanced.pick().unwrap()] += 1;
        }
        assert_eq!(counts[1], 0);
        // Expected 3,000 and 1,000; 5 standard deviations is about ±140.
        assert!((2_860..=3_140).contains(&counts[0]), "{counts:?}");
    }

    #[test]
    fn failover_tries_the_others_heaviest_first() {
        let balanced = LoadBalance::new(Balance::Weighted)
            .target(shared(DemoGateway::new()), 1.0)
            .target(shared(DemoGateway::new()), 5.0)
            .target(shared(DemoGateway::new()), 2.0)
            .failover(ErrorFilter::transient());
        for _ in 0..50 {
            let order = balanced.order();
            assert_eq!(order.len(), 3);
            let rest: Vec<usize> = order[1..].to_vec();
            let mut sorted = rest.clone();
            sorted.sort_by(|&a, &b| {
                balanced.members[b]
                    .weight
                    .total_cmp(&balanced.members[a].weight)
            });
            assert_eq!(rest, sorted);
        }
    }

    #[test]
    fn least_latency_prefers_unmeasured_then_the_fastest() {
        let balanced = LoadBalance::new(Balance::LeastLatency)
            .target(shared(DemoGateway::new()), 1.0)
            .target(shared(DemoGateway::new()), 1.0);
        balanced.members[0].latency.store(5_000, Ordering::Relaxed);
        assert_eq!(balanced.pick(), Some(1), "unmeasured first");
        balanced.members[1].latency.store(9_000, Ordering::Relaxed);
        assert_eq!(balanced.pick(), Some(0), "then the fastest");
    }

    #[test]
    fn failures_make_a_target_look_slower_never_faster() {
        let balanced = LoadBalance::new(Balance::LeastLatency)
            .target(shared(DemoGateway::new()), 1.0)
            .target(shared(DemoGateway::new()), 1.0);
        balanced.members[0].record_latency(1_000, true);
        balanced.members[1].record_latency(2_000, true);
        assert_eq!(balanced.pick(), Some(0));
        // Target 0 fails in 10 ns: counted as 2,000 ns, moving its average up.
        for _ in 0..10 {
            balanced.members[0].record_latency(10, false);
        }
        assert!(balanced.members[0].latency.load(Ordering::Relaxed) > 2_000);
        assert_eq!(balanced.pick(), Some(1));
    }

    #[test]
    fn a_dropped_call_is_no_longer_in_flight() {
        let count = AtomicU32::new(0);
        let busy = InFlight::enter(&count);
        assert_eq!(count.load(Ordering::Relaxed), 1);
        drop(busy);
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn least_busy_takes_the_less_loaded_of_two() {
        let balanced = LoadBalance::new(Balance::LeastBusy)
            .target(shared(DemoGateway::new()), 1.0)
            .target(shared(DemoGateway::new()), 1.0);
        balanced.members[0].in_flight.store(10, Ordering::Relaxed);
        let picks: Vec<usize> = (0..200).filter_map(|_| balanced.pick()).collect();
        // Target 0 wins only when both draws land on it (1 in 4).
        let zero = picks.iter().filter(|&&i| i == 0).count();
        assert!(zero < 90, "{zero} of 200 went to the busy target");
    }
}
