//! HTTP clients for talking to servers on loopback in tests.

use std::time::Duration;

/// A fresh client that never goes through a proxy from the environment
/// (`HTTP_PROXY` would otherwise capture loopback traffic), with an overall
/// per-request `timeout`.
///
/// # Panics
/// When the TLS backend cannot start (a broken build environment).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .unwrap_or_else(|e| panic!("cannot build an HTTP client: {e}"))
}
