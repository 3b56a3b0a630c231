//! A hook's view of a request or response as JSON, built on first read.
//!
//! Most hooks read the usage, model or user and never the JSON: building
//! it for every LLM call cost about 8k instructions per request
//! (callgrind), so it is built only when a hook asks for it.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// How to build the value when first read.
type Build = Arc<dyn Fn() -> Option<Value> + Send + Sync>;

/// A JSON value that is either there, or built from its source on first read.
#[derive(Clone, Default)]
pub(crate) struct LazyJson {
    value: OnceLock<Option<Value>>,
    build: Option<Build>,
    replaced: bool,
}

impl LazyJson {
    /// A value built by `build` when first read.
    pub(crate) fn lazy(build: impl Fn() -> Option<Value> + Send + Sync + 'static) -> Self {
        Self {
            value: OnceLock::new(),
            build: Some(Arc::new(build)),
            replaced: false,
        }
    }

    /// The value, built now if it was not yet.
    pub(crate) fn get(&self) -> Option<&Value> {
        self.value
            .get_or_init(|| self.build.as_ref().and_then(|build| build()))
            .as_ref()
    }

    /// Sets the value (the source, if any, is forgotten). Not a
    /// replacement: see [`replace`](Self::replace).
    pub(crate) fn set(&mut self, value: Option<Value>) {
        self.value = OnceLock::from(value);
        self.build = None;
    }

    /// Replaces the value, as a hook's `Modify` does.
    pub(crate) fn replace(&mut self, value: Value) {
        self.set(Some(value));
        self.replaced = true;
    }

    /// Whether a hook replaced the value.
    pub(crate) fn replaced(&self) -> bool {
        self.replaced
    }

    /// Takes the value out (built now if it was not yet).
    pub(crate) fn take(&mut self) -> Option<Value> {
        self.get();
        self.build = None;
        self.value.take().flatten()
    }
}

impl std::fmt::Debug for LazyJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.value.get(), &self.build) {
            (Some(value), _) => value.fmt(f),
            (None, Some(_)) => f.write_str("<built when read>"),
            (None, None) => None::<Value>.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn builds_once_and_only_when_read() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counter = builds.clone();
        let mut json = LazyJson::lazy(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            Some(serde_json::json!({"a": 1}))
        });
        assert_eq!(format!("{json:?}"), "<built when read>");
        assert_eq!(builds.load(Ordering::Relaxed), 0);
        assert_eq!(json.get(), Some(&serde_json::json!({"a": 1})));
        assert_eq!(json.get(), Some(&serde_json::json!({"a": 1})));
        assert_eq!(builds.load(Ordering::Relaxed), 1);
        assert!(!json.replaced());
        json.replace(serde_json::json!(2));
        assert!(json.replaced());
        assert_eq!(json.take(), Some(serde_json::json!(2)));
        assert_eq!(json.get(), None);
    }
}
