//! Which failures are which: the classes a retry policy, a fallback chain
//! and a circuit breaker name, and a filter over classes and status codes.

use crate::gateway::GatewayError;

/// A kind of failure, as a retry policy, a fallback chain or a circuit
/// breaker names it. Failures in no class (a 400 or 401, a malformed answer,
/// a misconfiguration, a hook's rejection, a stream that broke after its
/// first chunk) are never retried or failed over unless their status code is
/// named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The provider answered 429, or a local rate limit refused the call.
    RateLimit,
    /// No answer in time: a per-call timeout passed, or the provider answered 408.
    Timeout,
    /// The provider answered 5xx.
    ServerError,
    /// The provider could not be reached, or a stream broke before its first chunk.
    Connection,
}

impl ErrorClass {
    /// Every class, in the order of [`fastagentic_rules::reliability::ERROR_CLASSES`].
    pub const ALL: [ErrorClass; 4] = [
        ErrorClass::RateLimit,
        ErrorClass::Timeout,
        ErrorClass::ServerError,
        ErrorClass::Connection,
    ];

    /// The class's name, as written in `retry_on = [...]`.
    pub fn as_str(self) -> &'static str {
        fastagentic_rules::reliability::ERROR_CLASSES[self as usize]
    }

    /// The class named `name`, or the rules' message listing the valid names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        fastagentic_rules::reliability::check_error_class(name)?;
        Self::ALL
            .into_iter()
            .find(|class| class.as_str() == name)
            .ok_or_else(|| format!("unknown error class `{name}`"))
    }

    /// The class of `error`, if it has one.
    pub fn of(error: &GatewayError) -> Option<Self> {
        match error {
            GatewayError::Upstream { status: 429, .. } | GatewayError::RateLimited { .. } => {
                Some(ErrorClass::RateLimit)
            }
            GatewayError::Upstream { status: 408, .. } | GatewayError::Timeout { .. } => {
                Some(ErrorClass::Timeout)
            }
            GatewayError::Upstream { status, .. } if (500..=599).contains(status) => {
                Some(ErrorClass::ServerError)
            }
            GatewayError::Connection { .. } | GatewayError::StreamInterrupted { chunks: 0, .. } => {
                Some(ErrorClass::Connection)
            }
            _ => None,
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of failures: error classes plus exact status codes.
///
/// ```
/// use fastagentic::reliability::{ErrorClass, ErrorFilter};
/// // 429, 5xx, unreachable, plus 409 Conflict.
/// let filter = ErrorFilter::transient().status(409);
/// assert!(filter.contains(ErrorClass::ServerError));
/// assert!(!filter.contains(ErrorClass::Timeout));
/// let also_timeouts = filter.with(ErrorClass::Timeout);
/// assert!(also_timeouts.contains(ErrorClass::Timeout));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorFilter {
    classes: u8,
    statuses: Vec<u16>,
}

impl ErrorFilter {
    /// No failure at all.
    pub const fn none() -> Self {
        Self {
            classes: 0,
            statuses: Vec::new(),
        }
    }

    /// Failures where the provider surely did not do the work: 429, 5xx, and
    /// unreachable (or a stream that broke before its first chunk). The
    /// default of retry policies and fallback chains. Timeouts are left out
    /// because the provider may still be running (and billing) the call
    /// given up on; add them with `.with(ErrorClass::Timeout)`.
    pub const fn transient() -> Self {
        Self {
            classes: ErrorClass::RateLimit.bit()
                | ErrorClass::ServerError.bit()
                | ErrorClass::Connection.bit(),
            statuses: Vec::new(),
        }
    }

    /// Every class.
    pub const fn all_classes() -> Self {
        Self {
            classes: ErrorClass::RateLimit.bit()
                | ErrorClass::Timeout.bit()
                | ErrorClass::ServerError.bit()
                | ErrorClass::Connection.bit(),
            statuses: Vec::new(),
        }
    }

    /// Adds a class.
    pub const fn with(mut self, class: ErrorClass) -> Self {
        self.classes |= class.bit();
        self
    }

    /// Removes a class.
    pub const fn without(mut self, class: ErrorClass) -> Self {
        self.classes &= !class.bit();
        self
    }

    /// Adds an exact status code (checked at start-up: 400 to 599).
    pub fn status(mut self, code: u16) -> Self {
        if !self.statuses.contains(&code) {
            self.statuses.push(code);
        }
        self
    }

    /// Adds exact status codes.
    pub fn statuses(self, codes: impl IntoIterator<Item = u16>) -> Self {
        codes.into_iter().fold(self, Self::status)
    }

    /// Whether `class` is in the set.
    pub fn contains(&self, class: ErrorClass) -> bool {
        self.classes & class.bit() != 0
    }

    /// The exact status codes in the set.
    pub fn status_codes(&self) -> &[u16] {
        &self.statuses
    }

    /// Whether `error` is in the set: its class, or its status code, is named.
    pub fn matches(&self, error: &GatewayError) -> bool {
        ErrorClass::of(error).is_some_and(|class| self.contains(class))
            || error
                .status()
                .is_some_and(|status| self.statuses.contains(&status))
    }

    /// Checks the status codes against the shared rules (400 to 599).
    pub fn check(&self) -> Result<(), String> {
        self.statuses.iter().try_for_each(|code| {
            fastagentic_rules::reliability::check_error_status(u64::from(*code))
        })
    }
}

impl From<ErrorClass> for ErrorFilter {
    fn from(class: ErrorClass) -> Self {
        Self::none().with(class)
    }
}

impl<const N: usize> From<[ErrorClass; N]> for ErrorFilter {
    fn from(classes: [ErrorClass; N]) -> Self {
        classes.into_iter().collect()
    }
}

impl FromIterator<ErrorClass> for ErrorFilter {
    fn from_iter<I: IntoIterator<Item = ErrorClass>>(classes: I) -> Self {
        classes.into_iter().fold(Self::none(), Self::with)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn upstream(status: u16) -> GatewayError {
        GatewayError::Upstream {
            provider: "p".into(),
            status,
            message: String::new(),
            body: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn classifies() {
        assert_eq!(ErrorClass::of(&upstream(429)), Some(ErrorClass::RateLimit));
        assert_eq!(ErrorClass::of(&upstream(408)), Some(ErrorClass::Timeout));
        assert_eq!(
            ErrorClass::of(&upstream(503)),
            Some(ErrorClass::ServerError)
        );
        assert_eq!(ErrorClass::of(&upstream(400)), None);
        assert_eq!(ErrorClass::of(&upstream(401)), None);
        let broke = |chunks| GatewayError::StreamInterrupted {
            provider: "p".into(),
            chunks,
            message: String::new(),
        };
        assert_eq!(ErrorClass::of(&broke(0)), Some(ErrorClass::Connection));
        assert_eq!(ErrorClass::of(&broke(2)), None);
        let local = GatewayError::RateLimited {
            limit: "1 request per minute".into(),
            retry_after: Duration::from_secs(1),
        };
        assert_eq!(ErrorClass::of(&local), Some(ErrorClass::RateLimit));
        let open = GatewayError::CircuitOpen {
            target: "t".into(),
            retry_after: Duration::from_secs(1),
        };
        assert_eq!(ErrorClass::of(&open), None);
    }

    #[test]
    fn filters_by_class_and_status() {
        let filter = ErrorFilter::transient();
        assert!(filter.matches(&upstream(503)));
        assert!(filter.matches(&upstream(429)));
        assert!(!filter.matches(&upstream(400)));
        assert!(!filter.matches(&upstream(408)));
        let filter = filter.status(400).without(ErrorClass::RateLimit);
        assert!(filter.matches(&upstream(400)));
        assert!(!filter.matches(&upstream(429)));
        assert_eq!(
            ErrorFilter::from([ErrorClass::Timeout]),
            ErrorFilter::none().with(ErrorClass::Timeout)
        );
        assert!(ErrorFilter::none().status(200).check().is_err());
    }

    #[test]
    fn names_match_the_shared_rules() {
        for class in ErrorClass::ALL {
            assert_eq!(ErrorClass::from_name(class.as_str()), Ok(class));
        }
        assert_eq!(
            ErrorClass::ALL.len(),
            fastagentic_rules::reliability::ERROR_CLASSES.len()
        );
    }
}
