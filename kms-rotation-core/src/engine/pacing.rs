//! Pacing: a request budget per operation, and the limiter that keeps each
//! region's calls within it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::api::Operation;
use crate::error::{Error, Result};

/// The default share of each AWS quota a scan may use: the rest is left to
/// the account's other callers, who share the same quota.
pub const DEFAULT_QUOTA_FRACTION: f64 = 0.5;

/// Requests per second per region, per operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rates {
    per_operation: BTreeMap<Operation, f64>,
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            per_operation: Operation::ALL
                .iter()
                .map(|op| (*op, op.aws_quota_rps() * DEFAULT_QUOTA_FRACTION))
                .collect(),
        }
    }
}

fn positive(what: &'static str, rps: f64) -> Result<f64> {
    if rps.is_finite() && rps > 0.0 {
        Ok(rps)
    } else {
        Err(Error::invalid(what, rps.to_string(), "must be a positive number"))
    }
}

impl Rates {
    pub(crate) fn get(&self, op: Operation) -> f64 {
        self.per_operation
            .get(&op)
            .copied()
            .unwrap_or_else(|| op.aws_quota_rps() * DEFAULT_QUOTA_FRACTION)
    }

    pub(crate) fn set(&mut self, what: &'static str, op: Operation, rps: f64) -> Result<()> {
        self.per_operation.insert(op, positive(what, rps)?);
        Ok(())
    }

    pub(crate) fn set_quota_fraction(&mut self, fraction: f64) -> Result<()> {
        if !(fraction.is_finite() && fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::invalid(
                "quota fraction",
                fraction.to_string(),
                "must be in (0, 1]",
            ));
        }
        for op in Operation::ALL {
            self.per_operation.insert(op, op.aws_quota_rps() * fraction);
        }
        Ok(())
    }

    pub(crate) fn cap(&mut self, rps: f64) -> Result<()> {
        let rps = positive("max_requests_per_second", rps)?;
        for rate in self.per_operation.values_mut() {
            *rate = rate.min(rps);
        }
        Ok(())
    }

    pub(crate) fn unlimited() -> Self {
        Self {
            per_operation: Operation::ALL.iter().map(|op| (*op, f64::INFINITY)).collect(),
        }
    }
}

/// Spaces calls at a fixed rate; no burst builds up while idle. Throttling
/// answers stretch the spacing (other callers share the quota), successes
/// shrink it back towards the budget.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    budget_interval: Duration,
    state: Mutex<LimiterState>,
}

#[derive(Debug)]
struct LimiterState {
    next_slot: Option<Instant>,
    interval: Duration,
    /// When the spacing last changed (throttled, or eased back).
    changed: Option<Instant>,
}

impl RateLimiter {
    /// How far throttling may slow a limiter below its budget.
    const MAX_SLOWDOWN: u32 = 64;

    pub(crate) fn new(rps: f64) -> Self {
        let interval = Duration::from_secs_f64(1.0 / rps);
        Self {
            budget_interval: interval,
            state: Mutex::new(LimiterState {
                next_slot: None,
                interval,
                changed: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) async fn acquire(&self) {
        let now = Instant::now();
        let slot = {
            let mut state = self.lock();
            let slot = state.next_slot.map_or(now, |n| n.max(now));
            state.next_slot = Some(slot + state.interval);
            slot
        };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }

    /// How often the spacing may halve back towards the budget once throttling
    /// stops: from the largest slowdown (64×) back to the budget in about 3 s.
    const EASE_EVERY: Duration = Duration::from_millis(500);

    pub(crate) fn on_throttled(&self) {
        let mut state = self.lock();
        state.interval = (state.interval * 2).min(self.budget_interval * Self::MAX_SLOWDOWN);
        state.changed = Some(Instant::now());
    }

    pub(crate) fn on_success(&self) {
        let mut state = self.lock();
        if state.interval <= self.budget_interval {
            return;
        }
        // Time-based, not per success: at a slowed rate successes are rare, and
        // the budget must come back within seconds of the storm's end.
        let now = Instant::now();
        let due = state
            .changed
            .is_none_or(|at| now.duration_since(at) >= Self::EASE_EVERY);
        if due {
            state.interval = (state.interval / 2).max(self.budget_interval);
            state.changed = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_budget_comes_back_within_seconds_after_a_storm() {
        let limiter = RateLimiter::new(10.0);
        for _ in 0..10 {
            limiter.on_throttled();
        }
        assert_eq!(
            limiter.lock().interval,
            Duration::from_millis(100) * RateLimiter::MAX_SLOWDOWN
        );
        let started = Instant::now();
        while limiter.lock().interval > Duration::from_millis(100) {
            tokio::time::advance(Duration::from_millis(100)).await;
            limiter.on_success();
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "still slowed after {:?}",
                started.elapsed()
            );
        }
    }
}
