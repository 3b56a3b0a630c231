//! The route one call took through a gateway tree, recorded as data: which
//! node answered, after how many attempts, and the failures passed over.
//!
//! Each branching node (a fallback, a load balancer, a conditional router)
//! puts its own `targets[i]` in front of what the answering branch recorded,
//! so paths are built bottom-up and read as Portkey reports them:
//! `targets[1].targets[0]`.

use std::fmt;

use serde_json::{Map, Value, json};

use super::GatewayError;

/// One step down a gateway tree: the `i`-th target of a branching node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// `targets[i]`.
    Target(usize),
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Target(index) => write!(f, "targets[{index}]"),
        }
    }
}

/// Where a node sits in a gateway tree: the segments from the root, empty
/// for the root itself. Displays as `targets[1].targets[0]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodePath(Vec<PathSegment>);

impl NodePath {
    /// The root.
    pub const fn root() -> Self {
        Self(Vec::new())
    }

    /// The segments, from the root.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path below `segment`: `segment` put in front.
    pub fn under(&mut self, segment: PathSegment) {
        self.0.insert(0, segment);
    }

    /// The path of a child reached through `segment`.
    pub fn child(&self, segment: PathSegment) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment);
        Self(segments)
    }

    /// The index of the first segment: which target of the root answered.
    pub fn first_target(&self) -> Option<usize> {
        self.0.first().map(|PathSegment::Target(index)| *index)
    }
}

impl fmt::Display for NodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{segment}")?;
        }
        Ok(())
    }
}

impl From<PathSegment> for NodePath {
    fn from(segment: PathSegment) -> Self {
        Self(vec![segment])
    }
}

/// A target that failed and was passed over before another answered.
#[derive(Clone, Debug, PartialEq)]
pub struct PassedOver {
    /// Where the target sits, relative to the node the reply came from.
    pub path: NodePath,
    /// The model it was asked for.
    pub model: String,
    /// The error's kind ([`GatewayError::kind`]).
    pub error: &'static str,
    /// The provider's status, when it answered with one.
    pub status: Option<u16>,
}

impl PassedOver {
    /// The failure of the target at `path`, asked for `model`.
    pub fn new(path: NodePath, model: String, error: &GatewayError) -> Self {
        Self {
            path,
            model,
            error: error.kind(),
            status: error.status(),
        }
    }
}

/// What a cache did with a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheStatus {
    /// Answered from the cache.
    Hit,
    /// Not in the cache: answered upstream (and stored).
    Miss,
    /// Told to skip the cache: answered upstream and stored anew.
    Refresh,
    /// Answered from the cache with the answer to a prompt that means the
    /// same (the semantic cache).
    SemanticHit,
    /// No stored prompt near enough: answered upstream (and stored).
    SemanticMiss,
}

impl CacheStatus {
    /// `HIT`, `MISS`, `REFRESH`, `SEMANTIC HIT` or `SEMANTIC MISS`, as
    /// Portkey's `x-portkey-cache-status` says.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Refresh => "REFRESH",
            CacheStatus::SemanticHit => "SEMANTIC HIT",
            CacheStatus::SemanticMiss => "SEMANTIC MISS",
        }
    }

    /// Whether the answer came from the cache (exactly or semantically).
    pub fn is_hit(self) -> bool {
        matches!(self, CacheStatus::Hit | CacheStatus::SemanticHit)
    }
}

/// A cache's part of a route.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CacheFacts {
    /// What it did.
    pub status: CacheStatus,
    /// On a hit, the age of the entry served.
    pub age: Option<std::time::Duration>,
    /// On a semantic hit, the cosine similarity of the stored prompt.
    pub similarity: Option<f32>,
}

/// The route of one call, relative to the node that returns it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Route {
    /// The node that answered (empty: no branching node on the way).
    pub path: NodePath,
    /// Calls made to the node that answered (set by the innermost retry).
    pub attempts: Option<u32>,
    /// The model the answering node was asked for, when a branching node or
    /// an override chose it.
    pub model: Option<String>,
    /// The targets that failed before, in the order they were tried.
    pub passed_over: Vec<PassedOver>,
    /// What the cache nearest the answer did, when one was on the way.
    pub cache: Option<CacheFacts>,
}

impl Route {
    /// Records the attempts of the answering node, unless a retry nearer
    /// to it already did.
    pub fn note_attempts(&mut self, attempts: u32) {
        if self.cache.is_some_and(|cache| cache.status.is_hit()) {
            return; // answered from the cache: no call was made below it
        }
        self.attempts.get_or_insert(attempts);
    }

    /// Puts this route below target `index` of a branching node that passed
    /// over `failed` before (paths of `failed` are already the node's own).
    pub fn branch(&mut self, index: usize, asked_model: &str, mut failed: Vec<PassedOver>) {
        let segment = PathSegment::Target(index);
        self.path.under(segment);
        for passed in &mut self.passed_over {
            passed.path.under(segment);
        }
        failed.append(&mut self.passed_over);
        self.passed_over = failed;
        self.model.get_or_insert_with(|| asked_model.to_owned());
    }

    /// The facts hooks see in `metadata["fastagentic"]`, or `None` when no
    /// strategy recorded anything:
    /// `attempts`, and after a branching node `target_index` (which target
    /// of the outermost one answered), `model` and `failed` (each with
    /// `target_index`, `model`, `error`, `status`). In nested trees `path`
    /// gives the whole path, e.g. `targets[1].targets[0]`. With a cache on
    /// the way: `cache_status` (`HIT`, `MISS`, `REFRESH`, `SEMANTIC HIT`,
    /// `SEMANTIC MISS`), on a hit `cache_age_ms`, and on a semantic hit
    /// `cache_similarity`.
    pub fn facts(&self) -> Option<Value> {
        if self.path.is_root() && self.attempts.is_none() && self.cache.is_none() {
            return None;
        }
        let mut section = Map::new();
        if let Some(cache) = &self.cache {
            section.insert("cache_status".to_owned(), json!(cache.status.as_str()));
            if let Some(age) = cache.age {
                section.insert(
                    "cache_age_ms".to_owned(),
                    json!(u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
                );
            }
            if let Some(similarity) = cache.similarity {
                section.insert("cache_similarity".to_owned(), json!(similarity));
            }
            if self.path.is_root() && self.attempts.is_none() {
                return Some(Value::Object(section));
            }
        }
        if let Some(index) = self.path.first_target() {
            section.insert("target_index".to_owned(), json!(index));
            if let Some(model) = &self.model {
                section.insert("model".to_owned(), json!(model));
            }
            if self.path.segments().len() > 1 {
                section.insert("path".to_owned(), json!(self.path.to_string()));
            }
            let failed = self
                .passed_over
                .iter()
                .map(|passed| {
                    let mut entry = Map::new();
                    entry.insert("target_index".to_owned(), json!(passed.path.first_target()));
                    if passed.path.segments().len() > 1 {
                        entry.insert("path".to_owned(), json!(passed.path.to_string()));
                    }
                    entry.insert("model".to_owned(), json!(passed.model));
                    entry.insert("error".to_owned(), json!(passed.error));
                    entry.insert("status".to_owned(), json!(passed.status));
                    Value::Object(entry)
                })
                .collect();
            section.insert("failed".to_owned(), Value::Array(failed));
        }
        section.insert("attempts".to_owned(), json!(self.attempts.unwrap_or(1)));
        Some(Value::Object(section))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16) -> GatewayError {
        GatewayError::Upstream {
            provider: "p".into(),
            status,
            message: String::new(),
            body: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn nested_branches_build_the_path_bottom_up() {
        // Inner fallback: target 0 failed, target 1 answered after 2 attempts.
        let mut route = Route::default();
        route.note_attempts(2);
        let inner_failed = vec![PassedOver::new(
            PathSegment::Target(0).into(),
            "a".into(),
            &failure(503),
        )];
        route.branch(1, "b", inner_failed);
        // Outer fallback: its target 0 failed, its target 2 (the inner one) answered.
        let outer_failed = vec![PassedOver::new(
            PathSegment::Target(0).into(),
            "x".into(),
            &failure(429),
        )];
        route.branch(2, "outer-model", outer_failed);
        assert_eq!(route.path.to_string(), "targets[2].targets[1]");
        assert_eq!(route.model.as_deref(), Some("b"));
        let facts = route.facts().expect("facts");
        assert_eq!(facts["target_index"], 2);
        assert_eq!(facts["path"], "targets[2].targets[1]");
        assert_eq!(facts["attempts"], 2);
        assert_eq!(facts["failed"][0]["target_index"], 0);
        assert_eq!(facts["failed"][0]["status"], 429);
        assert_eq!(facts["failed"][1]["path"], "targets[2].targets[0]");
        assert_eq!(facts["failed"][1]["model"], "a");
    }

    #[test]
    fn no_strategy_no_facts() {
        assert_eq!(Route::default().facts(), None);
        let mut retried = Route::default();
        retried.note_attempts(3);
        retried.note_attempts(1);
        assert_eq!(retried.facts(), Some(json!({"attempts": 3})));
    }
}
