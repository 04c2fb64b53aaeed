//! How failed calls are retried: the one retry layer (clients never retry).

use std::time::Duration;

/// How failed calls are retried. This is the only retry layer: clients do not retry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each retry, with jitter.
    pub base_delay: Duration,
    /// Upper bound of one backoff.
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryConfig {
    /// Sets the attempts per call (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first backoff and its bound.
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The wait before retry number `retry` (0-based): half the exponential step
    /// plus a random part of the other half, so clients that collided spread out.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let step = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_stays_under_the_cap() {
        let retry = RetryConfig::default().with_delays(Duration::from_millis(100), Duration::from_millis(800));
        for (n, step) in [(0, 100), (1, 200), (2, 400), (3, 800), (10, 800)] {
            let wait = retry.backoff(n);
            let step = Duration::from_millis(step);
            assert!(
                wait >= step / 2 && wait <= step,
                "retry {n}: {wait:?} outside [{:?}, {step:?}]",
                step / 2
            );
        }
    }
}
