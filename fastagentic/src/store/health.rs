//! [`StoreHealth`]: whether Redis answers, and every time a piece fell back
//! to its local state (for the log and `/metrics`).
//!
//! After a failed call the store is *down*: calls skip Redis (no waiting on
//! a dead server) and one call probes it again every `retry_interval`; the
//! first success brings it back *up*. Both moves are logged once each.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::reliability::clock::{nanos, now_nanos};

/// Which shared piece fell back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    Cache,
    RateLimit,
    CircuitBreaker,
}

impl Piece {
    const ALL: [Piece; 3] = [Piece::Cache, Piece::RateLimit, Piece::CircuitBreaker];

    fn as_str(self) -> &'static str {
        match self {
            Piece::Cache => "cache",
            Piece::RateLimit => "rate_limit",
            Piece::CircuitBreaker => "circuit_breaker",
        }
    }
}

/// Why it fell back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Redis did not answer within the store's timeout.
    Timeout,
    /// The call failed (connection refused or lost, an error reply).
    Error,
    /// Redis was known to be down: the call was not tried.
    Down,
}

impl Reason {
    const ALL: [Reason; 3] = [Reason::Timeout, Reason::Error, Reason::Down];

    fn as_str(self) -> &'static str {
        match self {
            Reason::Timeout => "timeout",
            Reason::Error => "error",
            Reason::Down => "down",
        }
    }
}

/// Fallbacks to local state, by piece and reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FallbackCounts(Vec<(&'static str, &'static str, u64)>);

impl FallbackCounts {
    /// `(piece, reason, count)` for every pair: piece `cache`, `rate_limit`
    /// or `circuit_breaker`; reason `timeout`, `error` or `down`.
    pub fn entries(&self) -> &[(&'static str, &'static str, u64)] {
        &self.0
    }

    /// All fallbacks.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, _, n)| n).sum()
    }
}

/// Whether a shared store answers, and how often pieces fell back.
#[derive(Debug)]
pub struct StoreHealth {
    address: String,
    up: AtomicBool,
    retry_at: AtomicU64,
    retry_interval: u64,
    recoveries: AtomicU64,
    fallbacks: [AtomicU64; 9],
}

impl StoreHealth {
    pub(crate) fn new(address: String, retry_interval: Duration) -> Self {
        Self {
            address,
            up: AtomicBool::new(true),
            retry_at: AtomicU64::new(0),
            retry_interval: nanos(retry_interval),
            recoveries: AtomicU64::new(0),
            fallbacks: Default::default(),
        }
    }

    /// Where the store is (password hidden).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether the last call answered.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    /// How often the store came back after being down.
    pub fn recoveries(&self) -> u64 {
        self.recoveries.load(Ordering::Relaxed)
    }

    /// Fallbacks to local state so far.
    pub fn fallbacks(&self) -> FallbackCounts {
        let mut counts = Vec::with_capacity(9);
        for piece in Piece::ALL {
            for reason in Reason::ALL {
                counts.push((
                    piece.as_str(),
                    reason.as_str(),
                    self.slot(piece, reason).load(Ordering::Relaxed),
                ));
            }
        }
        FallbackCounts(counts)
    }

    fn slot(&self, piece: Piece, reason: Reason) -> &AtomicU64 {
        let p = Piece::ALL.iter().position(|x| *x == piece).unwrap_or(0);
        let r = Reason::ALL.iter().position(|x| *x == reason).unwrap_or(0);
        &self.fallbacks[p * 3 + r]
    }

    /// Whether a call may go to Redis now: always while it is up; while it
    /// is down, one call per retry interval (the probe).
    pub(crate) fn may_try(&self, piece: Piece) -> bool {
        if self.is_up() {
            return true;
        }
        let now = now_nanos();
        let retry_at = self.retry_at.load(Ordering::SeqCst);
        let probe = now >= retry_at
            && self
                .retry_at
                .compare_exchange(
                    retry_at,
                    now.saturating_add(self.retry_interval),
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok();
        if !probe {
            self.slot(piece, Reason::Down)
                .fetch_add(1, Ordering::Relaxed);
        }
        probe
    }

    pub(crate) fn succeeded(&self) {
        if !self.is_up() && !self.up.swap(true, Ordering::SeqCst) {
            self.recoveries.fetch_add(1, Ordering::Relaxed);
            tracing::info!(store = %self.address, "shared store answers again: shared state is used again");
        }
    }

    pub(crate) fn failed(&self, piece: Piece, reason: Reason, detail: &str) {
        self.slot(piece, reason).fetch_add(1, Ordering::Relaxed);
        self.retry_at.store(
            now_nanos().saturating_add(self.retry_interval),
            Ordering::SeqCst,
        );
        if self.up.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                store = %self.address,
                piece = piece.as_str(),
                reason = reason.as_str(),
                error = %detail,
                "shared store unavailable: caches miss, limits and breakers use local state until it answers"
            );
        } else {
            tracing::debug!(store = %self.address, piece = piece.as_str(), reason = reason.as_str(), error = %detail, "shared store still unavailable");
        }
    }
}
