//! How failed calls are retried: the one retry layer (clients never retry).
//!
//! Throttling is retried for a time budget (a storm passes; the quota is
//! shared with the account's other callers), other transient failures (5xx,
//! resets, timeouts, cut-off or malformed bodies) a few times; every attempt
//! has a timeout and every call a deadline. Backoff is capped exponential with
//! full jitter, so callers that collided spread out.

use std::time::Duration;

use crate::api::{ApiError, ErrorKind};

/// How failed calls are retried. This is the only retry layer: clients do not retry.
///
/// ```
/// use std::time::Duration;
/// use kms_rotation_core::RetryConfig;
/// let retry = RetryConfig::default()
///     .with_throttling_budget(Duration::from_secs(120))
///     .with_attempt_timeout(Duration::from_secs(10));
/// assert_eq!(retry.throttling_budget, Duration::from_secs(120));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts per call for any error, the first included (a hard cap, at least 1).
    pub max_attempts: u32,
    /// Attempts per call for transient errors other than throttling.
    pub max_transient_attempts: u32,
    /// How long throttling is retried, from the call's first attempt.
    pub throttling_budget: Duration,
    /// The exponential backoff's first step; it doubles each retry.
    pub base_delay: Duration,
    /// The backoff's cap.
    pub max_delay: Duration,
    /// How long one attempt may take before it counts as a (retryable) timeout.
    pub attempt_timeout: Duration,
    /// How long one call may take in all, retries included.
    pub deadline: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 100,
            max_transient_attempts: 5,
            throttling_budget: Duration::from_secs(60),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(20),
            deadline: Duration::from_secs(120),
        }
    }
}

impl RetryConfig {
    /// Caps the attempts per call, for any error (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the attempts per call for transient errors other than throttling (at least 1).
    pub fn with_max_transient_attempts(mut self, attempts: u32) -> Self {
        self.max_transient_attempts = attempts.max(1);
        self
    }

    /// Sets how long throttling is retried.
    pub fn with_throttling_budget(mut self, budget: Duration) -> Self {
        self.throttling_budget = budget;
        self
    }

    /// Sets the first backoff and its cap.
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// Sets the timeout of one attempt (at least 1 ms).
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the deadline of one call, retries included (at least 1 ms).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline.max(Duration::from_millis(1));
        self
    }

    /// The wait before retry number `retry` (0-based): full jitter over the
    /// capped exponential step.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let step = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        step.mul_f64(fastrand::f64())
    }

    /// Whether to try again after `error` on attempt `attempt` (1-based), with
    /// `elapsed` since the first attempt and `wait` before the next. The one
    /// rule for every door: an error that is not retryable — among them every
    /// error a snapshot recorded as observed, throttling included — is final
    /// at once, with no backoff and no wait.
    pub(crate) fn should_retry(&self, error: &ApiError, attempt: u32, elapsed: Duration, wait: Duration) -> bool {
        if !error.retryable || attempt >= self.max_attempts || elapsed + wait >= self.deadline {
            return false;
        }
        match error.kind {
            ErrorKind::Throttling => elapsed + wait < self.throttling_budget,
            _ => attempt < self.max_transient_attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_under_the_capped_step() {
        let retry = RetryConfig::default().with_delays(Duration::from_millis(100), Duration::from_millis(800));
        for (n, step) in [(0, 100), (1, 200), (2, 400), (3, 800), (10, 800)] {
            let wait = retry.backoff(n);
            assert!(
                wait <= Duration::from_millis(step),
                "retry {n}: {wait:?} above {step} ms"
            );
        }
    }

    #[test]
    fn throttling_is_retried_for_its_budget_and_other_errors_a_few_times() {
        let retry = RetryConfig::default();
        let throttled = ApiError::throttling("Rate exceeded");
        let second = Duration::from_secs(1);
        assert!(retry.should_retry(&throttled, 30, Duration::from_secs(50), second));
        assert!(!retry.should_retry(&throttled, 30, Duration::from_secs(59), second));
        let transient = ApiError::new("InternalFailure", "oops");
        assert!(retry.should_retry(&transient, 4, second, second));
        assert!(!retry.should_retry(&transient, 5, second, second));
        let denied = ApiError::new("AccessDeniedException", "no");
        assert!(!retry.should_retry(&denied, 1, Duration::ZERO, Duration::ZERO));
        let capped = retry.clone().with_max_attempts(3);
        assert!(!capped.should_retry(&throttled, 3, second, second));
    }
}
