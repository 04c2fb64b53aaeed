//! The call engine under `check`, `collect`, `remediate` and organisation
//! runs: every API call goes through a [`Pacer`] (a KMS client's through its
//! [`Caller`]), which paces it within the region's budget
//! ([`pacing`]), retries what may succeed on another try ([`retry`]), follows
//! markers ([`paging`]) and counts ([`stats`]).

pub(crate) mod pacing;
pub(crate) mod paging;
pub(crate) mod progress;
pub(crate) mod retry;
pub(crate) mod stats;

use std::collections::HashMap;
use std::future::Future;

use tokio::time::Instant;

use crate::api::{ApiError, ErrorKind, Operation};
use crate::client::KmsClient;
use crate::model::{Alias, KeyMaterial, KeyRotation, Page, RotationHistory, Tag, Timestamp};

pub use pacing::DEFAULT_QUOTA_FRACTION;
use pacing::RateLimiter;
pub(crate) use pacing::Rates;
use paging::{Listed, MarkerGuard};
pub use progress::{ApiCall, CallLog, ProgressCallback, ProgressEvent};
pub use retry::RetryConfig;
pub(crate) use stats::Counters;

/// Alias names by target key id (a fast hash: key ids are AWS's, not an attacker's).
pub(crate) type AliasesByKey = HashMap<String, Vec<String>, foldhash::fast::RandomState>;

/// How a run's calls outside any one region's KMS client (an organisation
/// run's STS, Organizations and Account calls) are paced, retried and logged.
#[derive(Default)]
pub(crate) struct Pacing {
    pub(crate) rates: Rates,
    pub(crate) retry: RetryConfig,
    pub(crate) call_log: Option<CallLog>,
}

/// The rate limits and retry behaviour of one account's region (or of an
/// organisation run's home region): every API call of the crate, KMS's,
/// STS's, Organizations' and Account's alike, goes through [`Pacer::call`].
pub(crate) struct Pacer {
    region: String,
    /// Whether the calls go to a remote service (paced, and each attempt timed out).
    remote: bool,
    /// One per operation (a handful: a scan beats hashing on every call).
    limiters: Vec<(Operation, RateLimiter)>,
    retry: RetryConfig,
}

impl Pacer {
    /// Calls in `region` within `rates`, retried as `retry` says; an offline
    /// source (`remote` false) is neither paced nor timed out.
    pub(crate) fn new(region: &str, remote: bool, rates: &Rates, retry: &RetryConfig) -> Self {
        let limiters = Operation::ALL
            .iter()
            .map(|op| {
                let rps = if remote { rates.get(*op) } else { f64::INFINITY };
                (*op, RateLimiter::new(rps))
            })
            .collect();
        Self {
            region: region.to_owned(),
            remote,
            limiters,
            retry: retry.clone(),
        }
    }

    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    fn limiter(&self, op: Operation) -> &RateLimiter {
        let (_, limiter) = self
            .limiters
            .iter()
            .find(|(each, _)| *each == op)
            .expect("a limiter for every operation");
        limiter
    }

    /// Makes one call within the rate budget, retrying what may succeed on
    /// another try (see [`RetryConfig`]); each attempt is bounded by the
    /// attempt timeout, the whole call by the deadline. Counted in `counters`.
    pub(crate) async fn call<T, F, Fut>(
        &self,
        counters: &Counters,
        op: Operation,
        mut attempt: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let started = Instant::now();
        let limiter = self.limiter(op);
        let mut attempts = 0;
        loop {
            limiter.acquire().await;
            counters.count_call(op);
            attempts += 1;
            let sent = Instant::now();
            // An offline source answers from memory: no timer per call.
            let answer = if self.remote {
                tokio::time::timeout(self.retry.attempt_timeout, attempt()).await
            } else {
                Ok(attempt().await)
            };
            let outcome = match &answer {
                Ok(Ok(_)) => "ok",
                Ok(Err(error)) => error.code.as_str(),
                Err(_) => "RequestTimeout",
            };
            // Never a credential: the operation, region, outcome code, latency and attempt.
            let latency_ms = sent.elapsed().as_millis() as u64;
            tracing::debug!(
                target: "kms_rotation::call",
                operation = op.as_str(),
                region = self.region(),
                outcome,
                latency_ms,
                attempt = attempts,
            );
            counters.log_call(|| ApiCall {
                operation: op,
                region: self.region().to_owned(),
                outcome: outcome.to_owned(),
                latency_ms,
                attempt: attempts,
            });
            let error = match answer {
                Ok(Ok(value)) => {
                    limiter.on_success();
                    return Ok(value);
                }
                Ok(Err(error)) => error,
                Err(_) => ApiError::with_kind(
                    "RequestTimeout",
                    format!(
                        "{op} did not answer within {:?} (the attempt timeout)",
                        self.retry.attempt_timeout
                    ),
                    ErrorKind::Retryable,
                ),
            };
            if error.kind == ErrorKind::Throttling {
                counters.count_throttled();
                limiter.on_throttled();
            }
            let wait = self.retry.backoff(attempts - 1);
            if !self.retry.should_retry(&error, attempts, started.elapsed(), wait) {
                return Err(error);
            }
            counters.count_retry();
            tokio::time::sleep(wait).await;
        }
    }

    /// Every page of the listing `op`, each page one [`Pacer::call`] of
    /// `page(token)`, handed to `sink` as it arrives: the one paging loop of
    /// the crate. A token seen before (at any distance) or more pages than
    /// [`Operation::max_pages`] end the listing with an error naming `op` —
    /// never a listing that does not end, never one cut short in silence.
    pub(crate) async fn pages<T, P, Fut>(
        &self,
        counters: &Counters,
        op: Operation,
        mut page: P,
        mut sink: impl FnMut(Vec<T>),
    ) -> Result<(), ApiError>
    where
        P: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<Page<T>, ApiError>>,
    {
        let mut guard = MarkerGuard::new(op);
        let mut marker: Option<String> = None;
        loop {
            let answer = self.call(counters, op, || page(marker.clone())).await?;
            sink(answer.items);
            match guard.next(answer.next_marker)? {
                Some(next) => marker = Some(next),
                None => return Ok(()),
            }
        }
    }
}

/// One region's KMS client with its pacer and counters: every KMS call of
/// the engine goes through [`Caller::call`].
pub(crate) struct Caller<'a> {
    pub(crate) client: &'a dyn KmsClient,
    pacer: Pacer,
    counters: &'a Counters,
}

impl<'a> Caller<'a> {
    pub(crate) fn new(client: &'a dyn KmsClient, rates: &Rates, retry: &RetryConfig, counters: &'a Counters) -> Self {
        // A client without quotas (an offline snapshot) is not paced at all.
        let pacer = Pacer::new(client.region(), client.has_request_quotas(), rates, retry);
        Self {
            client,
            pacer,
            counters,
        }
    }

    pub(crate) fn region(&self) -> &str {
        self.client.region()
    }

    /// [`Pacer::call`] in this client's region.
    pub(crate) async fn call<T, F, Fut>(&self, op: Operation, attempt: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        self.pacer.call(self.counters, op, attempt).await
    }

    /// Every page of a listing (optionally of one key's entries), handed to
    /// `sink` as each page arrives; the error that ended the listing early, if any.
    pub(crate) async fn list<T: Listed>(&self, key_id: Option<&str>, sink: impl FnMut(Vec<T>)) -> Result<(), ApiError> {
        let client = self.client;
        self.pacer
            .pages(
                self.counters,
                T::OPERATION,
                |marker| async move { T::page(client, key_id, marker.as_deref()).await },
                sink,
            )
            .await
    }

    /// Every alias (optionally of one key), as key id → alias names.
    pub(crate) async fn aliases(&self, key_id: Option<&str>) -> Result<AliasesByKey, ApiError> {
        let mut by_key = AliasesByKey::default();
        self.list(key_id, |aliases: Vec<Alias>| {
            for alias in aliases {
                if let Some(target) = alias.target_key_id {
                    by_key.entry(target).or_default().push(alias.alias_name);
                }
            }
        })
        .await?;
        Ok(by_key)
    }

    /// A key's completed rotations (every `ListKeyRotations` page).
    pub(crate) async fn key_rotations(&self, key_id: &str) -> Result<Vec<KeyRotation>, ApiError> {
        let mut rotations: Vec<KeyRotation> = Vec::new();
        self.list(Some(key_id), |page: Vec<KeyRotation>| rotations.extend(page))
            .await?;
        Ok(rotations)
    }

    /// A key's rotation history, read at `observed_at`.
    pub(crate) async fn rotation_history(
        &self,
        key_id: &str,
        observed_at: Timestamp,
    ) -> Result<RotationHistory, ApiError> {
        let rotations = self.key_rotations(key_id).await?;
        Ok(RotationHistory::from_rotations(&rotations, observed_at))
    }

    /// Every key material of an imported-material key (`ListKeyRotations` with
    /// `IncludeKeyMaterial=ALL_KEY_MATERIAL`, every page), as its history read at `observed_at`.
    pub(crate) async fn material_history(
        &self,
        key_id: &str,
        observed_at: Timestamp,
    ) -> Result<RotationHistory, ApiError> {
        let mut materials: Vec<KeyMaterial> = Vec::new();
        self.list(Some(key_id), |page: Vec<KeyMaterial>| materials.extend(page))
            .await?;
        Ok(RotationHistory::from_materials(materials, observed_at))
    }

    /// Every tag of a key.
    pub(crate) async fn tags(&self, key_id: &str) -> Result<Vec<Tag>, ApiError> {
        let mut tags = Vec::new();
        self.list(Some(key_id), |page: Vec<Tag>| tags.extend(page)).await?;
        Ok(tags)
    }
}

/// Runs `future` as a tokio task of its own and waits for it; the task is
/// aborted when the caller stops waiting (a cancelled run leaves nothing
/// running), and a panic in it is resumed here.
pub(crate) async fn on_own_task<T: Send + 'static>(future: impl std::future::Future<Output = T> + Send + 'static) -> T {
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let task = tokio::spawn(future);
    let _abort = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(value) => value,
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only the runtime shutting down cancels it: nothing is left to report to.
            Err(error) => panic!("a check's task was cancelled: {error}"),
        },
    }
}
