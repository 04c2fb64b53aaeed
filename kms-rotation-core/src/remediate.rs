//! Turning rotation on where a check found it off or too slow: plan, apply, verify.
//!
//! Rules: only `FAIL` findings are acted on; a replica's fix goes to its primary,
//! once; the status is re-read right before acting; `EnableKeyRotation` always
//! gets an explicit period, never longer than the current one and never above
//! the policy maximum; rotation is never disabled; disabled and
//! pending-deletion keys are skipped; every change is read back.
//!
//! A key whose rotation is on but overdue (`rotation_overdue`) cannot be fixed
//! by `EnableKeyRotation`: it needs an on-demand rotation, of which each key has
//! only [`ON_DEMAND_ROTATION_LIMIT`] in its lifetime. Remediation never starts
//! one by itself: it is `SKIPPED` with the command (for imported key material,
//! with the steps: import new material first), unless `rotate_on_demand` is
//! set, and then only within the key's quota, read back with `ListKeyRotations`.
//!
//! A key whose new imported material waits to be made current
//! (`rotation_pending`) is completed the same way: with `rotate_on_demand`,
//! after a fresh read of its materials (`IncludeKeyMaterial=ALL_KEY_MATERIAL`)
//! still shows it `PENDING_ROTATION`, by `RotateKeyOnDemand`, read back until that
//! material is `CURRENT`. Remediation never imports material itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use crate::api::{ApiError, ON_DEMAND_ROTATION_LIMIT, Operation};
use crate::arn::Arn;
use crate::check::{CheckOptions, check_keys_with};
use crate::client::{Clients, KmsClient};
use crate::engine::{ApiCall, CallLog, Caller, Counters, Rates, RetryConfig};
use crate::error::{Error, Result};
use crate::model::{ErrorInfo, KeyMetadata, Reason, RotationHistory, RotationStatus, Status, Timestamp};
use crate::policy::{Policy, check_rotation_period};
use crate::report::{AccountReport, Outcome, RemediationAction, RemediationReport, ReportSource, SCHEMA_VERSION};
use crate::rules::{self, KeyFacts};

/// Options of [`remediate`]. The default is a dry run.
///
/// ```
/// use kms_rotation_core::RemediateOptions;
/// let options = RemediateOptions::default().with_rotation_period_days(180)?.with_dry_run(false);
/// assert!(!options.dry_run());
/// assert!(RemediateOptions::default().with_rotation_period_days(2561).is_err());
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RemediateOptions {
    rotation_period_days: Option<u32>,
    dry_run: bool,
    verify_attempts: u32,
    verify_delay: Duration,
    retry: RetryConfig,
    enable_rate: f64,
    max_in_flight: usize,
    rotate_on_demand: bool,
    allow_other_source: bool,
    call_log: Option<CallLog>,
}

impl std::fmt::Debug for RemediateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemediateOptions")
            .field("rotation_period_days", &self.rotation_period_days)
            .field("dry_run", &self.dry_run)
            .field("verify_attempts", &self.verify_attempts)
            .field("verify_delay", &self.verify_delay)
            .field("retry", &self.retry)
            .field("enable_rate", &self.enable_rate)
            .field("max_in_flight", &self.max_in_flight)
            .field("rotate_on_demand", &self.rotate_on_demand)
            .field("allow_other_source", &self.allow_other_source)
            .field("call_log", &self.call_log.is_some())
            .finish()
    }
}

impl Default for RemediateOptions {
    fn default() -> Self {
        Self {
            rotation_period_days: None,
            dry_run: true,
            verify_attempts: 5,
            verify_delay: Duration::from_millis(500),
            retry: RetryConfig::default(),
            enable_rate: Operation::EnableKeyRotation.aws_quota_rps() * crate::engine::DEFAULT_QUOTA_FRACTION,
            max_in_flight: 8,
            call_log: None,
            rotate_on_demand: false,
            allow_other_source: false,
        }
    }
}

impl RemediateOptions {
    /// The period to set (90..=2560; default: 365, or the policy maximum if lower).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `rotation_period_days` when out of range.
    pub fn with_rotation_period_days(mut self, days: u32) -> Result<Self> {
        self.rotation_period_days = Some(check_rotation_period("rotation_period_days", days)?);
        Ok(self)
    }

    /// Hands every API attempt to `log`, as [`CheckOptions::with_call_log`] does.
    pub fn with_call_log(mut self, log: impl Fn(&ApiCall) + Send + Sync + 'static) -> Self {
        self.call_log = Some(std::sync::Arc::new(log));
        self
    }

    /// `true` (the default) reports what would change without changing anything.
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// How often to read a change back, and the wait between reads (reads may lag).
    pub fn with_verification(mut self, attempts: u32, delay: Duration) -> Self {
        self.verify_attempts = attempts.max(1);
        self.verify_delay = delay;
        self
    }

    /// Sets the retry behaviour.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// `true` rotates overdue keys (`rotation_overdue`, KMS-generated material)
    /// on demand with `RotateKeyOnDemand`, unless the key has used its lifetime
    /// quota of on-demand rotations; `false` (the default) skips them with the
    /// command to run. Dry runs still change nothing.
    pub fn with_rotate_on_demand(mut self, rotate: bool) -> Self {
        self.rotate_on_demand = rotate;
        self
    }

    /// `true` acts on a report checked elsewhere than where remediation acts
    /// (another snapshot, profile, endpoint or role); `false` (the default)
    /// refuses it, so that a report's keys are changed only where they were read.
    pub fn with_allow_other_source(mut self, allow: bool) -> Self {
        self.allow_other_source = allow;
        self
    }

    /// Checks that a report read from `checked` may be remediated through
    /// `acting`: the same source, or `allow_other_source`. A report that does
    /// not record its source (made by [`crate::check_account`] on your own
    /// clients, or by an older version) is not compared.
    ///
    /// # Errors
    /// [`Error::Configuration`] naming both sources when they differ.
    pub fn check_source(&self, checked: Option<&ReportSource>, acting: &ReportSource) -> Result<()> {
        match checked {
            Some(checked) if !self.allow_other_source && !checked.same_place(acting) => {
                Err(Error::Configuration(format!(
                    "the report was checked from {}, but remediation would act on {}: remediate where it was \
                 checked, or give allow_other_source to act there anyway",
                    checked.describe(),
                    acting.describe()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Whether overdue keys are rotated on demand.
    pub fn rotate_on_demand(&self) -> bool {
        self.rotate_on_demand
    }

    /// `EnableKeyRotation` requests per second per region (quota 15; default 7.5).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless `0 < rps <= 15`.
    pub fn with_enable_rate(mut self, rps: f64) -> Result<Self> {
        let quota = Operation::EnableKeyRotation.aws_quota_rps();
        if !(rps.is_finite() && rps > 0.0 && rps <= quota) {
            return Err(Error::invalid(
                "EnableKeyRotation rate",
                rps.to_string(),
                format!("must be in (0, {quota}]"),
            ));
        }
        self.enable_rate = rps;
        Ok(self)
    }

    /// The period remediation under `policy` will set: the requested one, else 365
    /// or the policy maximum if lower.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `rotation_period_days` when it is above the policy maximum.
    pub fn rotation_period_for(&self, policy: &Policy) -> Result<u32> {
        period_for(policy, self)
    }

    /// The operations [`remediate`] may call with these options (a dry run never
    /// calls `EnableKeyRotation`), so that an injected client can be checked first.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations = vec![Operation::DescribeKey, Operation::GetKeyRotationStatus];
        if !self.dry_run {
            operations.push(Operation::EnableKeyRotation);
        }
        if self.rotate_on_demand {
            operations.push(Operation::ListKeyRotations);
            if !self.dry_run {
                operations.push(Operation::RotateKeyOnDemand);
            }
        }
        operations
    }

    /// The operations remediating a report judged under `policy` may call:
    /// [`RemediateOptions::operations`], and `ListResourceTags` when a tag
    /// exemption must be checked again before a key is changed.
    pub fn operations_for(&self, policy: &Policy) -> Vec<Operation> {
        let mut operations = self.operations();
        if policy.needs_tags() {
            operations.push(Operation::ListResourceTags);
        }
        operations
    }

    /// The request budget: half of each KMS quota, and the `EnableKeyRotation` rate.
    fn rates(&self) -> Rates {
        let mut rates = Rates::default();
        // The rate was validated when set.
        let _ = rates.set("EnableKeyRotation rate", Operation::EnableKeyRotation, self.enable_rate);
        rates
    }

    /// How an organisation run's STS, Organizations and Account calls are
    /// paced, retried and logged under these options.
    pub(crate) fn pacing(&self) -> crate::engine::Pacing {
        crate::engine::Pacing {
            rates: self.rates(),
            retry: self.retry.clone(),
            call_log: self.call_log.clone(),
        }
    }

    /// Whether this is a dry run.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// The requested period, if set.
    pub fn rotation_period_days(&self) -> Option<u32> {
        self.rotation_period_days
    }

    /// The retry behaviour.
    pub fn retry(&self) -> &RetryConfig {
        &self.retry
    }
}

/// A target key and the findings that lead to it.
struct Target {
    region: String,
    arn: String,
    finding_arns: Vec<String>,
    /// The alias names of the findings behind it (for the policy's alias exemptions).
    aliases: Vec<String>,
    /// A finding behind it is `rotation_overdue`: it needs an on-demand rotation.
    overdue: bool,
    /// A finding behind it is `rotation_pending`: imported material waits for an on-demand rotation.
    pending: bool,
}

/// Fixes the `FAIL` findings of a report.
///
/// # Errors
/// Before any API call: [`Error::InvalidInput`] when the period is outside
/// 90..=2560 or above the report's policy maximum; [`Error::Configuration`]
/// when there is no client for a target's region. API failures become
/// `FAILED` actions.
///
/// # Example
/// ```
/// use kms_rotation_core::{check_account, remediate, CheckOptions, Outcome, RemediateOptions, Snapshot};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
/// let report = check_account(&snapshot.clients(), &CheckOptions::default()).await?;
/// let plan = remediate(&snapshot.clients(), &report, &RemediateOptions::default()).await?;
/// assert!(plan.dry_run);
/// assert!(plan.actions.iter().all(|a| a.outcome != Outcome::Changed));
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub async fn remediate(
    clients: &Clients,
    report: &AccountReport,
    options: &RemediateOptions,
) -> Result<RemediationReport> {
    remediate_with(
        clients,
        report,
        options,
        &Counters::logging(options.call_log.clone()),
        Instant::now(),
    )
    .await
}

/// [`remediate`], counting calls in `counters` (which may already hold a check's).
async fn remediate_with(
    clients: &Clients,
    report: &AccountReport,
    options: &RemediateOptions,
    counters: &Counters,
    started: Instant,
) -> Result<RemediationReport> {
    let policy = &report.policy;
    let period = period_for(policy, options)?;
    let now = Timestamp::now();

    let mut targets: BTreeMap<(String, String), Target> = BTreeMap::new();
    for finding in report.findings_with(Status::Fail) {
        if let Some(code) = &finding.code {
            return Err(Error::invalid(
                "report",
                code.address.clone(),
                "the report is of keys declared in code (Terraform or CloudFormation): make each finding's fix \
                 there and deploy; remediate acts on live keys",
            ));
        }
        let (region, arn) = match &finding.remediation {
            Some(plan) => (plan.region.clone(), plan.target_arn.clone()),
            None => (finding.region.clone(), finding.key_arn.clone()),
        };
        let target = targets.entry((region.clone(), arn.clone())).or_insert_with(|| Target {
            region,
            arn,
            finding_arns: Vec::new(),
            aliases: Vec::new(),
            overdue: false,
            pending: false,
        });
        target.finding_arns.push(finding.key_arn.clone());
        target.aliases.extend(finding.aliases.iter().cloned());
        target.overdue |= finding.reason == Reason::RotationOverdue;
        target.pending |= finding.reason == Reason::RotationPending;
    }
    for target in targets.values() {
        check_target(target)?;
    }

    let mut region_clients: HashMap<String, Arc<dyn KmsClient>> = HashMap::new();
    for target in targets.values() {
        if !region_clients.contains_key(&target.region) {
            region_clients.insert(target.region.clone(), clients.get(&target.region)?);
        }
    }
    let rates = options.rates();
    let callers: HashMap<&str, Caller<'_>> = region_clients
        .iter()
        .map(|(region, client)| {
            (
                region.as_str(),
                Caller::new(client.as_ref(), &rates, &options.retry, counters),
            )
        })
        .collect();

    let mut actions: Vec<RemediationAction> = futures::stream::iter(targets.into_values())
        .map(|target| {
            let caller = &callers[target.region.as_str()];
            act(caller, target, period, policy, options, now)
        })
        .buffer_unordered(options.max_in_flight)
        .collect()
        .await;
    actions.sort_by(|a, b| (&a.region, &a.target_arn).cmp(&(&b.region, &b.target_arn)));
    let mut summary = BTreeMap::new();
    for action in &actions {
        *summary.entry(action.outcome).or_insert(0) += 1;
    }
    Ok(RemediationReport {
        schema_version: SCHEMA_VERSION,
        generated_at: now,
        dry_run: options.dry_run,
        rotation_period_days: period,
        actions,
        summary,
        stats: counters.stats(started),
    })
}

/// The period to set: the requested one, else the default, checked against KMS's range and the policy.
fn period_for(policy: &Policy, options: &RemediateOptions) -> Result<u32> {
    let period = options
        .rotation_period_days
        .unwrap_or_else(|| policy.default_remediation_period_days());
    check_rotation_period("rotation_period_days", period)?;
    if period > policy.max_rotation_period_days() {
        return Err(Error::invalid(
            "rotation_period_days",
            period.to_string(),
            format!(
                "it is above the policy maximum of {} days",
                policy.max_rotation_period_days()
            ),
        ));
    }
    Ok(period)
}

/// A target must be a key ARN in the region it is sent to: a report edited by
/// hand (or written by another tool) is checked before any call.
fn check_target(target: &Target) -> Result<()> {
    let bad = |reason: String| Error::invalid("remediation target", &target.arn, reason);
    // The key id is KMS's own (an emulator's may be shaped differently): only the ARN's frame is checked.
    let arn = Arn::parse(&target.arn).map_err(|error| match error {
        Error::InvalidInput { reason, .. } => bad(reason),
        other => other,
    })?;
    if arn.resource.strip_prefix("key/").is_none_or(str::is_empty) {
        return Err(bad(
            "a remediation target must be a key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID)".to_owned(),
        ));
    }
    crate::arn::check_region(&arn.region).map_err(|error| match error {
        Error::InvalidInput { reason, .. } => bad(reason),
        other => other,
    })?;
    if arn.region != target.region {
        return Err(bad(format!(
            "the ARN is in {} but the report sends it to {}",
            arn.region, target.region
        )));
    }
    Ok(())
}

/// Checks the named keys (concurrently, with `check`'s policy, retries and
/// budget), then fixes those that fail. The report's stats count both.
///
/// Key ARNs select their own region; key ids and alias names are looked up in `region`.
///
/// # Errors
/// As [`remediate`], plus [`Error::InvalidInput`] for a malformed key reference
/// or region, all before any API call.
pub async fn remediate_keys(
    clients: &Clients,
    region: &str,
    keys: &[&str],
    check: &CheckOptions,
    options: &RemediateOptions,
) -> Result<RemediationReport> {
    let started = Instant::now();
    period_for(check.policy(), options)?;
    // The check's calls and the remediation's go to the remediation's log (or the check's).
    let counters = Counters::logging(options.call_log.clone().or_else(|| check.call_log().cloned()));
    let report = check_keys_with(clients, region, keys, check, &counters).await?;
    remediate_with(clients, &report, options, &counters, started).await
}

async fn act(
    caller: &Caller<'_>,
    target: Target,
    period: u32,
    policy: &Policy,
    options: &RemediateOptions,
    now: Timestamp,
) -> RemediationAction {
    let overdue = target.overdue;
    let pending = target.pending;
    let aliases = target.aliases;
    let mut action = RemediationAction {
        account_id: None,
        region: target.region.clone(),
        target_arn: target.arn.clone(),
        finding_arns: target.finding_arns,
        outcome: Outcome::Failed,
        message: String::new(),
        rotation_period_days: period,
        before: None,
        after: None,
        verified: false,
        error: None,
    };
    let arn = target.arn.as_str();
    let client = caller.client;
    let fail = failed;

    let metadata = match caller.call(Operation::DescribeKey, || client.describe_key(arn)).await {
        Ok(metadata) => metadata,
        Err(error) => return fail(action, Outcome::Failed, Operation::DescribeKey, error),
    };
    let skip = skipped;
    if let Some(reason) = exempt_by_report_policy(caller, &metadata, aliases, policy).await {
        return skip(action, reason);
    }
    if pending {
        return complete_pending_rotation(caller, action, &metadata, options, now).await;
    }
    if overdue {
        return rotate_overdue(caller, action, &metadata, policy, options, now).await;
    }
    if let Some(reason) = rules::remediation_skip_reason(&metadata) {
        return skip(action, reason);
    }

    let before = match caller
        .call(Operation::GetKeyRotationStatus, || client.get_key_rotation_status(arn))
        .await
    {
        Ok(status) => status,
        Err(error) => {
            return fail(action, Outcome::Failed, Operation::GetKeyRotationStatus, error);
        }
    };
    action.before = Some(before.clone());
    if rules::is_compliant(&before, policy) {
        action.outcome = Outcome::AlreadyCompliant;
        action.message = "Rotation is already on within the policy; nothing to do.".into();
        return action;
    }
    if rules::would_lengthen(&before, period) {
        // Unreachable with a consistent policy; kept because lengthening a period weakens the key.
        return skip(
            action,
            format!(
                "Refusing to lengthen the rotation period from {} to {period} days.",
                before.effective_period_days()
            ),
        );
    }
    let predicted = RotationStatus::enabled_with_period(period);
    let change = if before.enabled {
        format!(
            "shorten the rotation period from {} to {period} days",
            before.effective_period_days()
        )
    } else {
        format!("enable rotation every {period} days")
    };
    if options.dry_run {
        action.outcome = Outcome::WouldChange;
        action.message = format!("Would {change}.");
        action.after = Some(predicted);
        return action;
    }

    if let Err(error) = caller
        .call(Operation::EnableKeyRotation, || client.enable_key_rotation(arn, period))
        .await
    {
        let outcome = if rules::is_refusal(error.kind) {
            Outcome::Skipped
        } else {
            Outcome::Failed
        };
        return fail(action, outcome, Operation::EnableKeyRotation, error);
    }
    action.outcome = Outcome::Changed;
    for attempt in 0..options.verify_attempts {
        if attempt > 0 {
            tokio::time::sleep(options.verify_delay).await;
        }
        match caller
            .call(Operation::GetKeyRotationStatus, || client.get_key_rotation_status(arn))
            .await
        {
            Ok(after) => {
                let confirmed = rules::is_compliant(&after, policy) && after.period_days.is_none_or(|p| p == period);
                action.after = Some(after);
                if confirmed {
                    action.verified = true;
                    break;
                }
            }
            Err(error) => {
                action.error = Some(ErrorInfo {
                    code: error.code,
                    message: error.message,
                    operation: Some(Operation::GetKeyRotationStatus.as_str().to_owned()),
                });
            }
        }
    }
    action.message = if action.verified {
        action.error = None;
        format!("Changed: {change}; read back and verified.")
    } else {
        format!(
            "EnableKeyRotation succeeded ({change}) but {} read-backs did not confirm it.",
            options.verify_attempts
        )
    };
    action
}

/// Why the key must not be touched under the report's own policy: an exemption
/// matches it, or a tag exemption could and its tags cannot be read. A report
/// judged without the tags (an old one, one edited by hand) may list such a key
/// `FAIL`; remediation never acts without the evidence to tell.
async fn exempt_by_report_policy(
    caller: &Caller<'_>,
    metadata: &KeyMetadata,
    aliases: Vec<String>,
    policy: &Policy,
) -> Option<String> {
    if policy.exemptions().is_empty() {
        return None;
    }
    let mut facts = KeyFacts {
        region: caller.region().to_owned(),
        metadata: metadata.clone(),
        aliases,
        tags: None,
        rotation_history: None,
    };
    if policy.needs_tags() {
        match caller.tags(&metadata.arn).await {
            Ok(tags) => facts.tags = Some(tags),
            Err(error) => {
                return Some(format!(
                    "Not changed: the report's policy could exempt this key ({}), but ListResourceTags failed with \
                     {}: {}; check the key again where its tags can be read.",
                    policy.tag_rules(),
                    error.code,
                    error.message
                ));
            }
        }
    }
    rules::matching_exemption(&facts, policy)
        .map(|rule| format!("Not changed: the report's policy exempts this key ({rule})."))
}

/// An action's end: `SKIPPED` or `FAILED` because `op` failed with `error`.
fn failed(mut action: RemediationAction, outcome: Outcome, op: Operation, error: ApiError) -> RemediationAction {
    action.outcome = outcome;
    action.message = format!("{op} failed with {}: {}", error.code, error.message);
    action.error = Some(ErrorInfo {
        code: error.code,
        message: error.message,
        operation: Some(op.as_str().to_owned()),
    });
    action
}

fn skipped(mut action: RemediationAction, message: String) -> RemediationAction {
    action.outcome = Outcome::Skipped;
    action.message = message;
    action
}

/// A key whose imported material waits to be made current: an on-demand
/// rotation completes it, with the same rules as an overdue key's (asked for,
/// after a fresh read, within the key's quota, read back).
/// The change both on-demand remediations make (completing a pending rotation,
/// rotating an overdue key): a dry run says what it would do; else
/// `RotateKeyOnDemand`, a refusal skipping and any other error failing the
/// action. `Ok` is the action marked `Changed`, to read back; `Err` the action
/// finished.
async fn rotate_on_demand(
    caller: &Caller<'_>,
    mut action: RemediationAction,
    arn: &str,
    dry_run: bool,
    change: &str,
) -> Result<RemediationAction, RemediationAction> {
    if dry_run {
        action.outcome = Outcome::WouldChange;
        action.message = format!("Would {change}.");
        return Err(action);
    }
    if let Err(error) = caller
        .call(Operation::RotateKeyOnDemand, || caller.client.rotate_key_on_demand(arn))
        .await
    {
        let outcome = if rules::is_refusal(error.kind) {
            Outcome::Skipped
        } else {
            Outcome::Failed
        };
        return Err(failed(action, outcome, Operation::RotateKeyOnDemand, error));
    }
    action.outcome = Outcome::Changed;
    Ok(action)
}

async fn complete_pending_rotation(
    caller: &Caller<'_>,
    mut action: RemediationAction,
    metadata: &KeyMetadata,
    options: &RemediateOptions,
    now: Timestamp,
) -> RemediationAction {
    let arn = action.target_arn.clone();
    let command = format!("aws kms rotate-key-on-demand --key-id {arn} --region {}", action.region);
    match metadata.state {
        crate::model::KeyState::Disabled
        | crate::model::KeyState::PendingDeletion
        | crate::model::KeyState::PendingReplicaDeletion => {
            return skipped(
                action,
                format!("The key is {}: KMS would refuse RotateKeyOnDemand.", metadata.state),
            );
        }
        _ => {}
    }
    if metadata.is_replica() {
        return skipped(
            action,
            "The key is a multi-Region replica: only its primary can be rotated on demand.".to_owned(),
        );
    }
    if !options.rotate_on_demand {
        return skipped(
            action,
            format!(
                "New imported key material waits to be made current: an on-demand rotation (at most \
                 {ON_DEMAND_ROTATION_LIMIT} per key in its lifetime), which remediation starts only when asked \
                 (rotate_on_demand). To complete it now: {command}"
            ),
        );
    }
    let history = match caller.material_history(&arn, now).await {
        Ok(history) => history,
        Err(error) => return failed(action, Outcome::Failed, Operation::ListKeyRotations, error),
    };
    action.before = Some(history.annotate(RotationStatus::default()));
    let Some(pending) = history.pending_material().cloned() else {
        action.outcome = Outcome::AlreadyCompliant;
        action.message = "No imported key material is pending rotation any more; nothing to do.".into();
        return action;
    };
    let id = pending.key_material_id.clone().unwrap_or_default();
    if pending.state == Some(crate::model::KeyMaterialState::PendingMultiRegionImportAndRotation) {
        return skipped(
            action,
            format!(
                "New key material {id} must first be imported into every replica (aws kms import-key-material \
                 --import-type EXISTING_KEY_MATERIAL in each replica's Region); remediation never imports material. \
                 Then: {command}"
            ),
        );
    }
    let used = history.counts.on_demand;
    if used >= ON_DEMAND_ROTATION_LIMIT {
        return skipped(
            action,
            format!(
                "The key has used all {ON_DEMAND_ROTATION_LIMIT} on-demand rotations KMS allows per key \
                 ({used} in its history): the pending material cannot be made current."
            ),
        );
    }
    let change = format!("rotate the key on demand to its pending imported material {id}");
    action = match rotate_on_demand(caller, action, &arn, options.dry_run, &change).await {
        Ok(action) => action,
        Err(finished) => return finished,
    };
    for attempt in 0..options.verify_attempts {
        if attempt > 0 {
            tokio::time::sleep(options.verify_delay).await;
        }
        match caller.material_history(&arn, Timestamp::now()).await {
            Ok(after) => {
                let current = after.current_material(None).and_then(|m| m.key_material_id.clone());
                action.after = Some(after.annotate(RotationStatus::default()));
                if current.as_deref() == Some(id.as_str()) {
                    action.verified = true;
                    action.error = None;
                    break;
                }
            }
            Err(error) => {
                action.error = Some(ErrorInfo {
                    code: error.code,
                    message: error.message,
                    operation: Some(Operation::ListKeyRotations.as_str().to_owned()),
                });
            }
        }
    }
    action.message = if action.verified {
        format!("Changed: {change}; ListKeyRotations shows it CURRENT.")
    } else {
        format!(
            "RotateKeyOnDemand succeeded ({change}) but {} ListKeyRotations read-backs did not show it current yet.",
            options.verify_attempts
        )
    };
    action
}

/// A key overdue for rotation (its automatic rotation, if any, is set right):
/// only an on-demand rotation renews its material.
async fn rotate_overdue(
    caller: &Caller<'_>,
    mut action: RemediationAction,
    metadata: &KeyMetadata,
    policy: &Policy,
    options: &RemediateOptions,
    now: Timestamp,
) -> RemediationAction {
    let arn = action.target_arn.clone();
    let client = caller.client;
    let command = format!("aws kms rotate-key-on-demand --key-id {arn} --region {}", action.region);
    if rules::is_imported_material(metadata) {
        return skipped(
            action,
            format!(
                "The key is overdue for rotation and its {}; once new material is imported: {command}",
                rules::IMPORTED_MATERIAL_STEPS
            ),
        );
    }
    if let Some(reason) = rules::remediation_skip_reason(metadata) {
        return skipped(action, reason);
    }
    if !options.rotate_on_demand {
        return skipped(
            action,
            format!(
                "The key is overdue for rotation: EnableKeyRotation cannot help, it needs an on-demand rotation \
                 (at most {ON_DEMAND_ROTATION_LIMIT} per key in its lifetime), which remediation starts only when \
                 asked (rotate_on_demand). To rotate it now: {command}"
            ),
        );
    }
    let window = policy.on_demand_window_days();
    let history = match caller.rotation_history(&arn, now).await {
        Ok(history) => history,
        Err(error) => return failed(action, Outcome::Failed, Operation::ListKeyRotations, error),
    };
    let status = match caller
        .call(Operation::GetKeyRotationStatus, || client.get_key_rotation_status(&arn))
        .await
    {
        Ok(status) => status,
        Err(error) => return failed(action, Outcome::Failed, Operation::GetKeyRotationStatus, error),
    };
    action.before = Some(history.annotate(status.clone()));
    let fresh = |h: &RotationHistory| {
        h.last
            .as_ref()
            .is_some_and(|(at, _)| h.days_since(*at) <= policy.max_days_since_rotation().unwrap_or(window))
    };
    if fresh(&history) {
        action.outcome = Outcome::AlreadyCompliant;
        action.message = "The key has rotated within the policy's window since the check; nothing to do.".into();
        return action;
    }
    let used = history.counts.on_demand;
    if used >= ON_DEMAND_ROTATION_LIMIT {
        return skipped(
            action,
            format!(
                "The key has used all {ON_DEMAND_ROTATION_LIMIT} on-demand rotations KMS allows per key \
                 ({used} in its history): it cannot be rotated on demand again."
            ),
        );
    }
    let change = format!(
        "rotate the key on demand (on-demand rotation {} of the {ON_DEMAND_ROTATION_LIMIT} KMS allows)",
        used + 1
    );
    action = match rotate_on_demand(caller, action, &arn, options.dry_run, &change).await {
        Ok(action) => action,
        Err(finished) => return finished,
    };
    for attempt in 0..options.verify_attempts {
        if attempt > 0 {
            tokio::time::sleep(options.verify_delay).await;
        }
        match caller.rotation_history(&arn, Timestamp::now()).await {
            Ok(after) => {
                action.after = Some(after.annotate(status.clone()));
                if after.counts.on_demand > used {
                    action.verified = true;
                    action.error = None;
                    break;
                }
            }
            Err(error) => {
                action.error = Some(ErrorInfo {
                    code: error.code,
                    message: error.message,
                    operation: Some(Operation::ListKeyRotations.as_str().to_owned()),
                });
            }
        }
    }
    action.message = if action.verified {
        format!("Changed: {change}; ListKeyRotations shows the new rotation.")
    } else {
        format!(
            "RotateKeyOnDemand succeeded ({change}) but {} ListKeyRotations read-backs did not show it yet \
             (an on-demand rotation can take a while to complete).",
            options.verify_attempts
        )
    };
    action
}
