//! Progress events of a scan, for progress bars, and the log of API calls.

use std::sync::Arc;

use crate::api::Operation;
use crate::report::{AccountState, RegionState};

/// Something that happened during a scan, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A region's scan began.
    RegionStarted {
        /// The region.
        region: String,
    },
    /// More keys were listed in a region.
    KeysListed {
        /// The region.
        region: String,
        /// Keys listed so far in the region.
        listed: u64,
    },
    /// A key's finding is ready.
    KeyEvaluated {
        /// The region.
        region: String,
        /// Findings ready so far in the region.
        evaluated: u64,
        /// Keys listed in the region.
        listed: u64,
    },
    /// A region's scan ended.
    RegionFinished {
        /// The region.
        region: String,
        /// How it ended.
        state: RegionState,
    },
    /// An organisation run began with an account.
    AccountStarted {
        /// The account.
        account_id: String,
    },
    /// An organisation run is done with an account.
    AccountFinished {
        /// The account.
        account_id: String,
        /// How it ended.
        state: AccountState,
    },
    /// A region's event in one account of an organisation run.
    InAccount {
        /// The account.
        account_id: String,
        /// The region's event.
        event: Box<ProgressEvent>,
    },
}

/// A progress subscriber.
pub type ProgressCallback = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Sends an event to the subscriber, if there is one.
pub(crate) fn emit(progress: Option<&ProgressCallback>, event: ProgressEvent) {
    if let Some(progress) = progress {
        progress(&event);
    }
}

/// One API attempt, as the engine made it: what `--verbose` prints and the
/// `tracing` event `kms_rotation::call` carries. Never a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiCall {
    /// The operation.
    pub operation: Operation,
    /// The region.
    pub region: String,
    /// `ok`, the AWS error code, or `RequestTimeout`.
    pub outcome: String,
    /// How long the attempt took.
    pub latency_ms: u64,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
}

/// A subscriber to [`ApiCall`]s (`on_call` in the bindings).
pub type CallLog = Arc<dyn Fn(&ApiCall) + Send + Sync>;
