//! [`SharedSlot`]: where a cache keeps the store the app shares with it,
//! unless the cache was given a store of its own.

use std::sync::{Arc, OnceLock};

/// One store a cache can take from the app's shared store: filled at most
/// once, and never when the cache was given its own.
pub(crate) struct SharedSlot<T: ?Sized> {
    /// Set when the cache was given its own store, or once the slot was offered one.
    decided: OnceLock<()>,
    store: OnceLock<Arc<T>>,
}

impl<T: ?Sized> Default for SharedSlot<T> {
    fn default() -> Self {
        Self {
            decided: OnceLock::new(),
            store: OnceLock::new(),
        }
    }
}

impl<T: ?Sized> SharedSlot<T> {
    /// The cache was given its own store: the app's is never taken.
    pub(crate) fn keep_own(&self) {
        let _ = self.decided.set(());
    }

    /// Takes the store `make` builds from the app's shared store (`None`:
    /// nothing to share), unless the cache has its own or took one already.
    pub(crate) fn offer(&self, make: impl FnOnce() -> Option<Arc<T>>) {
        if self.decided.set(()).is_err() {
            return;
        }
        if let Some(store) = make() {
            let _ = self.store.set(store);
        }
    }

    /// The store taken from the app, if any.
    pub(crate) fn get(&self) -> Option<&Arc<T>> {
        self.store.get()
    }
}
