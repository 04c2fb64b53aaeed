//! Renderings of account and organisation reports, one path for both
//! ([`ReportView`]): canonical JSON, CSV, OCSF, ASFF, CloudSploit-style
//! results for machines; a terminal table, an HTML page, a Markdown summary
//! and JUnit XML for people and their CI pages.
//!
//! Everything here reads the report only; no rule is decided here.

mod html;
mod junit;
mod markdown;
mod sarif;
mod table;

use std::borrow::Cow;
use std::fmt;

use serde_json::{Value, json};

use crate::arn::Arn;
use crate::error::{Error, Result};
use crate::model::{Finding, RotationStatus, Status};
use crate::options::Door;
use crate::policy::Policy;
use crate::report::{
    AccountReport, AccountState, OrganizationReport, RegionReport, RegionState, RemediationReport, ReportSource,
};

/// The check's identity in the formats that name it.
pub const CHECK_ID: &str = "kms_key_rotation";
/// The check's title.
pub const CHECK_TITLE: &str = "KMS keys that can rotate are set to rotate automatically, often enough";
/// What to do about a `FAIL`.
pub const RECOMMENDATION: &str = "Enable automatic rotation for the KMS key with a rotation period no longer than the policy maximum (yearly by default): aws kms enable-key-rotation --key-id KEY --rotation-period-in-days 365";
/// AWS's documentation of key rotation.
pub const REFERENCE_URL: &str = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html";
/// The compliance requirements the check maps to.
pub const COMPLIANCE: [(&str, &str); 5] = [
    ("CIS AWS Foundations Benchmark v3.0.0", "3.6"),
    ("CIS AWS Foundations Benchmark v1.4.0", "3.8"),
    ("AWS Foundational Security Best Practices", "KMS.4"),
    ("NIST 800-53 r5", "SC-12"),
    ("PCI DSS v4.0", "3.7.4"),
];

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The canonical report JSON.
    Json,
    /// One row per finding, with a header.
    Csv,
    /// OCSF 1.x Detection Finding records (class_uid 2004), as Prowler emits them.
    Ocsf,
    /// AWS Security Finding Format documents for `BatchImportFindings`.
    Asff,
    /// CloudSploit-style results (plugin `kmsKeyRotation`).
    Cloudsploit,
    /// Aligned columns and the summary, for people at a terminal.
    Table,
    /// One self-contained HTML page (inline CSS, JS and SVG; no network access).
    Html,
    /// A summary and the findings that need work, for GitHub job summaries and comments.
    Markdown,
    /// JUnit XML: one test suite per region, one test case per key.
    Junit,
    /// SARIF 2.1.0 for code scanning: one rule per reason, one result per `FAIL` or `ERROR`.
    Sarif,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 10] = [
        Format::Table,
        Format::Json,
        Format::Csv,
        Format::Ocsf,
        Format::Asff,
        Format::Cloudsploit,
        Format::Html,
        Format::Markdown,
        Format::Junit,
        Format::Sarif,
    ];

    /// The name used on command lines and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Ocsf => "ocsf",
            Format::Asff => "asff",
            Format::Cloudsploit => "cloudsploit",
            Format::Table => "table",
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Format::ALL.into_iter().find(|f| f.name() == text).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            Error::invalid("format", text, format!("expected one of {}", names.join(", ")))
        })
    }
}

/// How to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Colour the table (only sensible on a terminal).
    pub color: bool,
    /// Show only the `FAIL` and `ERROR` findings (the table and Markdown; the
    /// summary still counts every finding). Machine formats always hold every finding.
    pub only_failing: bool,
    /// The table's width in columns (the CLI gives its terminal's); `None`: 80.
    pub width: Option<usize>,
}

impl RenderOptions {
    /// With or without colour.
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    /// Only the findings that need work (`FAIL`, `ERROR`), or all.
    pub fn with_only_failing(mut self, only_failing: bool) -> Self {
        self.only_failing = only_failing;
        self
    }

    /// The table's width in columns: long values are shortened in the middle,
    /// and the closing hint wrapped, to fit it.
    pub fn with_width(mut self, width: usize) -> Self {
        self.width = Some(width);
        self
    }

    /// The table's width: as set, at least 40; else 80.
    pub fn width(&self) -> usize {
        self.width.map_or(DEFAULT_WIDTH, |w| w.max(40))
    }
}

/// The width of a table when nothing says otherwise: a classic terminal's.
pub const DEFAULT_WIDTH: usize = 80;

/// The names of [`RenderOptions`]' fields, as the bindings spell them in
/// snake_case (Python) and camelCase (Node), and the CLI as `--color`, `--only-failing`
/// (`width` is the CLI's terminal width; the bindings render at [`DEFAULT_WIDTH`]).
pub const RENDER_OPTIONS: [&str; 2] = ["color", "only_failing"];

/// Renders a report; the output ends with a newline.
///
/// ```
/// use kms_rotation_core::{render, check_account, CheckOptions, Format, RenderOptions, Snapshot};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
/// let report = check_account(&snapshot.clients(), &CheckOptions::default()).await?;
/// let csv = render(&report, Format::Csv, RenderOptions::default());
/// assert_eq!(csv.lines().count(), report.findings.len() + 1);
/// # Ok::<(), kms_rotation_core::Error>(())
/// # }).unwrap();
/// ```
pub fn render(report: &AccountReport, format: Format, options: RenderOptions) -> String {
    render_check(ReportView::Account(report), format, options)
}

/// Renders an organisation report; the output ends with a newline.
///
/// Machine formats hold every finding with its account: `json` the canonical
/// organisation report, `csv` an `account_id` first column, `ocsf`
/// `cloud.account.uid`, `asff` `AwsAccountId`, `cloudsploit` an `accountId`.
/// The `table` has a line per account, then each account's findings under its
/// own heading; `html`, `markdown` and `junit` show each account's regions as
/// `ACCOUNT/REGION` (one bar, summary row or test suite each), and an account
/// that could not be checked as one entry not checked, with its error.
pub fn render_organization(report: &OrganizationReport, format: Format, options: RenderOptions) -> String {
    render_check(ReportView::Organization(report), format, options)
}

/// What account and organisation reports share, for code that takes either
/// (the bindings' report classes): the findings, the exit code, reading the
/// JSON back, and the renderings, through the one path both take.
pub trait CheckReport: Send + Sync + 'static {
    /// One finding per listed key, in the report's order.
    fn findings(&self) -> &[Finding];

    /// The run's exit code, the same in every door.
    fn exit_code(&self) -> u8;

    /// Renders the report, as [`render`] or [`render_organization`]; the output ends with a newline.
    fn render(&self, format: Format, options: RenderOptions) -> String;

    /// Reads a report written by its `to_json`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with line and column when the text is not such a report.
    fn from_json(text: &str) -> Result<Self>
    where
        Self: Sized;
}

/// Implements [`CheckReport`] for a report type over its own methods and its rendering.
macro_rules! check_report {
    ($report:ident, $render:ident) => {
        impl CheckReport for $report {
            fn findings(&self) -> &[Finding] {
                &self.findings
            }

            fn exit_code(&self) -> u8 {
                $report::exit_code(self)
            }

            fn render(&self, format: Format, options: RenderOptions) -> String {
                $render(self, format, options)
            }

            fn from_json(text: &str) -> Result<Self> {
                $report::from_json(text)
            }
        }
    };
}

check_report!(AccountReport, render);
check_report!(OrganizationReport, render_organization);

/// A check report of either kind, as every format reads it: an account report
/// is an organisation of one account, shown without account headings.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ReportView<'a> {
    /// One account's report.
    Account(&'a AccountReport),
    /// An organisation's report: every account, each finding carrying its account.
    Organization(&'a OrganizationReport),
}

impl<'a> ReportView<'a> {
    fn findings(self) -> &'a [Finding] {
        match self {
            ReportView::Account(report) => &report.findings,
            ReportView::Organization(report) => &report.findings,
        }
    }

    fn policy(self) -> &'a Policy {
        match self {
            ReportView::Account(report) => &report.policy,
            ReportView::Organization(report) => &report.policy,
        }
    }

    /// The comparison with a baseline run, when the report has one.
    fn baseline(self) -> Option<&'a crate::baseline::BaselineComparison> {
        match self {
            ReportView::Account(report) => report.baseline.as_ref(),
            ReportView::Organization(report) => report.baseline.as_ref(),
        }
    }

    fn summary(self) -> &'a crate::report::Summary {
        match self {
            ReportView::Account(report) => &report.summary,
            ReportView::Organization(report) => &report.summary,
        }
    }

    fn to_json(self) -> String {
        match self {
            ReportView::Account(report) => report.to_json(),
            ReportView::Organization(report) => report.to_json(),
        }
    }

    /// Whether each finding is shown with its account.
    fn names_accounts(self) -> bool {
        matches!(self, ReportView::Organization(_))
    }

    /// Each checked account's part as an account report, in account order:
    /// what the formats that hold one account's time and id per finding read.
    fn accounts(self) -> Vec<Cow<'a, AccountReport>> {
        match self {
            ReportView::Account(report) => vec![Cow::Borrowed(report)],
            ReportView::Organization(report) => report
                .accounts
                .iter()
                .filter_map(|a| report.account_report(&a.account_id))
                .map(Cow::Owned)
                .collect(),
        }
    }

    /// The report as one account report: an organisation's regions become
    /// `ACCOUNT/REGION` (see [`merged_view`]), what the per-region formats show.
    fn as_one_account(self) -> Cow<'a, AccountReport> {
        match self {
            ReportView::Account(report) => Cow::Borrowed(report),
            ReportView::Organization(report) => Cow::Owned(merged_view(report)),
        }
    }
}

/// The one rendering path of check reports, account and organisation alike.
fn render_check(report: ReportView<'_>, format: Format, options: RenderOptions) -> String {
    let per_finding = |render: fn(&AccountReport, &Finding) -> Value| {
        let accounts = report.accounts();
        pretty(&Value::Array(
            accounts
                .iter()
                .flat_map(|account| account.findings.iter().map(|f| render(account, f)))
                .collect(),
        ))
    };
    let mut text = match format {
        Format::Json => report.to_json(),
        Format::Csv => csv_of(
            report.findings(),
            shows_history(report),
            report.names_accounts(),
            report.baseline().is_some(),
        ),
        Format::Ocsf => per_finding(ocsf),
        Format::Asff => per_finding(asff),
        Format::Cloudsploit => pretty(&Value::Array(
            report.findings().iter().filter_map(cloudsploit).collect(),
        )),
        Format::Table => table::check(report, options),
        Format::Html => html::account(&report.as_one_account()),
        Format::Markdown => markdown::account(&report.as_one_account(), options),
        Format::Junit => junit::account(&report.as_one_account()),
        Format::Sarif => sarif::check(report),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values always serialize")
}

fn partition_of(arn: &str) -> String {
    Arn::partition_of(arn).unwrap_or_else(|| "aws".to_owned())
}

fn account_of(report: &AccountReport, finding: &Finding) -> String {
    finding
        .account_id
        .clone()
        .or_else(|| Arn::parse(&finding.key_arn).ok().map(|arn| arn.account_id))
        .or_else(|| report.account_id.clone())
        .unwrap_or_default()
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Whether the report carries rotation history (the option was on, or a finding has it):
/// the formats with fixed columns add the history's only then.
pub(super) fn shows_history(report: ReportView<'_>) -> bool {
    report.policy().reads_rotation_history() || report.findings().iter().any(|f| history_of(f).is_some())
}

/// The rotation history's evidence of a finding, when it was read.
fn history_of(f: &Finding) -> Option<&RotationStatus> {
    f.rotation.as_ref().filter(|r| r.rotation_counts.is_some())
}

/// The history columns: last rotated, how, automatic and on-demand counts.
fn history_cells(f: &Finding) -> [String; 4] {
    let rotation = history_of(f);
    let counts = rotation.and_then(|r| r.rotation_counts);
    [
        opt(rotation.and_then(|r| r.last_rotated_at)),
        opt(rotation.and_then(|r| r.last_rotation_type.as_ref())),
        opt(counts.map(|c| c.automatic)),
        opt(counts.map(|c| c.on_demand)),
    ]
}

/// A declared key's code location, as CSV columns and ASFF product fields.
const CODE_COLUMNS: [(&str, &str); 6] = [
    ("file", "CodeFile"),
    ("line", "CodeLine"),
    ("address", "CodeAddress"),
    ("resource_type", "CodeResourceType"),
    ("fix", "CodeFix"),
    ("fix_address", "CodeFixAddress"),
];

/// The cells of [`CODE_COLUMNS`] for one finding.
fn code_cells(code: &crate::model::CodeLocation) -> [String; 6] {
    [
        opt(code.file.as_ref()),
        opt(code.line),
        code.address.clone(),
        code.resource_type.clone(),
        opt(code.fix.as_ref()),
        opt(code.fix_address.as_ref()),
    ]
}

/// CSV rows of findings; `with_account` leads each with the finding's account id;
/// a report of declared keys has their code locations after the fixed columns;
/// `with_baseline` adds a last column, `baseline_state`.
fn csv_of(findings: &[Finding], with_history: bool, with_account: bool, with_baseline: bool) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = if with_account { vec!["account_id"] } else { Vec::new() };
    header.extend([
        "region",
        "key_id",
        "key_arn",
        "aliases",
        "status",
        "reason",
        "message",
        "key_manager",
        "key_state",
        "key_spec",
        "key_origin",
        "multi_region",
        "primary_arn",
        "rotation_enabled",
        "rotation_period_days",
        "next_rotation_date",
        "remediation_target_arn",
        "remediation_period_days",
        "error_code",
        "error_message",
    ]);
    let with_code = findings.iter().any(|f| f.code.is_some());
    if with_code {
        header.extend(CODE_COLUMNS.iter().map(|(csv, _)| *csv));
    }
    if with_history {
        header.extend([
            "last_rotated_at",
            "last_rotation_type",
            "automatic_rotations",
            "on_demand_rotations",
        ]);
    }
    if with_baseline {
        header.push("baseline_state");
    }
    // Writing to a Vec cannot fail.
    writer.write_record(header).expect("in-memory CSV");
    for f in findings {
        let key = f.key.as_ref();
        let rotation = f.rotation.as_ref();
        let remediation = f.remediation.as_ref();
        let error = f.error.as_ref();
        let mut record = if with_account {
            vec![opt(f.account_id.as_ref())]
        } else {
            Vec::new()
        };
        record.extend([
            f.region.clone(),
            f.key_id.clone(),
            f.key_arn.clone(),
            f.aliases.join(";"),
            f.status.to_string(),
            f.reason.to_string(),
            f.message.clone(),
            opt(key.map(|k| &k.manager)),
            opt(key.map(|k| &k.state)),
            opt(key.map(|k| &k.spec)),
            opt(key.map(|k| &k.origin)),
            opt(key.and_then(|k| k.multi_region.as_ref())),
            opt(key.and_then(|k| k.primary_arn.as_ref())),
            opt(rotation.map(|r| r.enabled)),
            opt(rotation.and_then(|r| r.period_days)),
            opt(rotation.and_then(|r| r.next_rotation_date)),
            opt(remediation.map(|r| &r.target_arn)),
            opt(remediation.map(|r| r.rotation_period_days)),
            opt(error.map(|e| &e.code)),
            opt(error.map(|e| &e.message)),
        ]);
        if with_code {
            record.extend(f.code.as_deref().map(code_cells).unwrap_or_default());
        }
        if with_history {
            record.extend(history_cells(f));
        }
        if with_baseline {
            record.push(opt(f.baseline_state));
        }
        writer.write_record(record).expect("in-memory CSV");
    }
    String::from_utf8(writer.into_inner().expect("in-memory CSV")).expect("CSV of UTF-8 fields is UTF-8")
}

/// OCSF severity for a status: FAIL is Medium, as Security Hub rates KMS.4.
fn severity(status: Status) -> (u8, &'static str) {
    match status {
        Status::Fail => (3, "Medium"),
        _ => (1, "Informational"),
    }
}

fn compliance_strings() -> Vec<String> {
    COMPLIANCE
        .iter()
        .map(|(framework, id)| format!("{framework}: {id}"))
        .collect()
}

fn ocsf(report: &AccountReport, f: &Finding) -> Value {
    let (severity_id, severity) = severity(f.status);
    let time = report.generated_at;
    let status_code = match f.status {
        Status::Pass | Status::Exempt => "PASS",
        Status::Fail => "FAIL",
        Status::NotApplicable | Status::Error => "MANUAL",
    };
    let (status_id, status) = match f.status {
        Status::Exempt => (3, "Suppressed"),
        Status::Pass | Status::NotApplicable => (4, "Resolved"),
        Status::Fail | Status::Error => (1, "New"),
    };
    let key = f.key.as_ref();
    let mut finding = json!({
        "message": f.message,
        "metadata": {
            "event_code": CHECK_ID,
            "product": {"name": "kms-rotation", "uid": "kms-rotation", "vendor_name": "kms-rotation", "version": env!("CARGO_PKG_VERSION")},
            "profiles": ["cloud", "datetime"],
            "tenant_uid": "",
            "version": "1.4.0",
        },
        "severity_id": severity_id,
        "severity": severity,
        "status": status,
        "status_code": status_code,
        "status_detail": f.message,
        "status_id": status_id,
        "unmapped": {
            "check_status": f.status,
            "reason": f.reason,
            "compliance": COMPLIANCE.iter().map(|(framework, id)| (framework.to_string(), json!([id]))).collect::<serde_json::Map<_, _>>(),
            "error": f.error,
        },
        "activity_name": "Create",
        "activity_id": 1,
        "finding_info": {
            "created_time": time.epoch_seconds(),
            "created_time_dt": time,
            "desc": "Ensures every KMS key that can rotate automatically is set to rotate, at least as often as the policy requires.",
            "product_uid": "kms-rotation",
            "title": CHECK_TITLE,
            "types": ["Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"],
            "uid": format!("kms-rotation-{CHECK_ID}-{}-{}", f.region, f.subject()),
        },
        "resources": [{
            "cloud_partition": partition_of(&f.key_arn),
            "region": f.region,
            "data": {"details": f.aliases.join(", "), "metadata": {"key": key, "rotation": f.rotation, "remediation": f.remediation}},
            "group": {"name": "kms"},
            "labels": f.aliases,
            "name": f.aliases.first().cloned().unwrap_or_else(|| f.key_id.clone()),
            "type": "AwsKmsKey",
            "uid": f.subject(),
        }],
        "category_name": "Findings",
        "category_uid": 2,
        "class_name": "Detection Finding",
        "class_uid": 2004,
        "cloud": {
            "account": {"name": "", "type": "AWS Account", "type_id": 10, "uid": account_of(report, f), "labels": []},
            "provider": "aws",
            "region": f.region,
        },
        "remediation": {"desc": RECOMMENDATION, "references": [REFERENCE_URL]},
        "risk_details": "Without automatic rotation, the same key material protects data indefinitely, widening the impact of a key compromise.",
        "time": time.epoch_seconds(),
        "time_dt": time,
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "compliance": {"requirements": compliance_strings(), "standards": COMPLIANCE.iter().map(|(framework, _)| framework).collect::<Vec<_>>()},
    });
    if let Some(state) = f.baseline_state {
        finding["unmapped"]["baseline_state"] = json!(state);
    }
    if let Some(code) = &f.code {
        finding["unmapped"]["code"] = json!(code);
    }
    if let Some(r) = history_of(f) {
        finding["unmapped"]["rotation_history"] = json!({
            "last_rotated_at": r.last_rotated_at,
            "last_rotation_type": r.last_rotation_type,
            "rotation_counts": r.rotation_counts,
        });
    }
    finding
}

/// One finding as an ASFF document (what `--format asff` lists and Security Hub delivery imports).
pub(crate) fn asff(report: &AccountReport, f: &Finding) -> Value {
    let account = account_of(report, f);
    let partition = partition_of(&f.key_arn);
    let time = report.generated_at;
    let (compliance, workflow, label) = match f.status {
        Status::Pass => ("PASSED", "RESOLVED", "INFORMATIONAL"),
        Status::Exempt => ("PASSED", "SUPPRESSED", "INFORMATIONAL"),
        Status::Fail => ("FAILED", "NEW", "MEDIUM"),
        Status::NotApplicable | Status::Error => ("NOT_AVAILABLE", "RESOLVED", "INFORMATIONAL"),
    };
    let workflow = if f.status == Status::Error { "NEW" } else { workflow };
    let key = f.key.as_ref();
    let mut details = serde_json::Map::new();
    details.insert("KeyId".into(), json!(f.key_id));
    if let Some(key) = key {
        details.insert("KeyManager".into(), json!(key.manager));
        details.insert("KeyState".into(), json!(key.state));
        details.insert("Origin".into(), json!(key.origin));
    }
    if let Some(rotation) = &f.rotation {
        details.insert("KeyRotationStatus".into(), json!(rotation.enabled));
    }
    let mut product_fields = serde_json::Map::new();
    product_fields.insert("ProviderName".into(), json!("kms-rotation"));
    product_fields.insert("Status".into(), json!(f.status));
    product_fields.insert("Reason".into(), json!(f.reason));
    if let Some(state) = f.baseline_state {
        product_fields.insert("BaselineState".into(), json!(state));
    }
    if history_of(f).is_some() {
        let names = [
            "LastRotatedAt",
            "LastRotationType",
            "AutomaticRotations",
            "OnDemandRotations",
        ];
        for (name, value) in names.into_iter().zip(history_cells(f)) {
            product_fields.insert(name.into(), json!(value));
        }
    }
    if let Some(code) = &f.code {
        for (name, value) in code_cells(code).into_iter().enumerate() {
            product_fields.insert(CODE_COLUMNS[name].1.into(), json!(value));
        }
    }
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": format!("kms-rotation/{}/{}/{CHECK_ID}", f.region, f.subject()),
        "ProductArn": format!("arn:{partition}:securityhub:{}:{account}:product/{account}/default", f.region),
        "GeneratorId": format!("kms-rotation-{CHECK_ID}"),
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"],
        "CreatedAt": time,
        "UpdatedAt": time,
        "Severity": {"Label": label},
        "Title": CHECK_TITLE,
        "Description": f.message,
        "Remediation": {"Recommendation": {"Text": RECOMMENDATION, "Url": REFERENCE_URL}},
        "ProductFields": product_fields,
        "Resources": [{
            "Type": "AwsKmsKey",
            "Id": f.subject(),
            "Partition": partition,
            "Region": f.region,
            "Details": {"AwsKmsKey": details},
        }],
        "Compliance": {
            "Status": compliance,
            "RelatedRequirements": compliance_strings(),
            "StatusReasons": [{"ReasonCode": f.reason.as_str().to_uppercase(), "Description": f.message}],
        },
        "Workflow": {"Status": workflow},
        "RecordState": "ACTIVE",
    })
}

/// CloudSploit reports 0 OK, 2 FAIL, 3 UNKNOWN, and nothing for keys that cannot rotate.
fn cloudsploit(f: &Finding) -> Option<Value> {
    let (code, status) = match f.status {
        Status::Pass | Status::Exempt => (0, "OK"),
        Status::Fail => (2, "FAIL"),
        Status::Error => (3, "UNKNOWN"),
        Status::NotApplicable => return None,
    };
    let mut result = json!({
        "plugin": "kmsKeyRotation",
        "category": "KMS",
        "title": "KMS Key Rotation",
        "description": "Ensures KMS keys are set to rotate on a regular schedule",
        "resource": f.subject(),
        "region": f.region,
        "status": status,
        "statusCode": code,
        "message": f.message,
    });
    // CloudSploit runs one account at a time; an organisation's results say whose.
    if let Some(account) = &f.account_id {
        result["accountId"] = json!(account);
    }
    Some(result)
}

/// The organisation as one account report whose "regions" are `ACCOUNT/REGION`,
/// plus one entry not checked per account that could not be checked: what the
/// per-region formats (html, markdown, junit) show per account.
fn merged_view(report: &OrganizationReport) -> AccountReport {
    let mut view = AccountReport::new(report.policy.clone());
    view.generated_at = report.generated_at;
    view.account_id = Some(format!(
        "{} accounts ({}; caller {})",
        report.accounts.len(),
        report.scope,
        report.caller_account_id.as_deref().unwrap_or("unknown")
    ));
    let label = |account: &str, region: &str| format!("{account}/{region}");
    for account in &report.accounts {
        match account.state {
            AccountState::Checked => view.regions.extend(account.regions.iter().map(|r| RegionReport {
                region: label(&account.account_id, &r.region),
                ..r.clone()
            })),
            AccountState::Error => view.regions.push(RegionReport {
                region: account.account_id.clone(),
                state: RegionState::Error,
                keys_listed: 0,
                error: account.error.clone(),
            }),
            AccountState::Skipped => {}
        }
    }
    view.findings = report
        .findings
        .iter()
        .map(|f| Finding {
            region: label(f.account_id.as_deref().unwrap_or("unknown"), &f.region),
            ..f.clone()
        })
        .collect();
    view.normalize();
    view.stats = report.stats.clone();
    view.baseline = report.baseline.clone().map(|mut baseline| {
        for f in baseline.gone.iter_mut().chain(baseline.changed.iter_mut()) {
            f.region = label(f.account_id.as_deref().unwrap_or("unknown"), &f.region);
        }
        baseline
    });
    view
}

/// Renders a remediation report as its JSON, an HTML page, or a before/after
/// table (every other format); the output ends with a newline.
pub fn render_remediation(report: &RemediationReport, format: Format) -> String {
    match format {
        Format::Json => report.to_json() + "\n",
        Format::Html => html::remediation(report),
        _ => table::remediation(report),
    }
}

/// Where a status comes in a list for people: what needs work first.
fn attention_rank(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Pass => 2,
        Status::Exempt => 3,
        Status::NotApplicable => 4,
    }
}

/// The findings in the order people read them: `FAIL`, then `ERROR`, then the
/// rest, each group in report order (region, then key ARN) — except that, when
/// the last use was read (`last_usage`), failures and errors come most recently
/// used first (then those not used since tracking began, then those whose use
/// is unknown): the key in use is the one to fix first.
fn for_people(findings: &[Finding]) -> Vec<&Finding> {
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    ordered.sort_by_key(|f| (attention_rank(f.status), usage_rank(f)));
    ordered
}

/// A finding's place by its key's last use: most recent first; never used
/// next; unknown (not read, or the read failed) last.
fn usage_rank(finding: &Finding) -> (u8, std::cmp::Reverse<i64>) {
    match finding.last_usage.as_deref() {
        Some(usage) if usage.error.is_none() => match usage.last_used_at {
            Some(at) => (0, std::cmp::Reverse(at.epoch_seconds())),
            None => (1, std::cmp::Reverse(0)),
        },
        _ => (2, std::cmp::Reverse(0)),
    }
}

/// The table's "last rotated" cell: the date and type, `never`, or `-` when not read.
pub(super) fn last_rotated(f: &Finding) -> String {
    match history_of(f) {
        None => "-".to_owned(),
        Some(r) => match (r.last_rotated_at, &r.last_rotation_type) {
            (Some(at), Some(kind)) => format!("{} {kind}", at.to_rfc3339().chars().take(10).collect::<String>()),
            (Some(at), None) => at.to_rfc3339(),
            _ => "never".to_owned(),
        },
    }
}

/// Whether a finding needs work.
fn needs_work(finding: &Finding) -> bool {
    matches!(finding.status, Status::Fail | Status::Error)
}

/// The file the closing hints name for a saved check report.
const REPORT_FILE: &str = "report.json";

/// The command that fixes every `FAIL` of a saved report (a dry run first),
/// reaching the keys where the report read them.
fn remediate_command(source: Option<&ReportSource>) -> String {
    let mut command = format!("kms-rotation remediate --report {REPORT_FILE}");
    let Some(source) = source else { return command };
    let settings = [
        ("client", &source.snapshot),
        ("profile", &source.profile),
        ("endpoint_url", &source.endpoint_url),
        ("role_arn", &source.role_arn),
    ];
    for (name, value) in settings {
        if let (Some(option), Some(value)) = (crate::options::option_named(name), value) {
            command.push_str(&format!(" {} {}", option.spelled(Door::Cli), shell_word(value)));
        }
    }
    match source.organization.as_deref() {
        Some("organization") => command.push_str(" --organization"),
        Some("accounts_file") => command.push_str(" --accounts-file ACCOUNTS_FILE"),
        Some(ou) => command.push_str(&format!(" --ou {}", shell_word(ou))),
        None => {}
    }
    if let Some(name) = &source.role_name {
        command.push_str(&format!(" --role-name {}", shell_word(name)));
    }
    command
}

/// The AWS CLI command that fixes one `FAIL`: on the key, or on its primary.
/// Where a declared key is written: `plan.json:42`, the file alone, or nothing.
fn code_place(finding: &Finding) -> Option<String> {
    let code = finding.code.as_ref()?;
    let file = code.file.as_ref()?;
    Some(match code.line {
        Some(line) => format!("{file}:{line}"),
        None => file.clone(),
    })
}

/// What a finding is about and where: the key ARN of a live key; a declared
/// key's address (or logical id) with its file and line.
fn subject_and_place(finding: &Finding) -> String {
    match code_place(finding) {
        Some(place) => format!("{} at {place}", finding.subject()),
        None => finding.subject(),
    }
}

/// A failing declared key's fix, on one line: `set enable_key_rotation = true; ...`,
/// naming the primary when the change goes there.
fn code_fix(finding: &Finding) -> Option<String> {
    let code = finding.code.as_ref()?;
    if finding.reason == crate::model::Reason::Drift {
        return drift_fix(finding);
    }
    let lines: Vec<String> = code
        .fix
        .as_ref()?
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let on = match &code.fix_address {
        Some(primary) => format!(" on its primary {primary}"),
        None => String::new(),
    };
    Some(format!("set {}{on}", lines.join("; ")))
}

/// A drifted declared key's differences, with both values and the live verdict:
/// what to bring back (or to change in the code).
fn drift_fix(finding: &Finding) -> Option<String> {
    let live = finding.live.as_ref()?;
    let differences: Vec<String> = live
        .differences
        .iter()
        .map(|d| format!("{} declared {}, live {}", d.field, d.declared, d.live))
        .collect();
    let verdict = match (live.status, live.reason) {
        (Some(status), Some(reason)) => format!(" (live: {status} {reason})"),
        _ => String::new(),
    };
    Some(format!(
        "bring the live key back to the code: {}{verdict}",
        differences.join("; ")
    ))
}

/// How a finding names its key in a list: a declared key's address (or logical
/// id), else the key id.
fn key_label(finding: &Finding) -> &str {
    match &finding.code {
        Some(code) => &code.address,
        None => &finding.key_id,
    }
}

fn aws_cli_fix(finding: &Finding) -> Option<String> {
    let plan = finding.remediation.as_ref()?;
    if finding.reason == crate::model::Reason::RotationPending {
        // Imported material waits to be made current: an on-demand rotation, not EnableKeyRotation.
        return Some(format!(
            "aws kms rotate-key-on-demand --key-id {} --region {}",
            shell_word(&plan.target_arn),
            shell_word(&plan.region)
        ));
    }
    Some(format!(
        "aws kms enable-key-rotation --key-id {} --region {} --rotation-period-in-days {}",
        shell_word(&plan.target_arn),
        shell_word(&plan.region),
        plan.rotation_period_days
    ))
}

/// What a reader must see beside a finding's reason where its message is not
/// shown: imported material about to expire, and the key's last use (when read).
fn side_notes(finding: &Finding) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(material) = finding.key_material.as_deref()
        && let (Some(days), Some(at)) = (material.expires_in_days, material.valid_to)
    {
        notes.push(format!(
            "key material expires {} ({days} days left)",
            &at.to_rfc3339()[..10]
        ));
    }
    if let Some(usage) = finding.last_usage.as_deref() {
        notes.push(usage.sentence().trim_end_matches('.').to_owned());
    }
    notes
}

/// A word as a POSIX shell reads it back unchanged: quoted when it holds
/// anything but the characters of ARNs and region names.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '.' | '-' | '@' | '+' | '='));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A rotation status in a few words: `off`, `on`, `on, 365 days`, or `-` when not read.
fn rotation_words(status: &Option<crate::model::RotationStatus>) -> String {
    match status {
        None => "-".to_owned(),
        Some(s) if !s.enabled => "off".to_owned(),
        Some(s) => s
            .period_days
            .map_or_else(|| "on".to_owned(), |days| format!("on, {days} days")),
    }
}

/// The region's scan state as the report spells it.
fn region_state(state: crate::report::RegionState) -> &'static str {
    match state {
        crate::report::RegionState::Scanned => "scanned",
        crate::report::RegionState::NotEnabled => "not_enabled",
        crate::report::RegionState::Error => "error",
    }
}

/// Counts per status for each region of the report (every requested region,
/// also those without findings), in region order.
/// How a finding's region is shown: a CloudFormation template's keys have
/// none before deploy (the stack's Region decides it).
fn region_shown(region: &str) -> &str {
    if region.is_empty() { "-" } else { region }
}

/// Whether the report is of keys declared in code only (a plan, a state, templates).
fn declared_only(report: &AccountReport) -> bool {
    report.regions.is_empty() && !report.findings.is_empty() && report.findings.iter().all(|f| f.code.is_some())
}

fn counts_by_region(report: &AccountReport) -> Vec<(String, crate::report::Summary)> {
    let mut counts: std::collections::BTreeMap<&str, crate::report::Summary> = report
        .regions
        .iter()
        .map(|r| (r.region.as_str(), crate::report::Summary::default()))
        .collect();
    for f in &report.findings {
        let summary = counts.entry(f.region.as_str()).or_default();
        summary.total += 1;
        *match f.status {
            Status::Pass => &mut summary.pass,
            Status::Fail => &mut summary.fail,
            Status::NotApplicable => &mut summary.not_applicable,
            Status::Exempt => &mut summary.exempt,
            Status::Error => &mut summary.error,
        } += 1;
    }
    counts
        .into_iter()
        .map(|(region, summary)| (region.to_owned(), summary))
        .collect()
}

/// The statuses in the order the summaries and charts show them.
const STATUS_ORDER: [Status; 5] = [
    Status::Fail,
    Status::Error,
    Status::Pass,
    Status::Exempt,
    Status::NotApplicable,
];
