//! Counters of one run: calls per operation, retries, throttling answers.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

use crate::api::{Operation, scrub};
use crate::engine::progress::{ApiCall, CallLog};
use crate::report::Stats;

/// Counters shared by every region of one run, and the run's call log.
#[derive(Default)]
pub(crate) struct Counters {
    calls: [AtomicU64; Operation::ALL.len()],
    retries: AtomicU64,
    throttled: AtomicU64,
    call_log: Option<CallLog>,
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counters")
            .field("calls", &self.calls)
            .field("retries", &self.retries)
            .field("throttled", &self.throttled)
            .field("call_log", &self.call_log.is_some())
            .finish()
    }
}

impl Counters {
    /// Counters for a run whose calls go to `call_log`, if any.
    pub(crate) fn logging(call_log: Option<CallLog>) -> Self {
        Self {
            call_log,
            ..Self::default()
        }
    }

    /// Hands an attempt to the run's call log, its text through the one
    /// redaction point (as every log line of the command line), so that no
    /// door's call log has to redact it again.
    pub(crate) fn log_call(&self, call: impl FnOnce() -> ApiCall) {
        if let Some(log) = &self.call_log {
            let mut call = call();
            call.region = scrub(&call.region);
            call.outcome = scrub(&call.outcome);
            log(&call);
        }
    }

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
