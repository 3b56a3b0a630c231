//! Latency percentiles from a fixed set of logarithmic buckets: constant
//! memory however many calls, each percentile within one bucket (±13 %) of
//! the exact value, and exact at the ends (the minimum and maximum are kept).

/// Bucket `i` holds latencies up to `FIRST_BOUND_MS * GROWTH^i`.
const FIRST_BOUND_MS: f64 = 1.0;
const GROWTH: f64 = 1.25;
/// 1 ms to about 33 minutes; slower calls land in the last bucket.
const BUCKETS: usize = 56;

/// Latencies of a set of calls, for p50, p95 and p99.
#[derive(Clone, Debug)]
pub(crate) struct LatencySketch {
    counts: [u32; BUCKETS],
    count: u32,
    min_ms: f64,
    max_ms: f64,
    sum_ms: f64,
}

impl Default for LatencySketch {
    fn default() -> Self {
        Self {
            counts: [0; BUCKETS],
            count: 0,
            min_ms: f64::INFINITY,
            max_ms: 0.0,
            sum_ms: 0.0,
        }
    }
}

impl LatencySketch {
    /// Adds one latency, in milliseconds.
    pub(crate) fn observe(&mut self, ms: f64) {
        let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
        let slot = if ms <= FIRST_BOUND_MS {
            0
        } else {
            ((ms / FIRST_BOUND_MS).ln() / GROWTH.ln()).ceil() as usize
        };
        self.counts[slot.min(BUCKETS - 1)] += 1;
        self.count = self.count.saturating_add(1);
        self.min_ms = self.min_ms.min(ms);
        self.max_ms = self.max_ms.max(ms);
        self.sum_ms += ms;
    }

    /// Adds every latency `other` holds.
    pub(crate) fn merge(&mut self, other: &LatencySketch) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.count = self.count.saturating_add(other.count);
        self.min_ms = self.min_ms.min(other.min_ms);
        self.max_ms = self.max_ms.max(other.max_ms);
        self.sum_ms += other.sum_ms;
    }

    /// How many latencies it holds.
    #[cfg(test)]
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Their mean, in milliseconds (0 when empty).
    pub(crate) fn mean_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ms / f64::from(self.count)
        }
    }

    /// The `q` quantile (0 to 1) in milliseconds: the middle of the bucket
    /// it falls in, kept within the minimum and maximum seen (the maximum
    /// past the last bucket). 0 when empty.
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = (q.clamp(0.0, 1.0) * f64::from(self.count)).ceil().max(1.0);
        let mut seen = 0.0;
        for (slot, count) in self.counts.iter().enumerate() {
            seen += f64::from(*count);
            if seen >= rank {
                if slot == BUCKETS - 1 {
                    return self.max_ms; // past the last bound: only the maximum is known
                }
                let upper = FIRST_BOUND_MS * GROWTH.powi(slot as i32);
                let lower = if slot == 0 { 0.0 } else { upper / GROWTH };
                let middle = (lower + upper) / 2.0;
                return middle.clamp(self.min_ms, self.max_ms);
            }
        }
        self.max_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_fall_within_a_bucket_of_the_truth() {
        let mut sketch = LatencySketch::default();
        for ms in 1..=1000 {
            sketch.observe(f64::from(ms));
        }
        for (q, truth) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0)] {
            let estimate = sketch.quantile(q);
            assert!(
                (estimate - truth).abs() / truth < 0.13,
                "p{q}: {estimate} vs {truth}"
            );
        }
        assert_eq!(sketch.count(), 1000);
        assert!((sketch.mean_ms() - 500.5).abs() < 1e-9);
    }

    #[test]
    fn one_call_is_its_own_percentiles_and_odd_values_do_not_panic() {
        let mut sketch = LatencySketch::default();
        assert_eq!(sketch.quantile(0.5), 0.0);
        sketch.observe(42.0);
        assert_eq!(sketch.quantile(0.5), 42.0);
        assert_eq!(sketch.quantile(0.99), 42.0);
        sketch.observe(f64::NAN);
        sketch.observe(-3.0);
        sketch.observe(1e12);
        assert_eq!(sketch.count(), 4);
        assert_eq!(sketch.quantile(1.0), 1e12);
    }
}
