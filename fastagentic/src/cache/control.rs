//! What one request tells the caches: refresh, or look in another namespace.

use std::sync::Arc;

/// Per-request cache instructions (Portkey's `x-portkey-cache-force-refresh`
/// and `x-portkey-cache-namespace`), carried by the [`CallContext`](crate::CallContext).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// Skip the cached answer, call upstream, and store the new answer.
    pub force_refresh: bool,
    /// Look up and store in this namespace instead of the cache's own.
    pub namespace: Option<Arc<str>>,
}
