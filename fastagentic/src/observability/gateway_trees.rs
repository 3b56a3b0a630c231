//! What `/metrics` reports of the gateway trees the app calls through (the
//! default gateway's and every endpoint's own), found by walking them:
//! every circuit breaker's state, every rate limit, every cache's counts,
//! wherever each sits. A piece shared by several endpoints is reported once.

use std::sync::Arc;

use crate::cache::semantic::Guard;
use crate::gateway::{LlmGateway, NodeKind, walk};
use crate::reliability::CircuitState;

/// The gateways whose trees `/metrics` reports, each with the endpoints
/// that call through it (the first names it).
#[derive(Clone, Default)]
pub(crate) struct GatewayTrees(Vec<(Vec<String>, Arc<dyn LlmGateway>)>);

/// A rate limit found in a tree.
pub(crate) struct LimitReport {
    /// `<endpoint>: <gateway> at <path>` (`root` for the top of a tree; a
    /// piece shared by several endpoints is named after the first).
    pub node: String,
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u64>,
}

/// A cache found in a tree, with its counts.
pub(crate) struct CacheReport {
    /// `<endpoint>: <gateway> at <path>`.
    pub node: String,
    pub hits: u64,
    pub misses: u64,
    pub refreshes: u64,
    pub stores: u64,
    /// A semantic cache's own counts.
    pub semantic: Option<SemanticReport>,
}

/// A semantic cache's counts.
pub(crate) struct SemanticReport {
    pub hits: u64,
    pub misses: u64,
    /// Refusals by guard name, every guard named.
    pub refusals: Vec<(&'static str, u64)>,
}

/// Everything reported, gathered in one walk.
#[derive(Default)]
pub(crate) struct TreeReport {
    pub circuits: Vec<(String, CircuitState)>,
    pub limits: Vec<LimitReport>,
    pub caches: Vec<CacheReport>,
}

impl GatewayTrees {
    /// Also reports the tree of `endpoint`'s `gateway`.
    pub(crate) fn watch(&mut self, endpoint: &str, gateway: Arc<dyn LlmGateway>) {
        match self
            .0
            .iter_mut()
            .find(|(_, known)| Arc::ptr_eq(known, &gateway))
        {
            Some((endpoints, _)) => endpoints.push(endpoint.to_owned()),
            None => self.0.push((vec![endpoint.to_owned()], gateway)),
        }
    }

    /// Every tree, with the endpoints that call through it.
    pub(crate) fn each(&self) -> impl Iterator<Item = (&[String], &dyn LlmGateway)> {
        self.0
            .iter()
            .map(|(endpoints, gateway)| (endpoints.as_slice(), gateway.as_ref()))
    }

    /// Walks every tree once; each piece is reported once however many
    /// trees share it (pieces are told apart by address).
    pub(crate) fn report(&self) -> TreeReport {
        let mut seen: Vec<*const ()> = Vec::new();
        let mut first_time = |id: *const ()| {
            let new = !seen.contains(&id);
            if new {
                seen.push(id);
            }
            new
        };
        let mut report = TreeReport::default();
        for (endpoints, gateway) in &self.0 {
            let endpoint = endpoints.first().map_or("", String::as_str);
            let name = gateway.name().to_owned();
            walk(gateway.as_ref(), &mut |path, kind| {
                let node = || {
                    if path.is_root() {
                        format!("{endpoint}: {name} at root")
                    } else {
                        format!("{endpoint}: {name} at {path}")
                    }
                };
                match kind {
                    NodeKind::CircuitBreaker(view)
                        if first_time(Arc::as_ptr(view.circuit()).cast()) =>
                    {
                        report
                            .circuits
                            .push((view.target().to_owned(), view.state()));
                    }
                    NodeKind::RateLimiter(view) if first_time(view.budget_id() as *const ()) => {
                        report.limits.push(LimitReport {
                            node: node(),
                            requests_per_minute: view.limit().requests(),
                            tokens_per_minute: view.limit().tokens(),
                        });
                    }
                    NodeKind::Cache(stats) if first_time(std::ptr::from_ref(*stats).cast()) => {
                        report.caches.push(CacheReport {
                            node: node(),
                            hits: stats.hits(),
                            misses: stats.misses(),
                            refreshes: stats.refreshes(),
                            stores: stats.stores(),
                            semantic: stats.is_semantic().then(|| SemanticReport {
                                hits: stats.semantic_hits(),
                                misses: stats.semantic_misses(),
                                refusals: Guard::ALL
                                    .iter()
                                    .map(|&guard| (guard.name(), stats.guard_refusals_by(guard)))
                                    .collect(),
                            }),
                        });
                    }
                    _ => {}
                }
            });
        }
        report
    }
}
