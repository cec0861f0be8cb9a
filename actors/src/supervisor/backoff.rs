//! Exponential backoff with jitter between restarts of one child.

use std::time::Duration;

/// Restart delay policy: `base · 2^(n-1)` capped at `max`, multiplied by a jitter factor in
/// `[0.5, 1.0]` so children that crashed together do not restart in lock-step. The count
/// resets once a child has run for `healthy_after` without crashing.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    pub healthy_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(30),
            healthy_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay before restart number `consecutive` (1 for the first restart), with the
    /// jitter factor given explicitly so tests are deterministic.
    pub fn delay_with_jitter(&self, consecutive: u32, jitter: f64) -> Duration {
        let exp = consecutive.saturating_sub(1).min(30);
        let raw = self.base.saturating_mul(1u32 << exp);
        let capped = raw.min(self.max);
        capped.mul_f64(jitter.clamp(0.5, 1.0))
    }

    /// The delay before restart number `consecutive`, with random jitter.
    pub fn delay(&self, consecutive: u32) -> Duration {
        use rand::Rng;
        self.delay_with_jitter(consecutive, rand::rng().random_range(0.5..=1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_and_are_capped() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
            healthy_after: Duration::from_secs(1),
        };
        let full: Vec<_> = (1..=7).map(|n| b.delay_with_jitter(n, 1.0)).collect();
        assert_eq!(
            full,
            [100, 200, 400, 800, 1600, 2000, 2000]
                .map(Duration::from_millis)
                .to_vec()
        );
        assert_eq!(b.delay_with_jitter(3, 0.5), Duration::from_millis(200));
        // Out-of-range jitter is clamped, never zero or above the cap.
        assert_eq!(b.delay_with_jitter(1, 0.0), Duration::from_millis(50));
        assert_eq!(b.delay_with_jitter(1, 9.0), Duration::from_millis(100));
        for n in 1..10 {
            let d = b.delay(n);
            assert!(d >= b.delay_with_jitter(n, 0.5) && d <= b.delay_with_jitter(n, 1.0));
        }
    }
}
