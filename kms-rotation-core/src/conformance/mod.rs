//! A conformance suite any [`KmsClient`](crate::KmsClient) implementation can
//! run, in the shape of object_store's `integration` module: one set of
//! behaviour tests — listing across pages, aliases, the calls each decision
//! table row makes (and never makes), throttling then success, AccessDenied on
//! one key, a region that is not enabled, remediation with read-back, the
//! rotation history across `ListKeyRotations` pages — run
//! against the snapshot client, the AWS SDK client on an emulator, and
//! [`JsonClient`](crate::JsonClient) over the Python and Node transports.
//!
//! A [`Backend`] turns an account, given as a snapshot file's JSON, into
//! clients serving it. It declares what it can model ([`Capabilities`]); a case
//! needing more is reported [`CaseOutcome::NotApplicable`] with the reason,
//! never silently passed.
//!
//! [`organization`] is the same for organisation clients.
//!
//! ```
//! use kms_rotation_core::conformance::{self, SnapshotBackend};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let results = conformance::run(&SnapshotBackend).await;
//! conformance::assert_passed(&results);
//! # });
//! ```

pub mod organization;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::api::Operation;
use crate::check::{CheckOptions, check_account};
use crate::client::Clients;
use crate::client::json::{JsonClient, JsonTransport};
use crate::engine::RetryConfig;
use crate::error::Result;
use crate::model::{Finding, Reason, Status};
use crate::policy::Policy;
use crate::remediate::{RemediateOptions, remediate};
use crate::report::{AccountReport, Outcome, RegionState};
use crate::snapshot::{Snapshot, SnapshotTransport};

/// What a backend can model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Honours `Limit`, so a large listing takes several pages.
    pub paging: bool,
    /// Replays the snapshot's recorded `Errors` (throttling, AccessDenied, a region that is off).
    pub recorded_errors: bool,
    /// Stores and answers `RotationPeriodInDays`.
    pub rotation_periods: bool,
    /// Has AWS managed keys and custom key stores.
    pub aws_only_keys: bool,
}

impl Capabilities {
    /// Everything: the snapshot client and transports over it.
    pub const ALL: Capabilities = Capabilities {
        paging: true,
        recorded_errors: true,
        rotation_periods: true,
        aws_only_keys: true,
    };

    /// The given capabilities (for backends outside this crate).
    pub const fn new(paging: bool, recorded_errors: bool, rotation_periods: bool, aws_only_keys: bool) -> Self {
        Self {
            paging,
            recorded_errors,
            rotation_periods,
            aws_only_keys,
        }
    }
}

/// A way to serve an account to the engine.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The backend's name, for reports.
    fn name(&self) -> String;

    /// What it can model.
    fn capabilities(&self) -> Capabilities;

    /// Clients serving `account`: a snapshot file's JSON (keys in the KMS API's
    /// shapes, aliases, tags, rotation statuses and recorded errors). The
    /// backend may drop what it cannot model; the cases that need it are
    /// not run against it. Key ids and ARNs may change (an emulator makes its
    /// own): the cases find keys by alias.
    async fn clients(&self, account: &Value) -> Result<Clients>;
}

/// The snapshot client itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnapshotBackend;

#[async_trait]
impl Backend for SnapshotBackend {
    fn name(&self) -> String {
        "snapshot".to_owned()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn clients(&self, account: &Value) -> Result<Clients> {
        Ok(Snapshot::from_json(&account.to_string())?.clients())
    }
}

/// A snapshot behind SDK-shaped clients: each region's [`SnapshotTransport`]
/// is handed to `wrap`, which returns the transport under test (a binding's
/// transport over a boto3- or SDK v3-shaped object that calls the snapshot's).
pub struct TransportBackend<F> {
    name: String,
    wrap: F,
}

impl<F> TransportBackend<F> {
    /// A backend named `name` that wraps each region's snapshot transport with `wrap`.
    pub fn new(name: impl Into<String>, wrap: F) -> Self {
        Self {
            name: name.into(),
            wrap,
        }
    }
}

#[async_trait]
impl<F, T> Backend for TransportBackend<F>
where
    F: Fn(SnapshotTransport) -> Result<T> + Send + Sync,
    T: JsonTransport,
{
    fn name(&self) -> String {
        self.name.clone()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn clients(&self, account: &Value) -> Result<Clients> {
        let snapshot = Snapshot::from_json(&account.to_string())?;
        let mut clients = Clients::new();
        for region in snapshot.regions() {
            let transport = (self.wrap)(snapshot.transport(&region)?)?;
            clients = clients.with_client(Arc::new(JsonClient::new(transport, region)?));
        }
        Ok(clients)
    }
}

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Every expectation held.
    Passed,
    /// An expectation failed: what, and what was seen.
    Failed(String),
    /// The backend cannot model what the case needs.
    NotApplicable(&'static str),
}

/// A case and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// The case.
    pub name: &'static str,
    /// How it ended.
    pub outcome: CaseOutcome,
}

impl fmt::Display for CaseResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            CaseOutcome::Passed => write!(f, "{}: passed", self.name),
            CaseOutcome::Failed(why) => write!(f, "{}: FAILED: {why}", self.name),
            CaseOutcome::NotApplicable(why) => write!(f, "{}: not applicable ({why})", self.name),
        }
    }
}

/// The names of every case, in the order [`run`] runs them.
pub const CASES: [&str; 8] = [
    "listing_across_pages",
    "aliases_name_their_keys",
    "decision_table_rows_and_their_calls",
    "throttling_then_success",
    "access_denied_on_one_key",
    "region_not_enabled",
    "remediation_reads_back",
    "rotation_history_across_pages",
];

/// Runs every case against `backend`.
pub async fn run(backend: &dyn Backend) -> Vec<CaseResult> {
    let caps = backend.capabilities();
    let mut results = Vec::with_capacity(CASES.len());
    for name in CASES {
        let outcome = match run_case(name, backend, caps).await {
            Ok(outcome) => outcome,
            Err(error) => CaseOutcome::Failed(format!("the run failed: {error}")),
        };
        results.push(CaseResult { name, outcome });
    }
    results
}

/// Panics with every failed case, unless all passed or were not applicable.
///
/// # Panics
/// When a case failed.
pub fn assert_passed(results: &[CaseResult]) {
    let failed: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.outcome, CaseOutcome::Failed(_)))
        .map(ToString::to_string)
        .collect();
    assert!(failed.is_empty(), "conformance failures:\n{}", failed.join("\n"));
}

const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";

fn key_id(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

fn metadata(region: &str, n: u32, changes: Value) -> Value {
    let id = key_id(n);
    let mut meta = json!({
        "AWSAccountId": ACCOUNT,
        "KeyId": id,
        "Arn": format!("arn:aws:kms:{region}:{ACCOUNT}:key/{id}"),
        "CreationDate": 1_700_000_000,
        "Enabled": true,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "MultiRegion": false,
    });
    if let (Some(meta), Value::Object(changes)) = (meta.as_object_mut(), changes) {
        meta.extend(changes);
    }
    meta
}

/// A snapshot key entry; `rotation` as `GetKeyRotationStatus` answers.
fn key(region: &str, n: u32, alias: &str, changes: Value, rotation: Option<Value>) -> Value {
    let mut entry = json!({"KeyMetadata": metadata(region, n, changes), "Aliases": [alias]});
    if let Some(rotation) = rotation {
        entry["RotationStatus"] = rotation;
    }
    entry
}

fn on(period: Option<u32>) -> Option<Value> {
    Some(match period {
        Some(days) => json!({"KeyRotationEnabled": true, "RotationPeriodInDays": days}),
        None => json!({"KeyRotationEnabled": true}),
    })
}

fn off() -> Option<Value> {
    Some(json!({"KeyRotationEnabled": false}))
}

fn account(regions: Value) -> Value {
    json!({"account_id": ACCOUNT, "regions": regions})
}

/// Fast retries: the cases replay a few throttling answers, not storms.
fn check_options(policy: Policy) -> CheckOptions {
    CheckOptions::default()
        .with_policy(policy)
        .with_retry(RetryConfig::default().with_delays(Duration::from_millis(5), Duration::from_millis(40)))
}

fn by_alias<'r>(report: &'r AccountReport, alias: &str) -> std::result::Result<&'r Finding, String> {
    let found: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.aliases.iter().any(|a| a == alias))
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        other => Err(format!("{} findings carry {alias}, expected one", other.len())),
    }
}

fn calls(report: &AccountReport, op: Operation) -> u64 {
    report.stats.api_calls.get(op.as_str()).copied().unwrap_or(0)
}

/// Collects failed expectations.
#[derive(Default)]
struct Expect(Vec<String>);

impl Expect {
    fn that(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn finding(&mut self, report: &AccountReport, alias: &str, status: Status, reason: Reason) {
        match by_alias(report, alias) {
            Ok(f) => self.that(f.status == status && f.reason == reason, || {
                format!(
                    "{alias}: expected {status} {}, got {} {} ({})",
                    reason.as_str(),
                    f.status,
                    f.reason.as_str(),
                    f.message
                )
            }),
            Err(why) => self.0.push(why),
        }
    }

    fn outcome(self) -> CaseOutcome {
        if self.0.is_empty() {
            CaseOutcome::Passed
        } else {
            CaseOutcome::Failed(self.0.join("; "))
        }
    }
}

async fn run_case(name: &str, backend: &dyn Backend, caps: Capabilities) -> Result<CaseOutcome> {
    match name {
        "listing_across_pages" => listing_across_pages(backend, caps).await,
        "aliases_name_their_keys" => aliases_name_their_keys(backend).await,
        "decision_table_rows_and_their_calls" => decision_table(backend, caps).await,
        "throttling_then_success" if !caps.recorded_errors => Ok(CaseOutcome::NotApplicable(
            "the backend cannot replay throttling answers",
        )),
        "throttling_then_success" => throttling_then_success(backend).await,
        "access_denied_on_one_key" if !caps.recorded_errors => {
            Ok(CaseOutcome::NotApplicable("the backend cannot deny one key"))
        }
        "access_denied_on_one_key" => access_denied_on_one_key(backend).await,
        "region_not_enabled" if !caps.recorded_errors => Ok(CaseOutcome::NotApplicable(
            "the backend cannot model a region that is not enabled",
        )),
        "region_not_enabled" => region_not_enabled(backend).await,
        "remediation_reads_back" => remediation_reads_back(backend, caps).await,
        "rotation_history_across_pages" => rotation_history_across_pages(backend, caps).await,
        _ => Ok(CaseOutcome::Failed(format!("unknown case {name}"))),
    }
}

async fn listing_across_pages(backend: &dyn Backend, caps: Capabilities) -> Result<CaseOutcome> {
    // Every tenth key has an alias: with paging, 105 aliases on two ListAliases
    // pages of 100 and 1050 keys on two ListKeys pages of 1000. A backend that
    // ignores `Limit` answers one page whatever the size: a small account will do.
    let total: u32 = if caps.paging { 1050 } else { 120 };
    let keys: Vec<Value> = (1..=total)
        .map(|n| {
            let mut entry = key(REGION, n, "", json!({}), on(None));
            entry["Aliases"] = if n % 10 == 0 {
                json!([format!("alias/k{n}")])
            } else {
                json!([])
            };
            entry
        })
        .collect();
    let clients = backend.clients(&account(json!({ REGION: {"keys": keys} }))).await?;
    let report = check_account(&clients, &check_options(Policy::default())).await?;
    let mut expect = Expect::default();
    expect.that(report.findings.len() == total as usize, || {
        format!("{} findings for {total} keys", report.findings.len())
    });
    expect.that(report.summary.pass == u64::from(total), || {
        format!("{} PASS of {total}", report.summary.pass)
    });
    let aliased = report.findings.iter().filter(|f| !f.aliases.is_empty()).count() as u32;
    expect.that(aliased == total / 10, || {
        format!("{aliased} findings carry an alias, expected {}", total / 10)
    });
    if caps.paging {
        let (lk, la) = (
            calls(&report, Operation::ListKeys),
            calls(&report, Operation::ListAliases),
        );
        expect.that(lk == 2 && la == 2, || {
            format!("ListKeys {lk} and ListAliases {la} pages, expected 2 and 2")
        });
    }
    Ok(expect.outcome())
}

async fn aliases_name_their_keys(backend: &dyn Backend) -> Result<CaseOutcome> {
    let mut two = key(REGION, 1, "alias/b-second", json!({}), off());
    two["Aliases"] = json!(["alias/b-second", "alias/a-first"]);
    let keys = json!([two, key(REGION, 2, "alias/exempt-me", json!({}), off())]);
    let clients = backend.clients(&account(json!({ REGION: {"keys": keys} }))).await?;
    let policy = Policy::default().with_exemption("alias/exempt-me")?;
    let report = check_account(&clients, &check_options(policy)).await?;
    let mut expect = Expect::default();
    expect.finding(&report, "alias/exempt-me", Status::Exempt, Reason::Exempted);
    expect.finding(&report, "alias/a-first", Status::Fail, Reason::RotationDisabled);
    if let Ok(f) = by_alias(&report, "alias/a-first") {
        expect.that(f.aliases == ["alias/a-first", "alias/b-second"], || {
            format!("aliases {:?}, expected both, sorted", f.aliases)
        });
    }
    let status_reads = calls(&report, Operation::GetKeyRotationStatus);
    expect.that(status_reads == 1, || {
        format!("{status_reads} GetKeyRotationStatus calls, expected 1 (never for the exempt key)")
    });
    Ok(expect.outcome())
}

/// A decision-table case: alias, metadata changes, rotation, expected status
/// and reason, and whether the status is read.
type Row = (&'static str, Value, Option<Value>, Status, Reason, bool);

async fn decision_table(backend: &dyn Backend, caps: Capabilities) -> Result<CaseOutcome> {
    let mut rows: Vec<Row> = vec![
        (
            "alias/pending-deletion",
            json!({"KeyState": "PendingDeletion", "Enabled": false, "DeletionDate": 1_900_000_000}),
            None,
            Status::NotApplicable,
            Reason::PendingDeletion,
            false,
        ),
        (
            "alias/imported",
            json!({"Origin": "EXTERNAL"}),
            None,
            Status::NotApplicable,
            Reason::ImportedKeyMaterial,
            false,
        ),
        (
            "alias/rsa",
            json!({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}),
            None,
            Status::NotApplicable,
            Reason::UnsupportedKeySpec,
            false,
        ),
        (
            "alias/hmac",
            json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}),
            None,
            Status::NotApplicable,
            Reason::UnsupportedKeySpec,
            false,
        ),
        (
            "alias/disabled-skipped",
            json!({"KeyState": "Disabled", "Enabled": false}),
            off(),
            Status::NotApplicable,
            Reason::Disabled,
            false,
        ),
        (
            "alias/off",
            json!({}),
            off(),
            Status::Fail,
            Reason::RotationDisabled,
            true,
        ),
        (
            "alias/on",
            json!({}),
            on(None),
            Status::Pass,
            Reason::RotationEnabled,
            true,
        ),
    ];
    if caps.aws_only_keys {
        rows.push((
            "alias/aws/managed",
            json!({"KeyManager": "AWS"}),
            on(Some(365)),
            Status::NotApplicable,
            Reason::AwsManaged,
            false,
        ));
        rows.push((
            "alias/cloudhsm",
            json!({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": "cks-1234567890abcdef0"}),
            None,
            Status::NotApplicable,
            Reason::CustomKeyStore,
            false,
        ));
    }
    if caps.rotation_periods {
        rows.push((
            "alias/p730",
            json!({}),
            on(Some(730)),
            Status::Fail,
            Reason::RotationPeriodTooLong,
            true,
        ));
        rows.push((
            "alias/p90",
            json!({}),
            on(Some(90)),
            Status::Pass,
            Reason::RotationEnabled,
            true,
        ));
    }
    let keys: Vec<Value> = rows
        .iter()
        .zip(1..)
        .map(|((alias, changes, rotation, ..), n)| key(REGION, n, alias, changes.clone(), rotation.clone()))
        .collect();
    let clients = backend.clients(&account(json!({ REGION: {"keys": keys} }))).await?;
    let policy = Policy::default().with_evaluate_disabled_keys(false);
    let report = check_account(&clients, &check_options(policy)).await?;
    let mut expect = Expect::default();
    for (alias, _, _, status, reason, _) in &rows {
        expect.finding(&report, alias, *status, *reason);
    }
    let reads = rows.iter().filter(|row| row.5).count() as u64;
    let made = calls(&report, Operation::GetKeyRotationStatus);
    expect.that(made == reads, || {
        format!("{made} GetKeyRotationStatus calls, expected {reads} (only rows 8-10 read it)")
    });
    let described = calls(&report, Operation::DescribeKey);
    expect.that(described == rows.len() as u64, || {
        format!("{described} DescribeKey calls for {} keys", rows.len())
    });
    let extra: BTreeMap<&String, &u64> = report
        .stats
        .api_calls
        .iter()
        .filter(|(op, _)| !["ListKeys", "ListAliases", "DescribeKey", "GetKeyRotationStatus"].contains(&op.as_str()))
        .collect();
    expect.that(extra.is_empty(), || format!("unexpected calls {extra:?}"));
    Ok(expect.outcome())
}

async fn throttling_then_success(backend: &dyn Backend) -> Result<CaseOutcome> {
    let mut throttled = key(REGION, 1, "alias/throttled", json!({}), on(Some(365)));
    throttled["Errors"] =
        json!({"GetKeyRotationStatus": {"Code": "ThrottlingException", "Message": "Rate exceeded", "Times": 2}});
    let keys = json!([throttled]);
    let clients = backend.clients(&account(json!({ REGION: {"keys": keys} }))).await?;
    let report = check_account(&clients, &check_options(Policy::default())).await?;
    let mut expect = Expect::default();
    expect.finding(&report, "alias/throttled", Status::Pass, Reason::RotationEnabled);
    expect.that(report.stats.retries == 2 && report.stats.throttled == 2, || {
        format!(
            "{} retries and {} throttled answers, expected 2 and 2",
            report.stats.retries, report.stats.throttled
        )
    });
    Ok(expect.outcome())
}

async fn access_denied_on_one_key(backend: &dyn Backend) -> Result<CaseOutcome> {
    let mut denied = key(REGION, 1, "alias/denied", json!({}), off());
    denied["Errors"] = json!({"GetKeyRotationStatus": {"Code": "AccessDeniedException", "Message": "not allowed"}});
    let keys = json!([denied, key(REGION, 2, "alias/fine", json!({}), on(None))]);
    let clients = backend.clients(&account(json!({ REGION: {"keys": keys} }))).await?;
    let report = check_account(&clients, &check_options(Policy::default())).await?;
    let mut expect = Expect::default();
    expect.finding(&report, "alias/denied", Status::Error, Reason::ApiError);
    expect.finding(&report, "alias/fine", Status::Pass, Reason::RotationEnabled);
    if let Ok(f) = by_alias(&report, "alias/denied") {
        let code = f.error.as_ref().map(|e| e.code.as_str());
        expect.that(code == Some("AccessDeniedException"), || format!("error code {code:?}"));
    }
    expect.that(report.stats.retries == 0, || {
        format!("{} retries of an AccessDenied answer", report.stats.retries)
    });
    Ok(expect.outcome())
}

async fn region_not_enabled(backend: &dyn Backend) -> Result<CaseOutcome> {
    let off_region = json!({"keys": [], "Errors": {"ListKeys": {"Code": "UnrecognizedClientException", "Message": "The security token included in the request is invalid."}}});
    let keys = json!([key(REGION, 1, "alias/home", json!({}), on(None))]);
    let clients = backend
        .clients(&account(json!({ REGION: {"keys": keys}, "ap-east-1": off_region })))
        .await?;
    let options = check_options(Policy::default()).with_regions([REGION, "ap-east-1"])?;
    let report = check_account(&clients, &options).await?;
    let mut expect = Expect::default();
    let state = |region: &str| report.regions.iter().find(|r| r.region == region).map(|r| r.state);
    expect.that(state(REGION) == Some(RegionState::Scanned), || {
        format!("{REGION} state {:?}", state(REGION))
    });
    expect.that(state("ap-east-1") == Some(RegionState::NotEnabled), || {
        format!("ap-east-1 state {:?}", state("ap-east-1"))
    });
    expect.finding(&report, "alias/home", Status::Pass, Reason::RotationEnabled);
    Ok(expect.outcome())
}

async fn remediation_reads_back(backend: &dyn Backend, caps: Capabilities) -> Result<CaseOutcome> {
    let mut keys = vec![
        key(REGION, 1, "alias/fix-me", json!({}), off()),
        key(REGION, 2, "alias/leave-me", json!({}), on(None)),
        key(
            REGION,
            3,
            "alias/disabled",
            json!({"KeyState": "Disabled", "Enabled": false}),
            off(),
        ),
    ];
    if caps.rotation_periods {
        keys.push(key(REGION, 4, "alias/shorten-me", json!({}), on(Some(730))));
    }
    let clients = backend
        .clients(&account(json!({ REGION: {"keys": keys.clone()} })))
        .await?;
    let report = check_account(&clients, &check_options(Policy::default())).await?;
    let dry = remediate(&clients, &report, &RemediateOptions::default()).await?;
    let mut expect = Expect::default();
    let enables = dry.stats.api_calls.get("EnableKeyRotation").copied().unwrap_or(0);
    expect.that(enables == 0, || {
        format!("a dry run called EnableKeyRotation {enables} times")
    });
    let applied = remediate(&clients, &report, &RemediateOptions::default().with_dry_run(false)).await?;
    let outcome_of = |alias: &str| {
        by_alias(&report, alias).ok().and_then(|f| {
            applied
                .actions
                .iter()
                .find(|a| a.finding_arns.contains(&f.key_arn))
                .map(|a| (a.outcome, a.verified))
        })
    };
    expect.that(outcome_of("alias/fix-me") == Some((Outcome::Changed, true)), || {
        format!("alias/fix-me: {:?}", outcome_of("alias/fix-me"))
    });
    expect.that(outcome_of("alias/leave-me").is_none(), || {
        "a passing key was a remediation target".to_owned()
    });
    expect.that(
        matches!(outcome_of("alias/disabled"), Some((Outcome::Skipped, false))),
        || format!("alias/disabled: {:?}", outcome_of("alias/disabled")),
    );
    if caps.rotation_periods {
        expect.that(outcome_of("alias/shorten-me") == Some((Outcome::Changed, true)), || {
            format!("alias/shorten-me: {:?}", outcome_of("alias/shorten-me"))
        });
    }
    let after = check_account(&clients, &check_options(Policy::default())).await?;
    expect.finding(&after, "alias/fix-me", Status::Pass, Reason::RotationEnabled);
    Ok(expect.outcome())
}

/// When the history's last (on-demand) rotation happened, in the accounts the
/// snapshot-backed backends serve (an emulator dates its rotations itself).
const LAST_ROTATION: i64 = 1_767_000_000;

async fn rotation_history_across_pages(backend: &dyn Backend, caps: Capabilities) -> Result<CaseOutcome> {
    // With paging: 1500 rotations on two ListKeyRotations pages of 1000. A
    // backend that makes its own rotations (an emulator) gets three on-demand ones.
    let (automatic, on_demand): (i64, i64) = if caps.paging { (1497, 3) } else { (0, 3) };
    let rotations: Vec<Value> = (0..automatic)
        .map(|n| (LAST_ROTATION - (automatic + on_demand - n) * 86_400, "AUTOMATIC"))
        .chain((0..on_demand).map(|n| (LAST_ROTATION - (on_demand - 1 - n) * 3_600, "ON_DEMAND")))
        .map(|(at, kind)| json!({"RotationDate": at, "RotationType": kind}))
        .collect();
    let mut history = key(REGION, 1, "alias/history", json!({}), on(None));
    history["Rotations"] = json!(rotations);
    let mut never = key(REGION, 2, "alias/never-rotated", json!({}), on(None));
    never["Rotations"] = json!([]);
    let rsa = key(
        REGION,
        3,
        "alias/rsa",
        json!({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}),
        None,
    );
    let mut keys = vec![history, never, rsa];
    if caps.recorded_errors {
        let mut denied = key(REGION, 4, "alias/history-denied", json!({}), on(None));
        denied["Errors"] = json!({"ListKeyRotations": {"Code": "AccessDeniedException", "Message": "not allowed"}});
        keys.push(denied);
    }
    let clients = backend.clients(&account(json!({ REGION: {"keys": keys} }))).await?;
    let policy = Policy::default().with_rotation_history(true);
    let report = check_account(&clients, &check_options(policy)).await?;
    let mut expect = Expect::default();
    expect.finding(&report, "alias/history", Status::Pass, Reason::RotationEnabled);
    expect.finding(&report, "alias/never-rotated", Status::Pass, Reason::RotationEnabled);
    expect.finding(&report, "alias/rsa", Status::NotApplicable, Reason::UnsupportedKeySpec);
    let rotation_of = |alias: &str| by_alias(&report, alias).ok().and_then(|f| f.rotation.clone());
    match rotation_of("alias/history") {
        Some(r) => {
            let counts = r
                .rotation_counts
                .map(|c| (i64::from(c.automatic), i64::from(c.on_demand)));
            expect.that(counts == Some((automatic, on_demand)), || {
                format!(
                    "alias/history: rotation counts {counts:?}, expected {:?}",
                    (automatic, on_demand)
                )
            });
            expect.that(
                r.last_rotation_type == Some(crate::model::RotationType::OnDemand),
                || format!("alias/history: last rotation type {:?}", r.last_rotation_type),
            );
            let last = r.last_rotated_at.map(|at| at.epoch_seconds());
            let dated = if caps.recorded_errors {
                last == Some(LAST_ROTATION)
            } else {
                last.is_some()
            };
            expect.that(dated, || format!("alias/history: last rotated at {last:?}"));
        }
        None => expect.0.push("alias/history: no rotation in the finding".to_owned()),
    }
    let never = rotation_of("alias/never-rotated");
    expect.that(
        never.as_ref().is_some_and(|r| {
            r.last_rotated_at.is_none() && r.rotation_counts.is_some_and(|c| c.automatic + c.on_demand == 0)
        }),
        || format!("alias/never-rotated: {never:?}"),
    );
    let mut listings = if caps.paging { 3 } else { 2 };
    if caps.recorded_errors {
        listings += 1;
        expect.finding(&report, "alias/history-denied", Status::Error, Reason::ApiError);
        if let Ok(f) = by_alias(&report, "alias/history-denied") {
            let op = f.error.as_ref().and_then(|e| e.operation.as_deref());
            expect.that(op == Some("ListKeyRotations"), || format!("failed operation {op:?}"));
        }
    }
    let made = calls(&report, Operation::ListKeyRotations);
    expect.that(made == listings, || {
        format!("{made} ListKeyRotations calls, expected {listings} (never for the RSA key)")
    });
    Ok(expect.outcome())
}
