//! [`CacheLayer`]: the cache a built-in gateway puts in front of its tree
//! (exact or semantic), described once and built with the tree.

use std::sync::Arc;
use std::time::Duration;

use super::semantic::{DEFAULT_SIMILARITY_THRESHOLD, Embedder, Guards, SemanticCache};
use super::{CacheScope, DEFAULT_MAX_AGE, ExactCache};
use crate::gateway::LlmGateway;

/// Which cache, and its options: [`ExactCache`] or [`SemanticCache`].
///
/// ```
/// use std::time::Duration;
/// use fastagentic::DemoGateway;
/// use fastagentic::cache::CacheLayer;
/// use fastagentic::reliability::{ReliableGateway, RetryPolicy};
/// let gateway = ReliableGateway::new(DemoGateway::new())
///     .retry(RetryPolicy::new(3))
///     .cache(CacheLayer::exact().max_age(Duration::from_secs(3600)));
/// # let _ = gateway;
/// ```
#[derive(Clone)]
pub struct CacheLayer {
    embedder: Option<Arc<dyn Embedder>>,
    max_age: Duration,
    scope: CacheScope,
    threshold: f32,
    guards: Guards,
}

impl std::fmt::Debug for CacheLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheLayer")
            .field("mode", &self.mode())
            .field(
                "embedder",
                &self.embedder.as_ref().map(|e| e.name().to_owned()),
            )
            .field("max_age", &self.max_age)
            .field("scope", &self.scope)
            .field("threshold", &self.threshold)
            .finish()
    }
}

impl CacheLayer {
    /// The same request answered from the cache ([`ExactCache`]).
    pub fn exact() -> Self {
        Self {
            embedder: None,
            max_age: DEFAULT_MAX_AGE,
            scope: CacheScope::default(),
            threshold: DEFAULT_SIMILARITY_THRESHOLD,
            guards: Guards::default(),
        }
    }

    /// A request that means the same answered from the cache
    /// ([`SemanticCache`]), prompts compared with `embedder`.
    pub fn semantic(embedder: impl Embedder) -> Self {
        Self {
            embedder: Some(Arc::new(embedder)),
            ..Self::exact()
        }
    }

    /// How long an answer is served (default one day).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// What the cache is partitioned by.
    pub fn scope(mut self, scope: CacheScope) -> Self {
        self.scope = scope;
        self
    }

    /// The semantic cache's similarity threshold.
    pub fn threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// The semantic cache's guards.
    pub fn guards(mut self, guards: Guards) -> Self {
        self.guards = guards;
        self
    }

    /// `exact` or `semantic`.
    pub fn mode(&self) -> &'static str {
        if self.embedder.is_some() {
            "semantic"
        } else {
            "exact"
        }
    }

    /// `inner` behind this cache.
    pub fn wrap(&self, inner: Arc<dyn LlmGateway>) -> Arc<dyn LlmGateway> {
        match &self.embedder {
            Some(embedder) => Arc::new(
                SemanticCache::with_embedder(inner, embedder.clone())
                    .max_age(self.max_age)
                    .scope(self.scope.clone())
                    .threshold(self.threshold)
                    .guards(self.guards.clone()),
            ),
            None => Arc::new(
                ExactCache::new(inner)
                    .max_age(self.max_age)
                    .scope(self.scope.clone()),
            ),
        }
    }
}
