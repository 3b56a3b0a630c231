//! [`PerCall`]: a value a gateway computes for each call from its context.

use std::fmt;
use std::sync::Arc;

use crate::gateway::CallContext;

/// A value computed per call from the [`CallContext`], e.g. Portkey's trace
/// id or LiteLLM's end user. `Debug` says only that it is computed.
pub struct PerCall<T>(Arc<dyn Fn(&CallContext) -> T + Send + Sync>);

impl<T> PerCall<T> {
    /// Computes the value with `make`.
    pub fn new<F>(make: F) -> Self
    where
        F: Fn(&CallContext) -> T + Send + Sync + 'static,
    {
        Self(Arc::new(make))
    }

    /// The value for this call.
    pub fn get(&self, call: &CallContext) -> T {
        (self.0)(call)
    }
}

impl<T> Clone for PerCall<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> fmt::Debug for PerCall<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<computed per call>")
    }
}
