//! Counters of one run: calls per operation, retries, throttling answers.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

use crate::api::Operation;
use crate::report::Stats;

/// Counters shared by every region of one run.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    calls: [AtomicU64; Operation::ALL.len()],
    retries: AtomicU64,
    throttled: AtomicU64,
}

impl Counters {
    pub(crate) fn count_call(&self, op: Operation) {
        self.calls[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self, started: Instant) -> Stats {
        Stats {
            api_calls: Operation::ALL
                .iter()
                .enumerate()
                .map(|(i, op)| (op.as_str().to_owned(), self.calls[i].load(Ordering::Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }
}
