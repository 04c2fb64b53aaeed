//! `check_key` and `check_account`: the scan of a region and of an account,
//! standing on the engine (pacing, retries, paging, counters) and the rules.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{FutureExt, StreamExt};
use tokio::time::Instant;

use crate::api::{ApiError, ErrorKind, Operation};
use crate::arn::{KeyRef, check_region, check_region_shape};
use crate::baseline::FailOn;
use crate::client::{Clients, KmsClient};
use crate::comparison::Baseline;
use crate::engine::progress::emit;
use crate::engine::{
    AliasesByKey, ApiCall, CallLog, Caller, Counters, ProgressCallback, ProgressEvent, Rates, RetryConfig,
};
use crate::error::{Error, Result};
use crate::model::{ErrorInfo, Finding, KeyListEntry, RotationStatus, Status, Timestamp};
use crate::policy::Policy;
use crate::report::{AccountReport, RegionReport, RegionState};
use crate::rules::{self, KeyFacts};

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
    rates: Rates,
    retry: RetryConfig,
    progress: Option<ProgressCallback>,
    call_log: Option<CallLog>,
    now: Option<Timestamp>,
    evidence: Option<std::path::PathBuf>,
    baseline: Option<Arc<Baseline>>,
    fail_on: FailOn,
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
            .field("call_log", &self.call_log.is_some())
            .field("now", &self.now)
            .field("evidence", &self.evidence)
            .field("baseline", &self.baseline.is_some())
            .field("fail_on", &self.fail_on)
            .finish()
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            regions: None,
            max_in_flight: 128,
            rates: Rates::default(),
            retry: RetryConfig::default(),
            progress: None,
            call_log: None,
            now: None,
            evidence: None,
            baseline: None,
            fail_on: FailOn::Any,
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
        self.rates.set("requests per second", op, rps)?;
        Ok(self)
    }

    /// Sets every operation's budget to `fraction` of its AWS quota (default 0.5).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless `0 < fraction <= 1`.
    pub fn with_quota_fraction(mut self, fraction: f64) -> Result<Self> {
        self.rates.set_quota_fraction(fraction)?;
        Ok(self)
    }

    /// Caps every operation's budget at `rps` requests per second per region.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `rps` is not a positive number.
    pub fn with_max_requests_per_second(mut self, rps: f64) -> Result<Self> {
        self.rates.cap(rps)?;
        Ok(self)
    }

    /// Lifts every request budget: for clients that are not AWS (a snapshot file
    /// audited offline), where pacing would only slow the evaluation down.
    pub fn without_rate_limits(mut self) -> Self {
        self.rates = Rates::unlimited();
        self
    }

    /// Sets the retry behaviour.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// Fixes the run's clock: the report's `generated_at`, and the "now" that
    /// `max_days_since_rotation` measures a key's last rotation against
    /// (default: the time the run starts). For reproducible reports and tests.
    pub fn with_now(mut self, now: Timestamp) -> Self {
        self.now = Some(now);
        self
    }

    /// Compares the report with an earlier run's (`--baseline`): each finding
    /// is marked `new`, `unchanged`, `resolved` or `regressed`, and the
    /// baseline's findings whose keys are gone are kept. A baseline of another
    /// policy or region set is refused before any KMS call; of another account,
    /// as soon as the listing tells the account. Whole-account and
    /// organisation checks only.
    pub fn with_baseline(mut self, baseline: Baseline) -> Self {
        self.baseline = Some(Arc::new(baseline));
        self
    }

    /// Which failures decide the exit code: [`FailOn::Any`] (the default) or,
    /// with a baseline, [`FailOn::New`]: only new and regressed ones.
    pub fn with_fail_on(mut self, fail_on: FailOn) -> Self {
        self.fail_on = fail_on;
        self
    }

    /// The baseline to compare with, if any; [`FailOn::New`] without one is
    /// refused (before any call).
    pub(crate) fn baseline(&self) -> Result<Option<&Baseline>> {
        if self.fail_on == FailOn::New && self.baseline.is_none() {
            return Err(Error::invalid(
                "fail_on",
                "new",
                "needs a baseline: give the report of an earlier run as `baseline`",
            ));
        }
        Ok(self.baseline.as_deref())
    }

    /// These options without the baseline (and with the default `fail_on`):
    /// an organisation's accounts are checked so, and compared once, together.
    pub(crate) fn without_baseline(&self) -> Self {
        let mut options = self.clone();
        options.baseline = None;
        options.fail_on = FailOn::Any;
        options
    }

    /// Which failures decide the exit code.
    pub fn fail_on(&self) -> FailOn {
        self.fail_on
    }

    /// The run's clock: the time fixed with [`CheckOptions::with_now`], else the current time.
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(Timestamp::now)
    }

    /// Subscribes to progress events.
    pub fn with_progress(mut self, progress: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Hands every API attempt to `log` (operation, region, outcome, latency,
    /// attempt; never a credential), as `--verbose` prints them.
    pub fn with_call_log(mut self, log: impl Fn(&ApiCall) + Send + Sync + 'static) -> Self {
        self.call_log = Some(Arc::new(log));
        self
    }

    /// Writes the check's evidence to `path` (see [`crate::Evidence`]): the
    /// facts the verdicts were made on, as a snapshot file, and beside it the
    /// report (`NAME.report.json`) and a manifest (`NAME.manifest.json`) that
    /// [`crate::verify_evidence`] re-checks offline. Whole-account checks only
    /// ([`crate::Connection::check_account`]); other operations refuse it.
    pub fn with_evidence(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.evidence = Some(path.into());
        self
    }

    /// Where the check's evidence goes, if it was asked for.
    pub fn evidence(&self) -> Option<&std::path::Path> {
        self.evidence.as_deref()
    }

    /// The call log, if one was given.
    pub(crate) fn call_log(&self) -> Option<&CallLog> {
        self.call_log.as_ref()
    }

    /// The counters of a run under these options, with their call log.
    pub(crate) fn counters(&self) -> Counters {
        Counters::logging(self.call_log.clone())
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

    /// How an organisation run's STS, Organizations and Account calls are
    /// paced, retried and logged under these options.
    pub(crate) fn pacing(&self) -> crate::engine::Pacing {
        crate::engine::Pacing {
            rates: self.rates.clone(),
            retry: self.retry.clone(),
            call_log: self.call_log.clone(),
        }
    }

    /// The budget of one operation in requests per second per region.
    pub fn rate(&self, op: Operation) -> f64 {
        self.rates.get(op)
    }

    /// The retry behaviour.
    pub fn retry(&self) -> &RetryConfig {
        &self.retry
    }

    /// Calls in flight per region.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    pub(crate) fn progress(&self) -> Option<&ProgressCallback> {
        self.progress.as_ref()
    }

    /// These options with another progress subscriber (or none).
    pub(crate) fn with_progress_callback(mut self, progress: Option<ProgressCallback>) -> Self {
        self.progress = progress;
        self
    }

    /// A caller for one region's client under these options.
    pub(crate) fn caller<'a>(&self, client: &'a dyn KmsClient, counters: &'a Counters) -> Caller<'a> {
        Caller::new(client, &self.rates, &self.retry, counters)
    }
}

/// What was read about a key: the rotation status where needed, or the call that failed.
pub(crate) type RotationRead = Result<Option<RotationStatus>, (ApiError, Operation)>;

/// Reads what the decision table needs about one key: the tags (for tag
/// exemptions), the rotation status and the rotation history (read at `now`),
/// where the table needs them.
pub(crate) async fn read_rotation(
    caller: &Caller<'_>,
    facts: &mut KeyFacts,
    policy: &Policy,
    now: Timestamp,
) -> RotationRead {
    let key_id = facts.metadata.key_id.clone();
    if policy.needs_tags() {
        facts.tags = Some(
            caller
                .tags(&key_id)
                .await
                .map_err(|e| (tags_unknown(e, policy), Operation::ListResourceTags))?,
        );
    }
    let status = if rules::needs_rotation_status(facts, policy) {
        caller
            .call(Operation::GetKeyRotationStatus, || {
                caller.client.get_key_rotation_status(&key_id)
            })
            .await
            .map(Some)
            .map_err(|e| (e, Operation::GetKeyRotationStatus))?
    } else {
        None
    };
    if rules::needs_rotation_history(facts, policy) {
        // An imported-material key's history is every material: the first one
        // and any pending rotation too (IncludeKeyMaterial=ALL_KEY_MATERIAL).
        let history = match rules::is_imported_material(&facts.metadata) {
            true => caller.material_history(&key_id, now).await,
            false => caller.rotation_history(&key_id, now).await,
        };
        facts.rotation_history = Some(history.map_err(|e| (e, Operation::ListKeyRotations))?);
    }
    Ok(status)
}

/// A failed tag read, saying which exemptions it leaves undecided.
fn tags_unknown(mut error: ApiError, policy: &Policy) -> ApiError {
    error.message = format!(
        "{} (so the exemption {} cannot be evaluated)",
        error.message.trim_end_matches('.'),
        policy.tag_rules()
    );
    error
}

pub(crate) fn decide(facts: &KeyFacts, read: RotationRead, policy: &Policy, now: Timestamp) -> Finding {
    match read {
        Ok(rotation) => rules::evaluate_at(facts, rotation.as_ref(), policy, now),
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
    if policy.reads_rotation_history() {
        operations.push(Operation::ListKeyRotations);
    }
    if policy.reads_last_usage() {
        operations.push(Operation::GetKeyLastUsage);
    }
    operations
}

/// Checks that `key` can be asked of `client`: well formed, and, for an ARN,
/// in the client's region.
pub(crate) fn parse_key_for(client: &dyn KmsClient, key: &str) -> Result<KeyRef> {
    let key_ref: KeyRef = key.parse()?;
    if let Some(region) = key_ref.region().filter(|r| *r != client.region()) {
        return Err(Error::invalid(
            "key reference",
            key,
            format!("the ARN is in {region} but the client is for {}", client.region()),
        ));
    }
    Ok(key_ref)
}

/// Checks one key, named by key id, key ARN, alias name or alias ARN, with the
/// options' policy, retries and request budget (its regions are not used: the
/// client's region is the key's).
///
/// API errors become an `ERROR` finding, never an `Err`.
///
/// # Errors
/// [`Error::InvalidInput`] before any API call when `key` is malformed, or
/// when it is an ARN in another region than the client's.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_key, CheckOptions, Snapshot, Status};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
/// let client = snapshot.client("us-east-1")?;
/// let finding = check_key(client.as_ref(), "alias/payments-db", &CheckOptions::default()).await?;
/// assert_eq!(finding.status, Status::Pass);
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn check_key(client: &dyn KmsClient, key: &str, options: &CheckOptions) -> Result<Finding> {
    let key_ref = parse_key_for(client, key)?;
    let counters = options.counters();
    let caller = options.caller(client, &counters);
    Ok(check_key_with(&caller, &key_ref, options.policy(), options.now()).await)
}

/// [`check_key`] through a caller whose counters the caller keeps, judged at `now`.
pub(crate) async fn check_key_with(caller: &Caller<'_>, key_ref: &KeyRef, policy: &Policy, now: Timestamp) -> Finding {
    let finding = judge_key_with(caller, key_ref, policy, now).await;
    with_last_usage(caller, finding, policy).await
}

/// With the `last_usage` option, a `FAIL` or `ERROR` finding with its key's
/// last use (`GetKeyLastUsage`, its own budget); every other finding as it is,
/// and no call without the option. A failed read leaves the verdict alone and
/// says why the last use is unknown.
pub(crate) async fn with_last_usage(caller: &Caller<'_>, mut finding: Finding, policy: &Policy) -> Finding {
    if !policy.reads_last_usage()
        || !matches!(finding.status, Status::Fail | Status::Error)
        || finding.key_id.is_empty()
        || finding.key_id.starts_with("alias/")
    {
        return finding;
    }
    let key_id = finding.key_id.clone();
    let usage = match caller
        .call(Operation::GetKeyLastUsage, || caller.client.get_key_last_usage(&key_id))
        .await
    {
        Ok(answer) => crate::model::LastUsage::from_answer(&answer),
        Err(error) => crate::model::LastUsage {
            error: Some(ErrorInfo {
                code: error.code,
                message: error.message,
                operation: Some(Operation::GetKeyLastUsage.as_str().to_owned()),
            }),
            ..crate::model::LastUsage::default()
        },
    };
    finding.message = format!("{} {}", finding.message, usage.sentence());
    finding.last_usage = Some(Box::new(usage));
    finding
}

async fn judge_key_with(caller: &Caller<'_>, key_ref: &KeyRef, policy: &Policy, now: Timestamp) -> Finding {
    let region = caller.region().to_owned();
    let key = key_ref.as_str();
    let named_arn = if matches!(key_ref, KeyRef::KeyArn(_)) { key } else { "" };
    let given_alias: Vec<String> = key_ref.alias_name().into_iter().collect();
    let metadata = match caller
        .call(Operation::DescribeKey, || caller.client.describe_key(key))
        .await
    {
        Ok(metadata) => metadata,
        Err(error) => {
            return rules::describe_error_finding(&region, key, named_arn, &given_alias, error);
        }
    };
    let mut facts = KeyFacts {
        region,
        metadata,
        aliases: given_alias,
        tags: None,
        rotation_history: None,
    };
    match caller.aliases(Some(&facts.metadata.key_id)).await {
        Ok(mut found) => facts
            .aliases
            .extend(found.remove(&facts.metadata.key_id).unwrap_or_default()),
        Err(error) => return rules::error_finding(&facts, error, Operation::ListAliases.as_str()),
    }
    let read = read_rotation(caller, &mut facts, policy, now).await;
    decide(&facts, read, policy, now)
}

/// Checks the named keys concurrently, with `options`' policy, retries and
/// budget, into a report (one finding per key; no region entries).
///
/// Key ARNs select their own region; key ids and alias names are looked up in `region`.
///
/// # Errors
/// [`Error::InvalidInput`] for a malformed key reference or region, and
/// [`Error::Configuration`] for a region without a client, before any API call.
pub async fn check_keys(
    clients: &Clients,
    region: &str,
    keys: &[&str],
    options: &CheckOptions,
) -> Result<AccountReport> {
    let started = Instant::now();
    if options.baseline()?.is_some() {
        return Err(Error::invalid(
            "baseline",
            "keys",
            "a baseline compares whole-account or organisation checks, not a list of keys",
        ));
    }
    let counters = options.counters();
    let mut report = check_keys_with(clients, region, keys, options, &counters).await?;
    report.stats = counters.stats(started);
    Ok(report)
}

/// [`check_keys`], counting calls in `counters`.
pub(crate) async fn check_keys_with(
    clients: &Clients,
    region: &str,
    keys: &[&str],
    options: &CheckOptions,
    counters: &Counters,
) -> Result<AccountReport> {
    check_region(region)?;
    let mut region_clients: HashMap<String, Arc<dyn KmsClient>> = HashMap::new();
    let mut parsed = Vec::with_capacity(keys.len());
    for key in keys {
        let key_region = key.parse::<KeyRef>()?.region().unwrap_or(region).to_owned();
        if !region_clients.contains_key(&key_region) {
            region_clients.insert(key_region.clone(), clients.get(&key_region)?);
        }
        let key_ref = parse_key_for(region_clients[&key_region].as_ref(), key)?;
        parsed.push((key_ref, key_region));
    }
    let callers: HashMap<&str, Caller<'_>> = region_clients
        .iter()
        .map(|(region, client)| (region.as_str(), options.caller(client.as_ref(), counters)))
        .collect();
    let now = options.now();
    // By index: a closure over `&(KeyRef, String)` would not be `Send` for every lifetime.
    let findings = futures::stream::iter(0..parsed.len())
        .map(|i| {
            let (key_ref, region) = &parsed[i];
            check_key_with(&callers[region.as_str()], key_ref, options.policy(), now)
        })
        .buffer_unordered(options.max_in_flight())
        .collect()
        .await;
    let mut report = AccountReport::new(options.policy().clone());
    report.generated_at = now;
    report.findings = findings;
    report.normalize();
    Ok(report)
}

/// The regions a run covers, each with its client; checked before any call.
pub(crate) fn region_clients(clients: &Clients, options: &CheckOptions, what: &str) -> Result<Vec<Arc<dyn KmsClient>>> {
    let regions = match options.regions() {
        Some(regions) => regions.to_vec(),
        None => clients.regions(),
    };
    if regions.is_empty() {
        return Err(Error::Configuration(format!(
            "no regions to {what}: give a region or a client"
        )));
    }
    let mut region_clients = Vec::with_capacity(regions.len());
    for region in &regions {
        check_region_shape(region)?;
        region_clients.push(clients.get(region)?);
    }
    Ok(region_clients)
}

/// Checks every key in the requested regions, all regions in parallel.
///
/// Per region: `ListKeys` (pages of 1000), `ListAliases` once, `DescribeKey` per
/// key, `GetKeyRotationStatus` only where the decision table needs it, and
/// `ListResourceTags` only when a tag exemption is configured. Every listed
/// key yields exactly one finding (a key listed twice, one) and every requested
/// region one entry.
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
    let region_clients = region_clients(clients, options, "check")?;
    let baseline = options.baseline()?;
    if let Some(baseline) = baseline {
        let regions: Vec<String> = region_clients.iter().map(|c| c.region().to_owned()).collect();
        baseline.check_account_run(options.policy(), Some(&regions))?;
    }
    let counters = Arc::new(options.counters());
    let now = options.now();
    // Each region on a task of its own, so that regions share the runtime's worker threads.
    let shared = Arc::new(options.clone());
    let scans = region_clients.iter().map(|client| {
        let (client, options, counters) = (client.clone(), shared.clone(), counters.clone());
        crate::engine::on_own_task(async move { scan_region(client.as_ref(), &options, &counters, now).await })
    });
    let results = futures::future::join_all(scans).await;

    let mut results = results;
    judge_refusals(clients, &mut results).await?;
    let mut report = AccountReport::new(options.policy().clone());
    report.generated_at = now;
    for (entry, findings) in results {
        report.regions.push(entry);
        // The first region's findings are moved, not copied: a copy would
        // briefly hold them twice.
        if report.findings.is_empty() {
            report.findings = findings;
        } else {
            report.findings.extend(findings);
        }
    }
    rules::narrow_missing_imports(&mut report.findings);
    report.normalize();
    report.stats = counters.stats(started);
    if let Some(baseline) = baseline {
        baseline.apply_to_account(&mut report, options.fail_on())?;
    }
    Ok(report)
}

/// Decides what a region that refused the credentials (`UnrecognizedClientException`
/// and kin on `ListKeys`) means. Refused in the home region or in every region:
/// the credentials are bad, a configuration error. Refused in a region enabled in
/// every account: a region error. In an opt-in region: `not_enabled` when the
/// account's enabled-region list says so (or no list can be had), a region
/// error when the list says it is enabled or cannot be read.
pub(crate) async fn judge_refusals(clients: &Clients, results: &mut [(RegionReport, Vec<Finding>)]) -> Result<()> {
    let refused = |entry: &RegionReport| entry.state == RegionState::NotEnabled;
    let credentials_error = |what: String, entry: &RegionReport| {
        let detail = entry.error.as_ref().map(ToString::to_string).unwrap_or_default();
        Error::Configuration(format!(
            "the credentials were refused {what}: {detail}; check the credentials, the profile or the role"
        ))
    };
    if !results.is_empty() && results.iter().all(|(entry, _)| refused(entry)) {
        let regions: Vec<&str> = results.iter().map(|(entry, _)| entry.region.as_str()).collect();
        return Err(credentials_error(
            format!("in every region checked ({})", regions.join(", ")),
            &results[0].0,
        ));
    }
    if let Some(home) = clients.home_region()
        && let Some((entry, _)) = results.iter().find(|(entry, _)| entry.region == home && refused(entry))
    {
        return Err(credentials_error(format!("in the home region {home}"), entry));
    }
    let mut enabled: Option<std::result::Result<Vec<String>, String>> = None;
    for (entry, _) in results.iter_mut().filter(|(entry, _)| refused(entry)) {
        let verdict = match crate::arn::is_opt_in_region(&entry.region) {
            Some(false) => Err(format!(
                "{} is enabled in every account, so the credentials are not valid there",
                entry.region
            )),
            _ => match clients.enabled_regions_lookup() {
                None => Ok(()),
                Some(lookup) => {
                    if enabled.is_none() {
                        enabled = Some(lookup().await.map_err(|e| e.to_string()));
                    }
                    match enabled.as_ref().expect("looked up above") {
                        Ok(list) if list.contains(&entry.region) => Err(format!(
                            "{} is enabled for the account (account:ListRegions), so the credentials are not valid there",
                            entry.region
                        )),
                        Ok(_) => Ok(()),
                        Err(why) => Err(format!(
                            "whether {} is enabled for the account could not be confirmed ({why})",
                            entry.region
                        )),
                    }
                }
            },
        };
        if let Err(why) = verdict {
            entry.state = RegionState::Error;
            if let Some(error) = entry.error.as_mut() {
                error.message = format!("{} ({why})", error.message);
            }
        }
    }
    Ok(())
}

/// A region's keys, listed page by page into `keys`; the error that stopped
/// the listing, if any. A key listed twice is passed on once.
pub(crate) async fn list_keys_into(
    caller: &Caller<'_>,
    progress: Option<&ProgressCallback>,
    listed: &AtomicU64,
    keys: futures::channel::mpsc::UnboundedSender<KeyListEntry>,
) -> Option<ApiError> {
    // A fast hash: key ids are AWS's (or the snapshot's), not an attacker's choosing.
    let mut seen: HashSet<String, foldhash::fast::RandomState> = HashSet::default();
    caller
        .list(None, |page: Vec<KeyListEntry>| {
            let mut count = 0;
            for entry in page {
                if seen.insert(entry.key_id.clone()) {
                    count += 1;
                    // The receiver lives until every key is read; a send cannot fail before that.
                    let _ = keys.unbounded_send(entry);
                }
            }
            let total = listed.fetch_add(count, Ordering::Relaxed) + count;
            emit(
                progress,
                ProgressEvent::KeysListed {
                    region: caller.region().to_owned(),
                    listed: total,
                },
            );
        })
        .await
        .err()
}

async fn scan_region(
    client: &dyn KmsClient,
    options: &CheckOptions,
    counters: &Counters,
    now: Timestamp,
) -> (RegionReport, Vec<Finding>) {
    let caller = options.caller(client, counters);
    let region = client.region().to_owned();
    let progress = options.progress();
    emit(progress, ProgressEvent::RegionStarted { region: region.clone() });

    // Keys are read as their ListKeys page arrives, while ListAliases runs
    // alongside. A key's finding needs its alias names, but waiting for them
    // would hold a slot of the in-flight budget: each key's finding is decided
    // as soon as its calls are done and takes its alias names once the listing
    // is in (an alias exemption, which needs them to decide, waits for them).
    // The key's facts are let go at once: holding every key's metadata until
    // the listing ends would cost as much memory as the findings.
    let alias_listing = caller.aliases(None).map(|listing| listing.map(Arc::new)).shared();
    let listed = AtomicU64::new(0);
    let evaluated = AtomicU64::new(0);
    let (sender, keys) = futures::channel::mpsc::unbounded();
    let listing = list_keys_into(&caller, progress, &listed, sender);
    let findings = keys
        .map(|entry| {
            let (caller, evaluated, listed, region, alias_listing) =
                (&caller, &evaluated, &listed, &region, &alias_listing);
            async move {
                let early_aliases = match options.policy().needs_aliases() {
                    true => Some(alias_listing.clone().await),
                    false => None,
                };
                let finding = read_listed_key(caller, entry, early_aliases, options.policy(), now).await;
                let finding = with_last_usage(caller, finding, options.policy()).await;
                let done = evaluated.fetch_add(1, Ordering::Relaxed) + 1;
                emit(
                    progress,
                    ProgressEvent::KeyEvaluated {
                        region: region.clone(),
                        evaluated: done,
                        listed: listed.load(Ordering::Relaxed),
                    },
                );
                finding
            }
        })
        .buffer_unordered(options.max_in_flight())
        .collect::<Vec<Finding>>();
    let (list_error, mut findings, aliases) = futures::join!(listing, findings, alias_listing.clone());
    // The last handle on the listing: each finding then takes its key's names out of it.
    drop(alias_listing);
    let mut aliases = aliases.map(|by_key| Arc::try_unwrap(by_key).unwrap_or_else(|shared| (*shared).clone()));
    for finding in &mut findings {
        finding.aliases = rules::sorted(take_aliases(&mut aliases, &finding.key_id));
    }

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
        progress,
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

/// The alias names of a key, taken from a region's listing (none if the listing failed).
fn take_aliases(listing: &mut Result<AliasesByKey, ApiError>, key_id: &str) -> Vec<String> {
    listing
        .as_mut()
        .ok()
        .and_then(|by_key| by_key.remove(key_id))
        .unwrap_or_default()
}

/// The finding of a listed key, decided as soon as its calls are done. With
/// an alias exemption, `aliases` is the region's alias listing, already in:
/// a verdict that would hold only if no alias rule matched is unknown when the
/// listing failed, not FAIL or PASS. Without one, the finding takes its alias
/// names later (they change nothing else in it).
async fn read_listed_key(
    caller: &Caller<'_>,
    entry: KeyListEntry,
    aliases: Option<Result<Arc<AliasesByKey>, ApiError>>,
    policy: &Policy,
    now: Timestamp,
) -> Finding {
    match caller
        .call(Operation::DescribeKey, || caller.client.describe_key(&entry.key_id))
        .await
    {
        Ok(metadata) => {
            let names = match &aliases {
                Some(Ok(by_key)) => by_key.get(&entry.key_id).cloned().unwrap_or_default(),
                _ => Vec::new(),
            };
            let mut facts = KeyFacts {
                region: caller.region().to_owned(),
                metadata,
                aliases: names,
                tags: None,
                rotation_history: None,
            };
            let read = read_rotation(caller, &mut facts, policy, now).await;
            let finding = decide(&facts, read, policy, now);
            match aliases {
                Some(Err(error)) if matches!(finding.status, Status::Pass | Status::Fail) => {
                    rules::error_finding(&facts, error, Operation::ListAliases.as_str())
                }
                _ => finding,
            }
        }
        Err(error) => rules::describe_error_finding(caller.region(), &entry.key_id, &entry.key_arn, &[], error),
    }
}
