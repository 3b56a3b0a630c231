//! A monotonic clock in nanoseconds, for state kept in atomics.
//!
//! Rate limiters and circuit breakers store instants as `u64` nanoseconds
//! since a process-wide origin, so they can compare and swap them without a
//! lock. Their logic takes `now` as an argument and is tested with made-up
//! times.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Nanoseconds since the first call in this process.
pub(crate) fn now_nanos() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A duration in whole nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// How long from `now` until `then` (zero when `then` has passed).
pub(crate) fn until(now: u64, then: u64) -> Duration {
    Duration::from_nanos(then.saturating_sub(now))
}
