//! [`LimitBy`]: what a rate limit keeps one budget per (the whole gateway,
//! each user, each value of a request-metadata entry such as the caller's
//! API key id), and [`Part`], the hashed name of one such budget.

use sha2::{Digest, Sha256};

use crate::gateway::CallContext;

/// What a [`RateLimit`](super::RateLimit) keeps one budget per.
///
/// ```
/// use fastagentic::reliability::{LimitBy, RateLimit};
/// let per_user = RateLimit::new().requests_per_minute(60).per_user();
/// assert_eq!(per_user.limit_by(), &LimitBy::User);
/// let per_key = RateLimit::new().tokens_per_minute(50_000).per_metadata("api_key");
/// assert_eq!(per_key.limit_by(), &LimitBy::Metadata("api_key".to_owned()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitBy {
    /// One budget for every call through the limiter (the default).
    #[default]
    Whole,
    /// One budget per user ([`CallContext::user_id`]); calls without a user
    /// share one budget.
    User,
    /// One budget per value of this request-metadata entry
    /// ([`CallContext::request_metadata`]), e.g. the caller's API key (or
    /// its id) as an auth hook or the `x-fastagentic-metadata` header sets
    /// it; calls without the entry share one budget.
    Metadata(String),
}

/// One budget of a partitioned limit: the sha256 of what names it, so an
/// API key or a user name is never kept, logged or sent to Redis as such.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Part([u8; 16]);

impl Part {
    /// The first 128 bits, as 32 hex digits (what Redis keys carry).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn to_hex(self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

impl LimitBy {
    /// The budget `call` spends, `None` for [`Whole`](Self::Whole).
    pub(crate) fn part(&self, call: &CallContext) -> Option<Part> {
        let (kind, value): (&[u8], Option<String>) = match self {
            LimitBy::Whole => return None,
            LimitBy::User => (b"user", call.user_id().map(str::to_owned)),
            LimitBy::Metadata(name) => (
                b"metadata",
                call.request_metadata().get(name).map(|value| match value {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                }),
            ),
        };
        let mut hasher = Sha256::new();
        hasher.update(kind);
        match value {
            Some(value) => {
                hasher.update([1]);
                hasher.update(value.as_bytes());
            }
            None => hasher.update([0]),
        }
        let digest = hasher.finalize();
        let mut part = [0u8; 16];
        part.copy_from_slice(&digest[..16]);
        Some(Part(part))
    }

    /// How a refusal names the budget: "per user", "per `api_key`".
    pub(crate) fn describe(&self) -> Option<String> {
        match self {
            LimitBy::Whole => None,
            LimitBy::User => Some("per user".to_owned()),
            LimitBy::Metadata(name) => Some(format!("per `{name}`")),
        }
    }

    /// Where the budget's name goes in its Redis keys: `user`, `metadata`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            LimitBy::Whole => "whole",
            LimitBy::User => "user",
            LimitBy::Metadata(_) => "metadata",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn each_user_and_each_key_has_its_own_hashed_budget() {
        let alice = CallContext::detached().with_user(Some(Arc::from("alice")));
        let bob = CallContext::detached().with_user(Some(Arc::from("bob")));
        let nobody = CallContext::detached();
        assert_eq!(LimitBy::Whole.part(&alice), None);
        let user = LimitBy::User;
        assert_ne!(user.part(&alice), user.part(&bob));
        assert_eq!(user.part(&alice), user.part(&alice.clone()));
        assert_ne!(user.part(&alice), user.part(&nobody));

        let mut keyed = CallContext::detached();
        keyed.set_request_metadata("api_key", "sk-live-secret-1234");
        let by_key = LimitBy::Metadata("api_key".to_owned());
        let part = by_key.part(&keyed).expect("a part");
        assert_ne!(Some(part), by_key.part(&nobody));
        let hex = part.to_hex();
        assert_eq!(hex.len(), 32);
        assert!(!hex.contains("secret") && !format!("{part:?}").contains("secret"));
        // A user named like a key value is another budget.
        let named = CallContext::detached().with_user(Some(Arc::from("sk-live-secret-1234")));
        assert_ne!(user.part(&named), Some(part));
    }
}
