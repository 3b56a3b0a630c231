//! [`MetadataWith`]: metadata entries computed per call, one closure
//! signature for every gateway that sends metadata.

use std::fmt;

use serde_json::Value;

use super::PerCall;
use crate::gateway::CallContext;

/// What every `metadata_with` closure becomes: the entry's value for a call,
/// `None` to leave it out.
pub type MetadataFn = PerCall<Option<Value>>;

/// Keyed metadata entries computed per call, in the order they were added.
/// `Debug` shows the keys.
///
/// ```
/// use fastagentic::CallContext;
/// use fastagentic::gateway::kit::MetadataWith;
/// let mut entries = MetadataWith::default();
/// entries.push_str("endpoint", |ctx| Some(ctx.endpoint()));
/// entries.push_string("run", |ctx| Some(ctx.run_id().to_string()));
/// entries.push_str("user", |ctx| ctx.user_id());
/// let call = CallContext::detached();
/// let values: Vec<(&str, serde_json::Value)> = entries.values(&call).collect();
/// assert_eq!(values.len(), 2); // no user on a detached call
/// ```
#[derive(Clone, Default)]
pub struct MetadataWith(Vec<(String, MetadataFn)>);

impl MetadataWith {
    /// Adds an entry whose value a closure computes as JSON.
    pub fn push<F>(&mut self, key: impl Into<String>, value: F)
    where
        F: Fn(&CallContext) -> Option<Value> + Send + Sync + 'static,
    {
        self.0.push((key.into(), PerCall::new(value)));
    }

    /// Adds an entry whose value borrows from the call (`|ctx| ctx.user_id()`).
    pub fn push_str<F>(&mut self, key: impl Into<String>, value: F)
    where
        F: Fn(&CallContext) -> Option<&str> + Send + Sync + 'static,
    {
        self.push(key, move |call| value(call).map(Value::from));
    }

    /// Adds an entry whose value the closure builds as a string.
    pub fn push_string<F>(&mut self, key: impl Into<String>, value: F)
    where
        F: Fn(&CallContext) -> Option<String> + Send + Sync + 'static,
    {
        self.push(key, move |call| value(call).map(Value::from));
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(key, _)| key.as_str())
    }

    /// The entries' values for `call` (those that are not `None`).
    pub fn values<'a>(&'a self, call: &'a CallContext) -> impl Iterator<Item = (&'a str, Value)> {
        self.0
            .iter()
            .filter_map(|(key, value)| Some((key.as_str(), value.get(call)?)))
    }
}

impl fmt::Debug for MetadataWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys()).finish()
    }
}
