//! `check_key` and `check_account`: listing, pagination, concurrency, rate limits, retries.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tokio::time::Instant;

use crate::client::{ApiError, Clients, ErrorKind, KmsClient, Operation};
use crate::error::{Error, Result};
use crate::key_ref::{KeyRef, check_region};
use crate::model::{ErrorInfo, Finding, KeyListEntry, RotationStatus, Tag, Timestamp};
use crate::policy::Policy;
use crate::report::{AccountReport, RegionReport, RegionState, SCHEMA_VERSION, Stats, Summary};
use crate::rules::{self, KeyFacts};

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
    fn backoff(&self, retry: u32) -> Duration {
        let step = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

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
}

/// A progress subscriber.
pub type ProgressCallback = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Options of [`check_account`]: the policy, the regions, and how hard to push the API.
///
/// ```
/// use kms_rotation_core::{CheckOptions, Operation, Policy};
/// let options = CheckOptions::default()
///     .with_policy(Policy::default().with_max_rotation_period_days(180)?)
///     .with_regions(["us-east-1", "eu-west-1"])?
///     .with_rate(Operation::DescribeKey, 200.0)?;
/// assert_eq!(options.rate(Operation::DescribeKey), 200.0);
/// assert_eq!(options.rate(Operation::GetKeyRotationStatus), 500.0); // half the quota
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Clone)]
pub struct CheckOptions {
    policy: Policy,
    regions: Option<Vec<String>>,
    max_in_flight: usize,
    rates: BTreeMap<Operation, f64>,
    retry: RetryConfig,
    progress: Option<ProgressCallback>,
}

impl std::fmt::Debug for CheckOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckOptions")
            .field("policy", &self.policy)
            .field("regions", &self.regions)
            .field("max_in_flight", &self.max_in_flight)
            .field("rates", &self.rates)
            .field("retry", &self.retry)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// The default share of each AWS quota a scan may use: the rest is left to
/// the account's other callers, who share the same quota.
pub const DEFAULT_QUOTA_FRACTION: f64 = 0.5;

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            regions: None,
            max_in_flight: 128,
            rates: Operation::ALL
                .iter()
                .map(|op| (*op, op.aws_quota_rps() * DEFAULT_QUOTA_FRACTION))
                .collect(),
            retry: RetryConfig::default(),
            progress: None,
        }
    }
}

impl CheckOptions {
    /// Sets the policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Scans these regions instead of every region the clients serve.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming a region that is not shaped like `us-east-1`, or an empty list.
    pub fn with_regions<I, S>(mut self, regions: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let regions: Vec<String> = regions.into_iter().map(Into::into).collect();
        if regions.is_empty() {
            return Err(Error::invalid("regions", "[]", "name at least one region"));
        }
        for region in &regions {
            check_region(region)?;
        }
        let mut unique = regions;
        unique.dedup();
        self.regions = Some(unique);
        Ok(self)
    }

    /// Sets how many keys may be in flight per region (default 128).
    pub fn with_max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// Sets the request budget of one operation, in requests per second per region.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `rps` is not a positive number.
    pub fn with_rate(mut self, op: Operation, rps: f64) -> Result<Self> {
        if !(rps.is_finite() && rps > 0.0) {
            return Err(Error::invalid(
                "requests per second",
                rps.to_string(),
                "must be a positive number",
            ));
        }
        self.rates.insert(op, rps);
        Ok(self)
    }

    /// Sets every operation's budget to `fraction` of its AWS quota (default 0.5).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless `0 < fraction <= 1`.
    pub fn with_quota_fraction(mut self, fraction: f64) -> Result<Self> {
        if !(fraction.is_finite() && fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::invalid(
                "quota fraction",
                fraction.to_string(),
                "must be in (0, 1]",
            ));
        }
        for op in Operation::ALL {
            self.rates.insert(op, op.aws_quota_rps() * fraction);
        }
        Ok(self)
    }

    /// Caps every operation's budget at `rps` requests per second per region.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `rps` is not a positive number.
    pub fn with_max_requests_per_second(mut self, rps: f64) -> Result<Self> {
        if !(rps.is_finite() && rps > 0.0) {
            return Err(Error::invalid(
                "max_requests_per_second",
                rps.to_string(),
                "must be a positive number",
            ));
        }
        for rate in self.rates.values_mut() {
            *rate = rate.min(rps);
        }
        Ok(self)
    }

    /// Lifts every request budget: for clients that are not AWS (a snapshot file
    /// audited offline), where pacing would only slow the evaluation down.
    pub fn without_rate_limits(mut self) -> Self {
        for op in Operation::ALL {
            self.rates.insert(op, f64::INFINITY);
        }
        self
    }

    /// Sets the retry behaviour.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Subscribes to progress events.
    pub fn with_progress(mut self, progress: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The operations [`check_account`] and [`crate::collect()`] may call with these
    /// options, so that an injected client can be checked for each before any call.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations = vec![Operation::ListKeys];
        operations.extend(check_key_operations(&self.policy));
        operations
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The requested regions, if narrowed.
    pub fn regions(&self) -> Option<&[String]> {
        self.regions.as_deref()
    }

    /// The budget of one operation in requests per second per region.
    pub fn rate(&self, op: Operation) -> f64 {
        self.rates
            .get(&op)
            .copied()
            .unwrap_or_else(|| op.aws_quota_rps() * DEFAULT_QUOTA_FRACTION)
    }

    /// The retry behaviour.
    pub fn retry(&self) -> &RetryConfig {
        &self.retry
    }

    /// Calls in flight per region.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }
}

/// Spaces calls at a fixed rate; no burst builds up while idle. Throttling
/// answers stretch the spacing (other callers share the quota), successes
/// shrink it back towards the budget.
#[derive(Debug)]
struct RateLimiter {
    budget_interval: Duration,
    state: Mutex<LimiterState>,
}

#[derive(Debug)]
struct LimiterState {
    next_slot: Option<Instant>,
    interval: Duration,
}

impl RateLimiter {
    /// How far throttling may slow a limiter below its budget.
    const MAX_SLOWDOWN: u32 = 64;

    fn new(rps: f64) -> Self {
        let interval = Duration::from_secs_f64(1.0 / rps);
        Self {
            budget_interval: interval,
            state: Mutex::new(LimiterState {
                next_slot: None,
                interval,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn acquire(&self) {
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

    fn on_throttled(&self) {
        let mut state = self.lock();
        state.interval = (state.interval * 2).min(self.budget_interval * Self::MAX_SLOWDOWN);
    }

    fn on_success(&self) {
        let mut state = self.lock();
        if state.interval > self.budget_interval {
            state.interval = state.interval.mul_f64(0.98).max(self.budget_interval);
        }
    }
}

/// Counters shared by every region of one run.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    calls: [AtomicU64; Operation::ALL.len()],
    retries: AtomicU64,
    throttled: AtomicU64,
}

impl Counters {
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

/// One region's client with its rate limits, retries and counters: every API
/// call of the engine goes through [`Caller::call`].
pub(crate) struct Caller<'a> {
    pub(crate) client: &'a dyn KmsClient,
    limiters: HashMap<Operation, RateLimiter>,
    retry: RetryConfig,
    counters: &'a Counters,
}

impl<'a> Caller<'a> {
    pub(crate) fn new(
        client: &'a dyn KmsClient,
        rate: impl Fn(Operation) -> f64,
        retry: RetryConfig,
        counters: &'a Counters,
    ) -> Self {
        // A client without quotas (an offline snapshot) is not paced at all.
        let paced = client.has_request_quotas();
        let limiters = Operation::ALL
            .iter()
            .map(|op| (*op, RateLimiter::new(if paced { rate(*op) } else { f64::INFINITY })))
            .collect();
        Self {
            client,
            limiters,
            retry,
            counters,
        }
    }

    pub(crate) fn region(&self) -> &str {
        self.client.region()
    }

    /// Makes one call within the rate budget, retrying retryable errors with backoff.
    pub(crate) async fn call<T, F, Fut>(&self, op: Operation, mut attempt: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut retry = 0;
        loop {
            let limiter = &self.limiters[&op];
            limiter.acquire().await;
            self.counters.calls[op as usize].fetch_add(1, Ordering::Relaxed);
            let error = match attempt().await {
                Ok(value) => {
                    limiter.on_success();
                    return Ok(value);
                }
                Err(error) => error,
            };
            if error.kind == ErrorKind::Throttling {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                limiter.on_throttled();
            }
            if !error.retryable || retry + 1 >= self.retry.max_attempts {
                return Err(error);
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.retry.backoff(retry)).await;
            retry += 1;
        }
    }

    /// Every page of `ListAliases` (optionally for one key), as key id → alias names.
    pub(crate) async fn aliases(&self, key_id: Option<&str>) -> Result<HashMap<String, Vec<String>>, ApiError> {
        let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .call(Operation::ListAliases, || {
                    self.client.list_aliases(key_id, marker.as_deref())
                })
                .await?;
            for alias in page.items {
                if let Some(target) = alias.target_key_id {
                    by_key.entry(target).or_default().push(alias.alias_name);
                }
            }
            match page.next_marker {
                Some(next) if marker.as_ref() != Some(&next) => marker = Some(next),
                _ => return Ok(by_key),
            }
        }
    }

    /// Every page of `ListResourceTags` for one key.
    pub(crate) async fn tags(&self, key_id: &str) -> Result<Vec<Tag>, ApiError> {
        let mut tags = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .call(Operation::ListResourceTags, || {
                    self.client.list_resource_tags(key_id, marker.as_deref())
                })
                .await?;
            tags.extend(page.items);
            match page.next_marker {
                Some(next) if marker.as_ref() != Some(&next) => marker = Some(next),
                _ => return Ok(tags),
            }
        }
    }

    /// Reads what the decision table needs about one key and decides; the
    /// facts carry the key's aliases.
    pub(crate) async fn assess(&self, mut facts: KeyFacts, policy: &Policy) -> Finding {
        let read = self.read_rotation(&mut facts, policy).await;
        decide(&facts, read, policy)
    }

    /// Reads the tags (for tag exemptions) and the rotation status, where the decision table needs them.
    async fn read_rotation(&self, facts: &mut KeyFacts, policy: &Policy) -> RotationRead {
        let key_id = facts.metadata.key_id.clone();
        if policy.needs_tags() {
            facts.tags = Some(self.tags(&key_id).await.map_err(|e| (e, Operation::ListResourceTags))?);
        }
        if !rules::needs_rotation_status(facts, policy) {
            return Ok(None);
        }
        self.call(Operation::GetKeyRotationStatus, || {
            self.client.get_key_rotation_status(&key_id)
        })
        .await
        .map(Some)
        .map_err(|e| (e, Operation::GetKeyRotationStatus))
    }
}

/// What was read about a key: the rotation status where needed, or the call that failed.
type RotationRead = Result<Option<RotationStatus>, (ApiError, Operation)>;

fn decide(facts: &KeyFacts, read: RotationRead, policy: &Policy) -> Finding {
    match read {
        Ok(rotation) => rules::evaluate(facts, rotation.as_ref(), policy),
        Err((error, op)) => rules::error_finding(facts, error, op.as_str()),
    }
}

/// The operations [`check_key`] may call under `policy`.
pub fn check_key_operations(policy: &Policy) -> Vec<Operation> {
    let mut operations = vec![
        Operation::ListAliases,
        Operation::DescribeKey,
        Operation::GetKeyRotationStatus,
    ];
    if policy.needs_tags() {
        operations.push(Operation::ListResourceTags);
    }
    operations
}

/// Checks one key, named by key id, key ARN, alias name or alias ARN.
///
/// API errors become an `ERROR` finding, never an `Err`.
///
/// # Errors
/// [`Error::InvalidInput`] before any API call when `key` is malformed, or
/// when it is an ARN in another region than the client's.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_key, Policy, Snapshot, Status};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
/// let client = snapshot.client("us-east-1")?;
/// let finding = check_key(client.as_ref(), "alias/payments-db", &Policy::default()).await?;
/// assert_eq!(finding.status, Status::Pass);
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn check_key(client: &dyn KmsClient, key: &str, policy: &Policy) -> Result<Finding> {
    let key_ref: KeyRef = key.parse()?;
    if let Some(region) = key_ref.region().filter(|r| *r != client.region()) {
        return Err(Error::invalid(
            "key reference",
            key,
            format!("the ARN is in {region} but the client is for {}", client.region()),
        ));
    }
    let counters = Counters::default();
    let options = CheckOptions::default();
    let caller = Caller::new(client, |op| options.rate(op), options.retry.clone(), &counters);
    let region = client.region().to_owned();
    let named_arn = if matches!(key_ref, KeyRef::KeyArn(_)) { key } else { "" };
    let given_alias: Vec<String> = key_ref.alias_name().into_iter().collect();
    let metadata = match caller
        .call(Operation::DescribeKey, || client.describe_key(key_ref.as_str()))
        .await
    {
        Ok(metadata) => metadata,
        Err(error) => {
            return Ok(rules::describe_error_finding(
                &region,
                key,
                named_arn,
                &given_alias,
                error,
            ));
        }
    };
    let mut aliases = given_alias;
    match caller.aliases(Some(&metadata.key_id)).await {
        Ok(mut found) => aliases.extend(found.remove(&metadata.key_id).unwrap_or_default()),
        Err(error) => {
            let facts = KeyFacts {
                region,
                metadata,
                aliases,
                tags: None,
            };
            return Ok(rules::error_finding(&facts, error, Operation::ListAliases.as_str()));
        }
    }
    let facts = KeyFacts {
        region,
        metadata,
        aliases,
        tags: None,
    };
    Ok(caller.assess(facts, policy).await)
}

/// Checks every key in the requested regions, all regions in parallel.
///
/// Per region: `ListKeys` (pages of 1000), `ListAliases` once, `DescribeKey` per
/// key, `GetKeyRotationStatus` only where the decision table needs it, and
/// `ListResourceTags` only when a tag exemption is configured. Every listed
/// key yields exactly one finding and every requested region one entry.
///
/// # Errors
/// Before any API call: [`Error::Configuration`] when there are no regions or
/// no client for a requested region. API failures never make this fail.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_account, CheckOptions, Snapshot};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
/// let report = check_account(&snapshot.clients(), &CheckOptions::default()).await?;
/// assert_eq!(report.findings.len() as u64, report.regions.iter().map(|r| r.keys_listed).sum::<u64>());
/// println!("{} keys fail", report.summary.fail);
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn check_account(clients: &Clients, options: &CheckOptions) -> Result<AccountReport> {
    let started = Instant::now();
    let regions = match options.regions() {
        Some(regions) => regions.to_vec(),
        None => clients.regions(),
    };
    if regions.is_empty() {
        return Err(Error::Configuration(
            "no regions to check: give a region or a client".to_owned(),
        ));
    }
    let mut region_clients = Vec::with_capacity(regions.len());
    for region in &regions {
        check_region(region)?;
        region_clients.push(clients.get(region)?);
    }
    let counters = Counters::default();
    let scans = region_clients
        .iter()
        .map(|client| scan_region(client.as_ref(), options, &counters));
    let results = futures::future::join_all(scans).await;

    let mut report = AccountReport {
        schema_version: SCHEMA_VERSION,
        generated_at: Timestamp::now(),
        account_id: None,
        policy: options.policy.clone(),
        regions: Vec::with_capacity(results.len()),
        findings: Vec::new(),
        summary: Summary::default(),
        stats: Stats::default(),
    };
    for (entry, findings) in results {
        report.regions.push(entry);
        report.findings.extend(findings);
    }
    report.account_id = report.findings.iter().find_map(|f| account_of_arn(&f.key_arn));
    report.normalize();
    report.stats = counters.stats(started);
    Ok(report)
}

fn account_of_arn(arn: &str) -> Option<String> {
    arn.split(':').nth(4).filter(|a| !a.is_empty()).map(str::to_owned)
}

pub(crate) fn emit(options: &CheckOptions, event: ProgressEvent) {
    if let Some(progress) = &options.progress {
        progress(&event);
    }
}

async fn scan_region(
    client: &dyn KmsClient,
    options: &CheckOptions,
    counters: &Counters,
) -> (RegionReport, Vec<Finding>) {
    let caller = Caller::new(client, |op| options.rate(op), options.retry.clone(), counters);
    let region = client.region().to_owned();
    emit(options, ProgressEvent::RegionStarted { region: region.clone() });

    // Keys are read as their ListKeys page arrives, while ListAliases runs
    // alongside. A key's finding needs its alias names, but waiting for them
    // would hold a slot of the in-flight budget: the calls for every key are
    // made first and the findings decided once the aliases are in (unless an
    // alias exemption must be known before deciding which calls to make).
    let alias_listing = caller.aliases(None).map(|listing| listing.map(Arc::new)).shared();
    let listed = AtomicU64::new(0);
    let evaluated = AtomicU64::new(0);
    let (sender, keys) = futures::channel::mpsc::unbounded();
    let listing = list_keys_into(&caller, options, &listed, sender);
    let reads = keys
        .map(|entry| {
            let (caller, evaluated, listed, region, alias_listing) =
                (&caller, &evaluated, &listed, &region, &alias_listing);
            async move {
                let early_aliases = match options.policy.needs_aliases() {
                    true => Some(aliases_of(&alias_listing.clone().await, &entry.key_id)),
                    false => None,
                };
                let read = read_listed_key(caller, entry, early_aliases, &options.policy).await;
                let done = evaluated.fetch_add(1, Ordering::Relaxed) + 1;
                let listed = listed.load(Ordering::Relaxed);
                emit(
                    options,
                    ProgressEvent::KeyEvaluated {
                        region: region.clone(),
                        evaluated: done,
                        listed,
                    },
                );
                read
            }
        })
        .buffer_unordered(options.max_in_flight)
        .collect::<Vec<KeyRead>>();
    let (list_error, reads, aliases) = futures::join!(listing, reads, alias_listing.clone());
    let findings = reads
        .into_iter()
        .map(|read| match read {
            KeyRead::Described { mut facts, read } => {
                facts.aliases = aliases_of(&aliases, &facts.metadata.key_id);
                decide(&facts, read, &options.policy)
            }
            KeyRead::NotDescribed { entry, error } => {
                let names = aliases_of(&aliases, &entry.key_id);
                rules::describe_error_finding(&region, &entry.key_id, &entry.key_arn, &names, error)
            }
        })
        .collect();

    let (state, error) = match (list_error, aliases.err()) {
        (Some(e), _) if e.kind == ErrorKind::RegionNotEnabled => {
            (RegionState::NotEnabled, Some((e, Operation::ListKeys)))
        }
        (Some(e), _) => (RegionState::Error, Some((e, Operation::ListKeys))),
        (None, Some(e)) => (RegionState::Scanned, Some((e, Operation::ListAliases))),
        (None, None) => (RegionState::Scanned, None),
    };
    let error = error.map(|(e, op)| ErrorInfo {
        code: e.code,
        message: e.message,
        operation: Some(op.as_str().to_owned()),
    });
    emit(
        options,
        ProgressEvent::RegionFinished {
            region: region.clone(),
            state,
        },
    );
    let keys_listed = listed.load(Ordering::Relaxed);
    (
        RegionReport {
            region,
            state,
            keys_listed,
            error,
        },
        findings,
    )
}

/// Every `ListKeys` page at once; on failure, the keys listed so far and the error.
pub(crate) async fn list_keys(caller: &Caller<'_>, options: &CheckOptions) -> (Vec<KeyListEntry>, Option<ApiError>) {
    let listed = AtomicU64::new(0);
    let (sender, keys) = futures::channel::mpsc::unbounded();
    let error = list_keys_into(caller, options, &listed, sender).await;
    (keys.collect().await, error)
}

/// Lists a region's keys page by page into the scan pipeline; the error that
/// stopped the listing, if any.
async fn list_keys_into(
    caller: &Caller<'_>,
    options: &CheckOptions,
    listed: &AtomicU64,
    keys: futures::channel::mpsc::UnboundedSender<KeyListEntry>,
) -> Option<ApiError> {
    let mut marker: Option<String> = None;
    loop {
        let page = match caller
            .call(Operation::ListKeys, || caller.client.list_keys(marker.as_deref()))
            .await
        {
            Ok(page) => page,
            Err(error) => return Some(error),
        };
        let count = page.items.len() as u64;
        let total = listed.fetch_add(count, Ordering::Relaxed) + count;
        emit(
            options,
            ProgressEvent::KeysListed {
                region: caller.region().to_owned(),
                listed: total,
            },
        );
        for entry in page.items {
            // The receiver lives until every key is read; a send cannot fail before that.
            let _ = keys.unbounded_send(entry);
        }
        match page.next_marker {
            // A marker that repeats would loop forever: treat it as the end.
            Some(next) if marker.as_ref() != Some(&next) => marker = Some(next),
            _ => return None,
        }
    }
}

/// A listed key whose API calls are done; its finding waits only for the alias names.
enum KeyRead {
    Described { facts: Box<KeyFacts>, read: RotationRead },
    NotDescribed { entry: KeyListEntry, error: ApiError },
}

/// The alias names of a key, from a region's listing (none if the listing failed).
fn aliases_of(listing: &Result<Arc<HashMap<String, Vec<String>>>, ApiError>, key_id: &str) -> Vec<String> {
    listing
        .as_ref()
        .ok()
        .and_then(|by_key| by_key.get(key_id).cloned())
        .unwrap_or_default()
}

async fn read_listed_key(
    caller: &Caller<'_>,
    entry: KeyListEntry,
    aliases: Option<Vec<String>>,
    policy: &Policy,
) -> KeyRead {
    match caller
        .call(Operation::DescribeKey, || caller.client.describe_key(&entry.key_id))
        .await
    {
        Ok(metadata) => {
            let region = caller.region().to_owned();
            let mut facts = KeyFacts {
                region,
                metadata,
                aliases: aliases.unwrap_or_default(),
                tags: None,
            };
            let read = caller.read_rotation(&mut facts, policy).await;
            KeyRead::Described {
                facts: Box::new(facts),
                read,
            }
        }
        Err(error) => KeyRead::NotDescribed { entry, error },
    }
}

/// The bindings run these futures on multi-threaded runtimes: they must stay `Send`.
#[allow(dead_code)]
fn futures_are_send(
    clients: &Clients,
    options: &CheckOptions,
    client: &dyn KmsClient,
    policy: &Policy,
    report: &AccountReport,
    remediation: &crate::remediate::RemediateOptions,
) {
    fn send<T: Send>(_: T) {}
    send(check_account(clients, options));
    send(check_key(client, "alias/x", policy));
    send(crate::collect::collect(clients, options));
    send(crate::remediate::remediate(clients, report, remediation));
    send(crate::remediate::remediate_keys(
        clients,
        "us-east-1",
        &[],
        policy,
        remediation,
    ));
}
