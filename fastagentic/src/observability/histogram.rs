//! A latency histogram of atomics: recording is three `fetch_add`s, no lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bucket upper bounds in seconds, for requests and LLM calls alike (LLM
/// calls run from milliseconds to minutes).
pub(crate) const BOUNDS_SECONDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// The same bounds in nanoseconds, for comparing without floating point.
const BOUNDS_NANOS: [u64; 14] = [
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
    30_000_000_000,
    60_000_000_000,
    120_000_000_000,
];

/// Counts per bucket (not cumulative: each observation lands in one slot,
/// the last slot being `+Inf`), and the sum in nanoseconds.
#[derive(Default)]
pub(crate) struct Histogram {
    slots: [AtomicU64; BOUNDS_NANOS.len() + 1],
    sum_nanos: AtomicU64,
}

/// What a histogram holds at one moment, cumulative as Prometheus wants it.
pub(crate) struct HistogramSnapshot {
    /// `(upper bound in seconds, observations at or below it)`.
    pub buckets: [(f64, u64); BOUNDS_SECONDS.len()],
    /// All observations (the `+Inf` bucket and `_count`).
    pub count: u64,
    /// Their sum in seconds.
    pub sum_seconds: f64,
}

impl Histogram {
    /// Records one duration.
    pub(crate) fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let slot = BOUNDS_NANOS
            .iter()
            .position(|bound| nanos <= *bound)
            .unwrap_or(BOUNDS_NANOS.len());
        self.slots[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The cumulative counts; the count is their total, so `+Inf` and
    /// `_count` always agree with the buckets.
    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut buckets = [(0.0, 0); BOUNDS_SECONDS.len()];
        let mut running = 0u64;
        for (i, bound) in BOUNDS_SECONDS.iter().enumerate() {
            running += self.slots[i].load(Ordering::Relaxed);
            buckets[i] = (*bound, running);
        }
        running += self.slots[BOUNDS_SECONDS.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            buckets,
            count: running,
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_agree() {
        for (seconds, nanos) in BOUNDS_SECONDS.iter().zip(BOUNDS_NANOS) {
            assert_eq!((seconds * 1e9).round() as u64, nanos);
        }
    }

    #[test]
    fn observations_are_cumulative_per_bound() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(10));
        h.observe(Duration::from_millis(700));
        h.observe(Duration::from_secs(500));
        let s = h.snapshot();
        assert_eq!(s.buckets[0], (0.005, 1));
        assert_eq!(s.buckets[1], (0.01, 2));
        assert_eq!(s.buckets[6], (0.5, 2));
        assert_eq!(s.buckets[7], (1.0, 3));
        assert_eq!(s.buckets[13], (120.0, 3));
        assert_eq!(s.count, 4);
        assert!((s.sum_seconds - 500.713).abs() < 1e-9);
    }
}
