//! Walking a gateway tree: every node, where it sits, and what it is, so
//! breakers and limiters are found wherever they sit (for `/metrics`, the
//! start-up checks and anything else that reports on a tree).

use std::time::Duration;

use super::{LlmGateway, NodePath, PathSegment};
use crate::cache::CacheStats;
use crate::llm::Extra;
use crate::reliability::{CircuitView, LimiterView, RetryPolicy};
use crate::routing::Balance;
use crate::store::SharedPiece;

/// What one node of a gateway tree is, and the gateways it wraps.
pub struct Node<'a> {
    /// What the node does.
    pub kind: NodeKind<'a>,
    /// The gateways it calls.
    pub children: Vec<Child<'a>>,
    /// Its state, when replicas can share it (caches, limits, breakers).
    pub shared: Option<&'a dyn SharedPiece>,
}

impl<'a> Node<'a> {
    /// A node that wraps no gateway: a transport such as `OpenAiGateway`.
    pub fn leaf(name: &'a str) -> Self {
        Self {
            kind: NodeKind::Gateway(name),
            children: Vec::new(),
            shared: None,
        }
    }

    /// A piece that wraps one gateway at the same place in the tree.
    pub fn wrapping(kind: NodeKind<'a>, inner: &'a dyn LlmGateway) -> Self {
        Self {
            kind,
            children: vec![Child {
                segment: None,
                gateway: inner,
            }],
            shared: None,
        }
    }

    /// Marks the node's state as shareable: [`bind_shared_store`](crate::store::bind_shared_store)
    /// hands `piece` the app's shared store.
    pub fn sharing(mut self, piece: &'a dyn SharedPiece) -> Self {
        self.shared = Some(piece);
        self
    }

    /// A branching node whose targets are `targets[0]`, `targets[1]`, ...
    pub fn branching<I>(kind: NodeKind<'a>, targets: I) -> Self
    where
        I: IntoIterator<Item = &'a dyn LlmGateway>,
    {
        Self {
            kind,
            children: targets
                .into_iter()
                .enumerate()
                .map(|(index, gateway)| Child {
                    segment: Some(PathSegment::Target(index)),
                    gateway,
                })
                .collect(),
            shared: None,
        }
    }
}

/// A gateway a node calls, and the step that leads to it (`None`: the same
/// place in the tree, as for a retry around its gateway).
pub struct Child<'a> {
    /// The step, for branching nodes.
    pub segment: Option<PathSegment>,
    /// The gateway.
    pub gateway: &'a dyn LlmGateway,
}

/// What a node does.
#[non_exhaustive]
pub enum NodeKind<'a> {
    /// A gateway that calls a provider or answers itself, by name.
    Gateway(&'a str),
    /// Retries its gateway.
    Retry(&'a RetryPolicy),
    /// Bounds each call of its gateway.
    Timeout(Duration),
    /// Guards its gateway with a circuit breaker.
    CircuitBreaker(CircuitView<'a>),
    /// Holds its gateway to a rate limit.
    RateLimiter(LimiterView<'a>),
    /// Tries its targets in order.
    Fallback,
    /// Sets request parameters before calling its gateway.
    Override(&'a Extra),
    /// Spreads requests over its targets.
    LoadBalance(Balance),
    /// Picks a target by what the request says.
    Conditional,
    /// Answers repeated requests from a cache.
    Cache(&'a CacheStats),
    /// Any other strategy, by name.
    Strategy(&'a str),
}

impl NodeKind<'_> {
    /// A short name: `gateway`, `retry`, `timeout`, `circuit_breaker`,
    /// `rate_limiter`, `fallback`, `override`, or the strategy's own.
    pub fn name(&self) -> &str {
        match self {
            NodeKind::Gateway(_) => "gateway",
            NodeKind::Retry(_) => "retry",
            NodeKind::Timeout(_) => "timeout",
            NodeKind::CircuitBreaker(_) => "circuit_breaker",
            NodeKind::RateLimiter(_) => "rate_limiter",
            NodeKind::Fallback => "fallback",
            NodeKind::Override(_) => "override",
            NodeKind::LoadBalance(_) => "loadbalance",
            NodeKind::Conditional => "conditional",
            NodeKind::Cache(_) => "cache",
            NodeKind::Strategy(name) => name,
        }
    }
}

/// Visits every node of the tree under `root`, parents before children,
/// with each node's path.
///
/// ```
/// use std::time::Duration;
/// use fastagentic::DemoGateway;
/// use fastagentic::gateway::{NodeKind, walk};
/// use fastagentic::reliability::{RetryPolicy, ReliableGateway, Target};
/// let gateway = ReliableGateway::new(DemoGateway::new())
///     .retry(RetryPolicy::new(2))
///     .fallback([Target::model("backup")]);
/// let mut retries = Vec::new();
/// walk(&gateway, &mut |path, kind| {
///     if let NodeKind::Retry(_) = kind {
///         retries.push(path.to_string());
///     }
/// });
/// assert_eq!(retries, ["targets[0]", "targets[1]"]);
/// ```
pub fn walk(root: &dyn LlmGateway, visit: &mut dyn FnMut(&NodePath, &NodeKind<'_>)) {
    walk_nodes(root, &mut |path, node| visit(path, &node.kind));
}

/// Like [`walk`], visiting whole nodes (what they share, too).
pub fn walk_nodes(root: &dyn LlmGateway, visit: &mut dyn FnMut(&NodePath, &Node<'_>)) {
    walk_at(root, &NodePath::root(), visit);
}

fn walk_at(gateway: &dyn LlmGateway, path: &NodePath, visit: &mut dyn FnMut(&NodePath, &Node<'_>)) {
    let node = gateway.node();
    visit(path, &node);
    for child in &node.children {
        match child.segment {
            Some(segment) => walk_at(child.gateway, &path.child(segment), visit),
            None => walk_at(child.gateway, path, visit),
        }
    }
}
