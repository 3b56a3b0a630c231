//! [`RetryConfig`]: Portkey's automatic retries, merged into the config as
//! `"retry": {"attempts", "on_status_codes"}` (the SDKs have no retry option;
//! the config carries it).

use serde_json::{Value, json};

/// The status codes Portkey retries when `on_status_codes` is not given.
pub const DEFAULT_RETRY_STATUS_CODES: [u16; 5] = [429, 500, 502, 503, 504];

/// Automatic retries, for [`PortkeyGateway::retry`](crate::PortkeyGateway::retry).
///
/// Portkey waits 1, 2, 4, 8, 16 s between attempts (no jitter) and makes at
/// most 5.
///
/// ```
/// use fastagentic_portkey::RetryConfig;
/// let retry = RetryConfig::attempts(3).on_status_codes([429, 503]);
/// assert_eq!(retry.to_json(), serde_json::json!({"attempts": 3, "on_status_codes": [429, 503]}));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    attempts: u32,
    on_status_codes: Option<Vec<u16>>,
    use_retry_after_header: Option<bool>,
}

impl RetryConfig {
    /// Retries a failed call up to `attempts` times (at most 5; checked when
    /// the gateway is).
    pub fn attempts(attempts: u32) -> Self {
        Self {
            attempts,
            on_status_codes: None,
            use_retry_after_header: None,
        }
    }

    /// Retries only on these statuses (default
    /// [`DEFAULT_RETRY_STATUS_CODES`]).
    pub fn on_status_codes(mut self, codes: impl IntoIterator<Item = u16>) -> Self {
        self.on_status_codes = Some(codes.into_iter().collect());
        self
    }

    /// Waits as long as a 429's `Retry-After` asks.
    pub fn use_retry_after_header(mut self, yes: bool) -> Self {
        self.use_retry_after_header = Some(yes);
        self
    }

    /// How many retries.
    pub fn attempt_count(&self) -> u32 {
        self.attempts
    }

    /// The statuses that are retried.
    pub fn status_codes(&self) -> &[u16] {
        self.on_status_codes
            .as_deref()
            .unwrap_or(&DEFAULT_RETRY_STATUS_CODES)
    }

    /// `{"attempts": ..., "on_status_codes": [...]}`, as merged into the config.
    pub fn to_json(&self) -> Value {
        let mut json = json!({"attempts": self.attempts});
        if let Some(codes) = &self.on_status_codes {
            json["on_status_codes"] = json!(codes);
        }
        if let Some(yes) = self.use_retry_after_header {
            json["use_retry_after_header"] = json!(yes);
        }
        json
    }
}
