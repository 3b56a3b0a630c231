//! How the reliability layer tells the layers above what it did.
//!
//! Retries and fallbacks happen below the [`LlmClient`](crate::LlmClient),
//! inside the gateway tree, where hooks are out of reach. Each call's
//! [`CallContext`] may therefore carry a [`CallObserver`]: the gateways report
//! a [`GatewayEvent`] to it before they act, and wait for it, so an observer
//! runs before the retry it hears about. The `LlmClient` installs one that
//! runs `on_retry` hooks; with no observer, nothing is built or awaited.

use std::sync::Arc;
use std::time::Duration;

use crate::gateway::{BoxFuture, CallContext, GatewayError};

/// Something the reliability layer did during one call.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum GatewayEvent {
    /// A call failed and is about to be tried again on the same target.
    Retry(RetryEvent),
    /// A target failed and the next target of a fallback chain is about to be tried.
    Fallback(FallbackEvent),
}

/// A retry, reported before the wait that precedes it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RetryEvent {
    /// The attempt that failed: 1 for the first call, so the next one is `attempt + 1`.
    pub attempt: u32,
    /// Why it failed.
    pub error: GatewayError,
    /// How long the gateway waits before the next attempt (the backoff, or
    /// what the provider asked for with `Retry-After`).
    pub delay: Duration,
    /// The model the call asked for.
    pub model: String,
    /// The gateway being retried.
    pub gateway: String,
}

/// A move to the next target of a fallback chain.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FallbackEvent {
    /// The target that failed (0 is the primary).
    pub from_index: usize,
    /// The target tried next.
    pub to_index: usize,
    /// The model the next target is asked for.
    pub to_model: String,
    /// Why the failed target failed.
    pub error: GatewayError,
}

/// Hears the [`GatewayEvent`]s of the calls whose [`CallContext`] carries it.
///
/// The gateway awaits the returned future before it goes on, so keep it
/// short: record, log, run hooks.
pub trait CallObserver: Send + Sync + 'static {
    /// Handles one event of `call`.
    fn on_event<'a>(&'a self, call: &'a CallContext, event: &'a GatewayEvent) -> BoxFuture<'a, ()>;
}

/// Two observers, run in order (installing a second observer keeps the first).
pub(crate) struct Both(pub Arc<dyn CallObserver>, pub Arc<dyn CallObserver>);

impl CallObserver for Both {
    fn on_event<'a>(&'a self, call: &'a CallContext, event: &'a GatewayEvent) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.0.on_event(call, event).await;
            self.1.on_event(call, event).await;
        })
    }
}
