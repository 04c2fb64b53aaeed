//! The reports — an account's check, a remediation — and their canonical JSON (`schema_version` 1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::arn::Arn;
use crate::baseline::{BaselineComparison, FailOn};
use crate::error::{Error, Result};
use crate::json_input::check_unique_keys;
use crate::model::{ErrorInfo, Finding, RotationStatus, Status, Timestamp};
use crate::policy::Policy;

/// The report format version this crate writes.
pub const SCHEMA_VERSION: u32 = 1;

/// How the scan of one region ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionState {
    /// Every key was listed.
    Scanned,
    /// The region is not enabled for the account (`UnrecognizedClientException`).
    NotEnabled,
    /// Listing failed; `error` says how, `keys_listed` how far it got.
    Error,
}

/// One requested region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionReport {
    /// The region.
    pub region: String,
    /// How its scan ended.
    pub state: RegionState,
    /// Keys `ListKeys` returned (each has a finding).
    pub keys_listed: u64,
    /// The listing error, or a `ListAliases` failure that left aliases unknown.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ErrorInfo>,
}

/// Findings counted by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// All findings.
    pub total: u64,
    /// `PASS`.
    #[serde(rename = "PASS")]
    pub pass: u64,
    /// `FAIL`.
    #[serde(rename = "FAIL")]
    pub fail: u64,
    /// `NOT_APPLICABLE`.
    #[serde(rename = "NOT_APPLICABLE")]
    pub not_applicable: u64,
    /// `EXEMPT`.
    #[serde(rename = "EXEMPT")]
    pub exempt: u64,
    /// `ERROR`.
    #[serde(rename = "ERROR")]
    pub error: u64,
    /// Regions requested but not checked (not enabled, or their keys could
    /// not be listed): a run with any is not a clean run.
    #[serde(default)]
    pub regions_not_checked: u64,
}

impl Summary {
    /// Counts the findings.
    pub fn of(findings: &[Finding]) -> Self {
        let mut summary = Summary::default();
        for finding in findings {
            summary.total += 1;
            *match finding.status {
                Status::Pass => &mut summary.pass,
                Status::Fail => &mut summary.fail,
                Status::NotApplicable => &mut summary.not_applicable,
                Status::Exempt => &mut summary.exempt,
                Status::Error => &mut summary.error,
            } += 1;
        }
        summary
    }

    /// The count for one status.
    pub fn count(&self, status: Status) -> u64 {
        match status {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::NotApplicable => self.not_applicable,
            Status::Exempt => self.exempt,
            Status::Error => self.error,
        }
    }
}

/// What a run cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests sent, per operation (retries included).
    pub api_calls: BTreeMap<String, u64>,
    /// Requests repeated after a retryable error.
    pub retries: u64,
    /// `ThrottlingException` answers received.
    pub throttled: u64,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

impl Stats {
    /// All requests sent.
    pub fn total_calls(&self) -> u64 {
        self.api_calls.values().sum()
    }
}

/// Sorts findings by region, then key ARN, then key id, keeping the order of
/// equal ones: sorts their positions, then moves each finding once. A stable
/// sort of the findings themselves would allocate room for half of them.
fn sort_findings(findings: &mut [Finding]) {
    fn key(f: &Finding) -> (&str, &str, &str) {
        (&f.region, &f.key_arn, &f.key_id)
    }
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|a, b| key(&findings[*a]).cmp(&key(&findings[*b])));
    // Position i takes the finding at order[i], one cycle of the permutation at a time.
    for start in 0..order.len() {
        let mut current = start;
        while order[current] != current {
            let next = std::mem::replace(&mut order[current], current);
            if next == start {
                break;
            }
            findings.swap(current, next);
            current = next;
        }
    }
}

/// Where a report's keys were read: what `remediate` must reach again to act
/// on the keys the report names, and what its closing hint repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReportSource {
    /// A snapshot file, as its path was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Clients the caller made (a client, a factory, a snapshot made in code):
    /// nothing in the report says how to reach them again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_clients: bool,
    /// The AWS shared config profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The endpoint every AWS request went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// The role assumed first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// An organisation run's scope: `organization`, an OU id, or `accounts_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The role an organisation run assumes in each account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
}

impl ReportSource {
    /// Whether `other` reaches the same keys: the same settings, and a snapshot
    /// at the same file however its path is spelled.
    pub fn same_place(&self, other: &ReportSource) -> bool {
        let file = |path: &Option<String>| {
            path.as_ref()
                .map(|p| std::fs::canonicalize(p).map_or_else(|_| p.clone(), |c| c.display().to_string()))
        };
        let (mut a, mut b) = (self.clone(), other.clone());
        a.snapshot = file(&a.snapshot);
        b.snapshot = file(&b.snapshot);
        a == b
    }

    /// The source in words: `the snapshot account.json`, `AWS (profile audit)`, `your own clients`.
    pub fn describe(&self) -> String {
        if let Some(path) = &self.snapshot {
            return format!("the snapshot {path}");
        }
        if self.own_clients {
            return "your own clients".to_owned();
        }
        let settings: Vec<String> = [
            ("profile", &self.profile),
            ("endpoint_url", &self.endpoint_url),
            ("role_arn", &self.role_arn),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name} {v}")))
        .collect();
        if settings.is_empty() {
            "AWS (the default credentials and endpoint)".to_owned()
        } else {
            format!("AWS ({})", settings.join(", "))
        }
    }
}

/// The result of [`crate::check_account`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountReport {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When the report was made.
    pub generated_at: Timestamp,
    /// The account, when known.
    pub account_id: Option<String>,
    /// The policy the keys were held to.
    pub policy: Policy,
    /// Where the keys were read, when checked through a [`crate::Connection`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ReportSource>,
    /// One entry per requested region, sorted by name.
    pub regions: Vec<RegionReport>,
    /// One finding per listed key, sorted by region then key ARN.
    pub findings: Vec<Finding>,
    /// Counts per status.
    pub summary: Summary,
    /// API calls, retries, duration.
    pub stats: Stats,
    /// How the findings compare with a baseline run (`--baseline`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    /// What the delivery of the findings to Security Hub did, when asked for
    /// (`to_security_hub`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<SecurityHubDelivery>,
}

impl AccountReport {
    /// An empty report under `policy`, made now.
    pub(crate) fn new(policy: Policy) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            generated_at: Timestamp::now(),
            account_id: None,
            policy,
            source: None,
            regions: Vec::new(),
            findings: Vec::new(),
            summary: Summary::default(),
            stats: Stats::default(),
            baseline: None,
            security_hub: None,
        }
    }

    /// Sorts regions and findings into canonical order, recounts the summary,
    /// and tells the account from the findings' ARNs when nothing else did.
    pub(crate) fn normalize(&mut self) {
        if self.account_id.is_none() {
            self.account_id = self
                .findings
                .iter()
                .find_map(|f| Arn::parse(&f.key_arn).ok().map(|arn| arn.account_id));
        }
        self.regions.sort_by(|a, b| a.region.cmp(&b.region));
        sort_findings(&mut self.findings);
        self.summary = Summary::of(&self.findings);
        self.summary.regions_not_checked = self.regions_not_checked().count() as u64;
    }

    /// The regions requested but not checked: not enabled, or not listable.
    pub fn regions_not_checked(&self) -> impl Iterator<Item = &RegionReport> {
        self.regions.iter().filter(|r| r.state != RegionState::Scanned)
    }

    /// Whether every requested region was checked and nothing failed or is unknown.
    pub fn is_clean(&self) -> bool {
        self.exit_code() == 0
    }

    /// The run's exit code, the same in every door: 2 when a key fails; else 3
    /// when a key is `ERROR`, a region was not checked, or findings did not
    /// reach Security Hub (`to_security_hub`); else 0.
    /// With a baseline and [`FailOn::New`], only new and regressed findings
    /// count (a region not checked still gives 3).
    pub fn exit_code(&self) -> u8 {
        if let Some(baseline) = self.baseline.as_ref().filter(|b| b.fail_on == FailOn::New) {
            let undelivered = self.security_hub.as_ref().is_some_and(|d| !d.is_complete());
            return baseline.exit_code(
                &self.findings,
                self.regions_not_checked().next().is_some() || undelivered,
            );
        }
        if self.summary.count(Status::Fail) > 0 {
            2
        } else if self.summary.count(Status::Error) > 0
            || self.regions_not_checked().next().is_some()
            || self.security_hub.as_ref().is_some_and(|d| !d.is_complete())
        {
            3
        } else {
            0
        }
    }

    /// The canonical JSON, pretty-printed; the same input gives the same bytes
    /// apart from `generated_at` and `stats.duration_ms`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// Reads a report written by [`AccountReport::to_json`] (e.g. to remediate it later).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with line and column when the text is not such a report.
    pub fn from_json(text: &str) -> Result<Self> {
        check_unique_keys(text)
            .map_err(|p| Error::invalid("report", format!("line {}, column {}", p.line, p.column), p.message))?;
        let report: AccountReport = serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                "report",
                format!("line {}, column {}", e.line(), e.column()),
                e.to_string(),
            )
        })?;
        if report.schema_version != SCHEMA_VERSION {
            return Err(Error::invalid(
                "report schema_version",
                report.schema_version.to_string(),
                format!("this version reads schema_version {SCHEMA_VERSION}"),
            ));
        }
        Ok(report)
    }

    /// Findings with the given status.
    pub fn findings_with(&self, status: Status) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.status == status)
    }

    /// The policy's exemptions that exempted no key and left none undecided
    /// (its tags unread): a mistyped id, alias or tag, or keys that are gone.
    pub fn unused_exemptions(&self) -> Vec<&crate::policy::Exemption> {
        let exempted: std::collections::HashSet<&str> =
            self.findings_with(Status::Exempt).map(|f| f.message.as_str()).collect();
        let undecided = |rule: &str| self.findings_with(Status::Error).any(|f| f.message.contains(rule));
        self.policy
            .exemptions()
            .iter()
            .filter(|rule| {
                !exempted.contains(crate::rules::exemption_message(rule).as_str()) && !undecided(&rule.to_string())
            })
            .collect()
    }
}

/// What happened to one target key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// Dry run: this change would be made.
    WouldChange,
    /// Rotation was enabled (see `verified`).
    Changed,
    /// The key was compliant when re-read; nothing done.
    AlreadyCompliant,
    /// KMS would refuse (disabled, pending deletion, not eligible); nothing done.
    Skipped,
    /// A call failed; see `error`.
    Failed,
}

impl Outcome {
    /// The report spelling, e.g. `WOULD_CHANGE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::WouldChange => "WOULD_CHANGE",
            Outcome::Changed => "CHANGED",
            Outcome::AlreadyCompliant => "ALREADY_COMPLIANT",
            Outcome::Skipped => "SKIPPED",
            Outcome::Failed => "FAILED",
        }
    }
}

/// One target key and what was done to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationAction {
    /// The target's account: set when remediating an organisation report.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub account_id: Option<String>,
    /// The target's region.
    pub region: String,
    /// The key changed (a replica's primary for replicas).
    pub target_arn: String,
    /// The `FAIL` findings' key ARNs this action covers (the key, or its replicas).
    pub finding_arns: Vec<String>,
    /// What happened.
    pub outcome: Outcome,
    /// One human sentence.
    pub message: String,
    /// The period requested from `EnableKeyRotation`.
    pub rotation_period_days: u32,
    /// The status re-read right before acting.
    pub before: Option<RotationStatus>,
    /// The status read back after acting (predicted, for a dry run).
    pub after: Option<RotationStatus>,
    /// Whether reading back confirmed the change.
    pub verified: bool,
    /// The API error behind `FAILED` or `SKIPPED`.
    pub error: Option<ErrorInfo>,
}

/// The result of [`remediate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationReport {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When the report was made.
    pub generated_at: Timestamp,
    /// Whether anything was changed.
    pub dry_run: bool,
    /// The period requested.
    pub rotation_period_days: u32,
    /// One action per target key, sorted by region then ARN.
    pub actions: Vec<RemediationAction>,
    /// Actions counted by outcome.
    pub summary: BTreeMap<Outcome, u64>,
    /// API calls, retries, duration.
    pub stats: Stats,
}

impl RemediationReport {
    /// The canonical JSON, pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a remediation report always serializes")
    }

    /// Reads a remediation report written by [`RemediationReport::to_json`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with line and column when the text is not such a report.
    pub fn from_json(text: &str) -> Result<Self> {
        check_unique_keys(text).map_err(|p| {
            Error::invalid(
                "remediation report",
                format!("line {}, column {}", p.line, p.column),
                p.message,
            )
        })?;
        serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                "remediation report",
                format!("line {}, column {}", e.line(), e.column()),
                e.to_string(),
            )
        })
    }

    /// The run's exit code, the same in every door: 0 when every target ended
    /// (in a dry run: would end) compliant, else 2.
    pub fn exit_code(&self) -> u8 {
        let fine = |a: &RemediationAction| match a.outcome {
            Outcome::AlreadyCompliant | Outcome::WouldChange => true,
            Outcome::Changed => a.verified,
            Outcome::Skipped | Outcome::Failed => false,
        };
        if self.actions.iter().all(fine) { 0 } else { 2 }
    }

    /// True when every target ended compliant: changed and verified, or already compliant.
    pub fn all_compliant(&self) -> bool {
        self.actions
            .iter()
            .all(|a| a.outcome == Outcome::AlreadyCompliant || (a.outcome == Outcome::Changed && a.verified))
    }
}

/// How an organisation run ended for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// Its regions were scanned (see each region's own state).
    Checked,
    /// Not checked because Organizations says it is not `ACTIVE` (suspended,
    /// closing); `organizations_state` says which.
    Skipped,
    /// Not checked: the role could not be assumed, the regions could not be
    /// listed, or the account's state was not told; `error` says why.
    Error,
}

impl AccountState {
    /// The report spelling: `checked`, `skipped`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Checked => "checked",
            AccountState::Skipped => "skipped",
            AccountState::Error => "error",
        }
    }
}

/// One account of an organisation report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// The 12-digit account id.
    pub account_id: String,
    /// Its name, as Organizations lists it.
    pub name: Option<String>,
    /// How the run ended for it.
    pub state: AccountState,
    /// Its state as Organizations says it (`ACTIVE`, `SUSPENDED`, …), verbatim;
    /// `null` for an account from an accounts file.
    pub organizations_state: Option<String>,
    /// The role assumed in it; `null` when the caller's own credentials were used.
    pub role_arn: Option<String>,
    /// One entry per requested region, sorted (empty unless checked).
    pub regions: Vec<RegionReport>,
    /// Its findings counted by status.
    pub summary: Summary,
    /// Why it was not checked (`AssumeRole` refused, `ListRegions` failed), with the AWS code.
    pub error: Option<ErrorInfo>,
}

/// Accounts counted by how the run ended for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCounts {
    /// Every account listed (after include / exclude).
    pub total: u64,
    /// Checked.
    pub checked: u64,
    /// Skipped (not `ACTIVE`).
    pub skipped: u64,
    /// Not checked because of an error: a run with any is not a clean run.
    pub error: u64,
}

/// The result of [`crate::check_organization`]: every account, and the
/// findings of all of them, each carrying its `account_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationReport {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When the report was made.
    pub generated_at: Timestamp,
    /// The account whose credentials ran the check.
    pub caller_account_id: Option<String>,
    /// What was covered: `organization`, the OU id, or `accounts_file`.
    pub scope: String,
    /// The policy the keys were held to.
    pub policy: Policy,
    /// One entry per account, sorted by id.
    pub accounts: Vec<AccountEntry>,
    /// One finding per listed key of every checked account, sorted by account, region, key ARN.
    pub findings: Vec<Finding>,
    /// Counts per status over every account (and regions not checked).
    pub summary: Summary,
    /// Accounts by how the run ended for them.
    pub account_summary: AccountCounts,
    /// API calls, retries, duration, over every account.
    pub stats: Stats,
    /// How the findings compare with a baseline run (`--baseline`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
}

impl OrganizationReport {
    /// Sorts accounts and findings into canonical order and recounts the summaries.
    pub(crate) fn normalize(&mut self) {
        self.accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        self.findings.sort_by(|a, b| {
            (&a.account_id, &a.region, &a.key_arn, &a.key_id).cmp(&(&b.account_id, &b.region, &b.key_arn, &b.key_id))
        });
        self.summary = Summary::of(&self.findings);
        self.summary.regions_not_checked = self
            .accounts
            .iter()
            .map(|a| a.regions.iter().filter(|r| r.state != RegionState::Scanned).count() as u64)
            .sum();
        let mut counts = AccountCounts::default();
        for account in &self.accounts {
            counts.total += 1;
            *match account.state {
                AccountState::Checked => &mut counts.checked,
                AccountState::Skipped => &mut counts.skipped,
                AccountState::Error => &mut counts.error,
            } += 1;
        }
        self.account_summary = counts;
    }

    /// The run's exit code, the same in every door: 2 when a key fails; else 3
    /// when a key is `ERROR`, a region was not checked or an account could not
    /// be checked; else 0. Skipped (suspended) accounts do not count.
    /// With a baseline and [`FailOn::New`], only new and regressed findings
    /// count (a region or account not checked still gives 3).
    pub fn exit_code(&self) -> u8 {
        if let Some(baseline) = self.baseline.as_ref().filter(|b| b.fail_on == FailOn::New) {
            let unchecked = self.summary.regions_not_checked > 0 || self.account_summary.error > 0;
            return baseline.exit_code(&self.findings, unchecked);
        }
        if self.summary.fail > 0 {
            2
        } else if self.summary.error > 0 || self.summary.regions_not_checked > 0 || self.account_summary.error > 0 {
            3
        } else {
            0
        }
    }

    /// Whether every account and region was checked and nothing failed or is unknown.
    pub fn is_clean(&self) -> bool {
        self.exit_code() == 0
    }

    /// The account entry of `account_id`.
    pub fn account(&self, account_id: &str) -> Option<&AccountEntry> {
        self.accounts.iter().find(|a| a.account_id == account_id)
    }

    /// One account's part as an account report (its regions, findings and
    /// summary under the organisation's policy and time), as remediation and
    /// the per-account renderings use it.
    pub fn account_report(&self, account_id: &str) -> Option<AccountReport> {
        let entry = self.account(account_id)?;
        let findings: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| f.account_id.as_deref() == Some(account_id))
            .cloned()
            .collect();
        let mut report = AccountReport::new(self.policy.clone());
        report.generated_at = self.generated_at;
        report.account_id = Some(account_id.to_owned());
        report.regions = entry.regions.clone();
        report.findings = findings;
        report.normalize();
        Some(report)
    }

    /// The canonical JSON, pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// Reads a report written by [`OrganizationReport::to_json`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with line and column when the text is not such a report.
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = |line: usize, column: usize, message: String| {
            Error::invalid("organisation report", format!("line {line}, column {column}"), message)
        };
        check_unique_keys(text).map_err(|p| bad(p.line, p.column, p.message))?;
        let report: OrganizationReport =
            serde_json::from_str(text).map_err(|e| bad(e.line(), e.column(), e.to_string()))?;
        if report.schema_version != SCHEMA_VERSION {
            return Err(Error::invalid(
                "report schema_version",
                report.schema_version.to_string(),
                format!("this version reads schema_version {SCHEMA_VERSION}"),
            ));
        }
        for finding in &report.findings {
            let Some(account) = &finding.account_id else {
                return Err(Error::invalid(
                    "organisation report",
                    finding.key_arn.clone(),
                    "a finding without account_id",
                ));
            };
            if report.account(account).is_none() {
                return Err(Error::invalid(
                    "organisation report",
                    finding.key_arn.clone(),
                    format!("its account {account} has no entry in accounts"),
                ));
            }
        }
        Ok(report)
    }

    /// Findings with the given status.
    pub fn findings_with(&self, status: Status) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.status == status)
    }
}

/// A finding Security Hub refused, or one whose call failed after retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FailedFinding {
    /// The finding's `Id` (the key's stable id); empty for a call about no one
    /// finding (a `GetFindings` that failed).
    pub id: String,
    /// The Region of the Security Hub it went to.
    pub region: String,
    /// The operation: `BatchImportFindings`, `BatchUpdateFindings` or `GetFindings`.
    pub operation: String,
    /// The error code (`FailedFindings[].ErrorCode`, or the call's AWS code).
    pub code: String,
    /// The message.
    pub message: String,
}

/// What a delivery to Security Hub did: a field of the check's result in every door.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecurityHubDelivery {
    /// Findings Security Hub took (`BatchImportFindings`), new and updated.
    pub imported: u64,
    /// Of those, findings that were not active there before (created, or back from archived).
    pub created: u64,
    /// Of those, findings that were active there before (updated in place).
    pub updated: u64,
    /// Findings whose workflow was moved to `RESOLVED` or `SUPPRESSED` (`BatchUpdateFindings`).
    pub resolved: u64,
    /// Findings of keys that no longer exist, archived.
    pub archived: u64,
    /// `ERROR` findings: not a verdict, never sent.
    pub not_sent: u64,
    /// What Security Hub refused or could not be reached for, with codes.
    pub failed: Vec<FailedFinding>,
}

impl SecurityHubDelivery {
    /// Adds another delivery's outcome to this one (the deliveries of several
    /// Regions reported as one).
    pub fn absorb(&mut self, other: SecurityHubDelivery) {
        self.imported += other.imported;
        self.created += other.created;
        self.updated += other.updated;
        self.resolved += other.resolved;
        self.archived += other.archived;
        self.not_sent += other.not_sent;
        self.failed.extend(other.failed);
    }

    /// Whether everything meant for Security Hub got there.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// One line for people: `12 imported (3 new, 9 updated), 1 resolved, 2 archived, 0 failed`.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "{} imported ({} new, {} updated), {} resolved, {} archived, {} failed",
            self.imported,
            self.created,
            self.updated,
            self.resolved,
            self.archived,
            self.failed.len()
        );
        if self.not_sent > 0 {
            line.push_str(&format!(", {} ERROR findings not sent", self.not_sent));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::sort_findings;
    use crate::model::{Finding, Reason, Status};

    #[test]
    fn findings_sort_by_region_arn_and_id_keeping_the_order_of_equal_ones() {
        let finding = |region: &str, arn: &str, message: String| Finding {
            account_id: None,
            region: region.to_owned(),
            key_id: arn.rsplit('/').next().unwrap_or_default().to_owned(),
            key_arn: arn.to_owned(),
            aliases: Vec::new(),
            status: Status::Pass,
            reason: Reason::RotationEnabled,
            message,
            key: None,
            rotation: None,
            remediation: None,
            error: None,
            key_material: None,
            last_usage: None,
            ignored: Vec::new(),
            baseline_state: None,
            code: None,
            live: None,
        };
        // A fixed pseudo-random order with repeats, so that cycles of every length occur.
        let mut findings: Vec<Finding> = (0..500u64)
            .map(|n| {
                let k = n.wrapping_mul(2_654_435_761) % 97;
                finding(
                    ["us-east-1", "eu-west-1"][(k % 2) as usize],
                    &format!("arn:k/{}", k % 31),
                    n.to_string(),
                )
            })
            .collect();
        let mut expected = findings.clone();
        expected.sort_by(|a, b| (&a.region, &a.key_arn, &a.key_id).cmp(&(&b.region, &b.key_arn, &b.key_id)));
        sort_findings(&mut findings);
        assert_eq!(findings, expected);
    }
}
