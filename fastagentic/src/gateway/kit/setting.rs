//! [`Setting`]: a gateway option and where its value came from.

use std::fmt;

use crate::Secret;

/// Where a setting's value came from: a start-up problem names the
/// environment variable to fix, or the builder call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The gateway's default.
    Default,
    /// A builder call.
    Given,
    /// The environment variable of this name.
    Env(&'static str),
}

impl Origin {
    /// The tail of a message about the value: ` (from VAR)` for a value read
    /// from the environment, nothing otherwise.
    pub fn tail(self) -> String {
        match self {
            Origin::Env(var) => format!(" (from {var})"),
            Origin::Default | Origin::Given => String::new(),
        }
    }

    /// The environment variable the value came from.
    pub fn env(self) -> Option<&'static str> {
        match self {
            Origin::Env(var) => Some(var),
            Origin::Default | Origin::Given => None,
        }
    }
}

/// A value with its [`Origin`]. `Debug` shows the value alone (a
/// [`Secret`]'s as `***`).
///
/// ```
/// use fastagentic::gateway::kit::{Origin, Setting};
/// let key = Setting::given(fastagentic::Secret::new("sk-1"));
/// assert_eq!(key.origin(), Origin::Given);
/// assert_eq!(format!("{key:?}"), "Secret(***)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Setting<T> {
    value: T,
    origin: Origin,
}

impl<T> Setting<T> {
    /// `value` from `origin`.
    pub fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }

    /// `value` given by a builder call.
    pub fn given(value: T) -> Self {
        Self::new(value, Origin::Given)
    }

    /// The value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Where the value came from.
    pub fn origin(&self) -> Origin {
        self.origin
    }
}

impl Setting<Secret> {
    /// The secret in the environment variable `var`; `None` when unset or blank.
    pub fn secret_from_env(var: &'static str) -> Option<Self> {
        Secret::from_env(var).map(|secret| Self::new(secret, Origin::Env(var)))
    }
}

impl Setting<String> {
    /// The trimmed text of the environment variable `var`; `None` when unset or blank.
    pub fn text_from_env(var: &'static str) -> Option<Self> {
        std::env::var(var)
            .ok()
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .map(|text| Self::new(text, Origin::Env(var)))
    }
}

impl<T: fmt::Debug> fmt::Debug for Setting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}
