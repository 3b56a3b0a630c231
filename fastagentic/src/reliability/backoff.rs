//! How long to wait before retry number `n`: fixed, linear or exponential,
//! capped, with jitter.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

/// The shape of the delays between retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackoffKind {
    /// The same delay every time: `initial`.
    Fixed,
    /// Growing by `initial` each time: `initial`, `2 × initial`, `3 × initial`, ...
    Linear,
    /// Doubling each time: `initial`, `2 × initial`, `4 × initial`, ...
    Exponential,
}

impl BackoffKind {
    /// Every kind, in the order of [`fastagentic_rules::reliability::BACKOFF_KINDS`].
    pub const ALL: [BackoffKind; 3] = [
        BackoffKind::Fixed,
        BackoffKind::Linear,
        BackoffKind::Exponential,
    ];

    /// The kind's name, as written in `backoff = "..."`.
    pub fn as_str(self) -> &'static str {
        fastagentic_rules::reliability::BACKOFF_KINDS[self as usize]
    }

    /// The kind named `name`, or the rules' message listing the valid names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        fastagentic_rules::reliability::check_backoff(name)?;
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| format!("unknown backoff `{name}`"))
    }
}

/// Delays between retries: a [`BackoffKind`] starting at `initial`, never
/// above `max`, each shortened by a random part of up to `jitter` of itself.
///
/// ```
/// use std::time::Duration;
/// use fastagentic::reliability::Backoff;
/// let backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_millis(350));
/// assert_eq!(backoff.base_delay(1), Duration::from_millis(100));
/// assert_eq!(backoff.base_delay(2), Duration::from_millis(200));
/// assert_eq!(backoff.base_delay(3), Duration::from_millis(350)); // capped
/// // With jitter 0.5, a delay lies between 50% and 100% of the base.
/// let d = backoff.jitter(0.5).delay(2);
/// assert!(d >= Duration::from_millis(100) && d <= Duration::from_millis(200));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    kind: BackoffKind,
    initial: Duration,
    max: Duration,
    jitter: f64,
}

impl Backoff {
    /// `initial`, `2 × initial`, `4 × initial`, ... up to `max`; no jitter.
    pub const fn exponential(initial: Duration, max: Duration) -> Self {
        Self {
            kind: BackoffKind::Exponential,
            initial,
            max,
            jitter: 0.0,
        }
    }

    /// `initial`, `2 × initial`, `3 × initial`, ... up to `max`; no jitter.
    pub const fn linear(initial: Duration, max: Duration) -> Self {
        Self {
            kind: BackoffKind::Linear,
            initial,
            max,
            jitter: 0.0,
        }
    }

    /// `delay` every time; no jitter.
    pub const fn fixed(delay: Duration) -> Self {
        Self {
            kind: BackoffKind::Fixed,
            initial: delay,
            max: delay,
            jitter: 0.0,
        }
    }

    /// Any kind, from its parts (what a macro key such as
    /// `backoff = "linear", initial_delay_ms = 100, max_delay_ms = 1000` builds).
    pub const fn new(kind: BackoffKind, initial: Duration, max: Duration) -> Self {
        Self {
            kind,
            initial,
            max,
            jitter: 0.0,
        }
    }

    /// Shortens each delay by a random part of up to `fraction` of it: 0 (the
    /// default) waits exactly, 1 is "full jitter" (anything from zero to the
    /// delay), 0.2 waits 80–100%. Jitter spreads the retries of many callers
    /// that failed together. Checked at start-up: 0 to 1.
    pub const fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// The shape.
    pub fn kind(&self) -> BackoffKind {
        self.kind
    }

    /// The first delay.
    pub fn initial(&self) -> Duration {
        self.initial
    }

    /// The cap.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The jitter fraction.
    pub fn jitter_fraction(&self) -> f64 {
        self.jitter
    }

    /// The delay before retry number `retry` (1 for the first retry), before jitter.
    pub fn base_delay(&self, retry: u32) -> Duration {
        let n = retry.max(1);
        let delay = match self.kind {
            BackoffKind::Fixed => self.initial,
            BackoffKind::Linear => self.initial.saturating_mul(n),
            BackoffKind::Exponential => {
                let factor = 1u32.checked_shl(n - 1).unwrap_or(u32::MAX);
                self.initial.saturating_mul(factor)
            }
        };
        delay.min(self.max.max(self.initial))
    }

    /// The delay before retry number `retry`, with jitter drawn at random.
    pub fn delay(&self, retry: u32) -> Duration {
        if self.jitter <= 0.0 {
            return self.base_delay(retry);
        }
        self.delay_with(retry, random_unit())
    }

    /// The delay before retry number `retry` for a given draw `unit` in
    /// `[0, 1)`: the base delay shortened by `jitter × unit` of itself.
    pub fn delay_with(&self, retry: u32, unit: f64) -> Duration {
        let base = self.base_delay(retry);
        let cut = (self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0)).clamp(0.0, 1.0);
        base.mul_f64(1.0 - cut)
    }

    /// Checks the bounds shared with the macros: `max` at least `initial`,
    /// at most 10 minutes, jitter from 0 to 1.
    pub fn check(&self) -> Result<(), String> {
        let ms = super::millis;
        if self.kind != BackoffKind::Fixed {
            fastagentic_rules::reliability::check_delays(ms(self.initial), ms(self.max))?;
        } else {
            fastagentic_rules::reliability::check_delays(0, ms(self.initial))?;
        }
        fastagentic_rules::reliability::check_jitter(self.jitter)
    }
}

impl Default for Backoff {
    /// Exponential from 200 ms to 8 s with jitter 0.2.
    fn default() -> Self {
        Self::exponential(Duration::from_millis(200), Duration::from_secs(8)).jitter(0.2)
    }
}

/// A uniform draw in `[0, 1)` from a per-thread xorshift generator seeded by
/// the standard library's random hasher keys: no lock, no dependency.
fn random_unit() -> f64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()) | 1);
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        let bits = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn shapes() {
        let fixed = Backoff::fixed(MS * 50);
        assert_eq!(
            (1..=4).map(|n| fixed.base_delay(n)).collect::<Vec<_>>(),
            [MS * 50; 4]
        );
        let linear = Backoff::linear(MS * 10, MS * 35);
        assert_eq!(
            (1..=5).map(|n| linear.base_delay(n)).collect::<Vec<_>>(),
            [MS * 10, MS * 20, MS * 30, MS * 35, MS * 35]
        );
        let exponential = Backoff::exponential(MS * 10, MS * 100);
        assert_eq!(
            (1..=6)
                .map(|n| exponential.base_delay(n))
                .collect::<Vec<_>>(),
            [MS * 10, MS * 20, MS * 40, MS * 80, MS * 100, MS * 100]
        );
        // Retry 0 is read as the first retry.
        assert_eq!(exponential.base_delay(0), MS * 10);
    }

    #[test]
    fn large_retry_numbers_saturate_at_the_cap() {
        let b = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(b.base_delay(40), Duration::from_secs(60));
        assert_eq!(b.base_delay(u32::MAX), Duration::from_secs(60));
        let l = Backoff::linear(Duration::from_secs(u64::MAX / 2), Duration::MAX);
        assert_eq!(l.base_delay(u32::MAX), Duration::MAX);
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        let b = Backoff::exponential(MS * 100, MS * 1000).jitter(0.25);
        assert_eq!(b.delay_with(3, 0.0), MS * 400);
        assert_eq!(b.delay_with(3, 0.5), MS * 350);
        assert!(b.delay_with(3, 0.999_999) > MS * 300);
        for _ in 0..10_000 {
            let d = b.delay(3);
            assert!(d > MS * 300 && d <= MS * 400, "{d:?}");
        }
        let full = b.jitter(1.0);
        let draws: Vec<Duration> = (0..10_000).map(|_| full.delay(1)).collect();
        assert!(draws.iter().all(|d| *d <= MS * 100));
        // Spread over the whole range: some short, some long.
        assert!(draws.iter().any(|d| *d < MS * 10));
        assert!(draws.iter().any(|d| *d > MS * 90));
        // Out-of-range inputs are clamped, never above the base delay.
        assert_eq!(b.jitter(7.0).delay_with(1, 0.5), MS * 50);
        assert_eq!(b.delay_with(1, -3.0), MS * 100);
    }

    #[test]
    fn random_draws_are_uniform_enough() {
        let draws: Vec<f64> = (0..20_000).map(|_| random_unit()).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }

    #[test]
    fn checks_use_the_shared_rules() {
        assert!(Backoff::default().check().is_ok());
        assert!(Backoff::exponential(MS * 500, MS * 100).check().is_err());
        assert!(Backoff::fixed(MS * 5).jitter(1.5).check().is_err());
        for kind in BackoffKind::ALL {
            assert_eq!(BackoffKind::from_name(kind.as_str()), Ok(kind));
        }
        assert!(
            BackoffKind::from_name("exponentail")
                .unwrap_err()
                .contains("did you mean `exponential`?")
        );
    }
}
