//! Percentiles over recorded samples.

/// Sorts `samples` and returns the nearest-rank percentiles asked for
/// (`p` in 0..=100); `NaN` for each when there are no samples.
pub fn percentiles<const K: usize>(samples: &mut [u64], ps: [f64; K]) -> [f64; K] {
    samples.sort_unstable();
    ps.map(|p| percentile_sorted(samples, p))
}

/// The nearest-rank percentile `p` of sorted samples.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut s: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(
            percentiles(&mut s, [50.0, 99.0, 100.0]),
            [50.0, 99.0, 100.0]
        );
        assert!(percentiles(&mut [], [50.0])[0].is_nan());
        assert_eq!(percentiles(&mut [7], [1.0, 99.0]), [7.0, 7.0]);
    }
}
