//! Reports and findings as thin classes over the core's values: a field is
//! converted when read, `toJSON()` is the core's serialization and `render()`
//! the core's renderings, so a 10,000-key report costs nothing until touched.

use std::sync::Arc;

use kms_rotation_core::{CheckReport, Format, RENDER_OPTIONS, RenderOptions as CoreRenderOptions, render_remediation};
use napi::Env;
use napi::bindgen_prelude::{ClassInstance, JavaScriptClassExt, ObjectFinalize, Unknown};
use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;

use crate::error::BindingError;
use crate::{ExternalMemory, HandOver, convert, js_text, options_object, parse_json};

/// A field as the core serializes it (`null` for `None`).
fn field<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The core's canonical JSON as a plain object (what `JSON.stringify` writes).
fn plain<'env, T: Serialize>(env: &'env Env, value: &T) -> napi::Result<Unknown<'env>> {
    let text = serde_json::to_string(value).map_err(|e| napi::Error::from_reason(e.to_string()))?;
    parse_json(env, &text)
}

fn format(env: &Env, name: Option<String>) -> napi::Result<Format> {
    let name = name.unwrap_or_else(|| "table".to_owned());
    name.parse::<Format>().map_err(|e| BindingError::from(e).into_napi(env))
}

/// How `render` renders: the core's render options, camelCase.
#[napi(object)]
pub struct RenderOptions {
    /// Colour the table with ANSI escapes (default false).
    pub color: Option<bool>,
    /// Show only the `FAIL` and `ERROR` findings (table and markdown; the counts
    /// still cover every key). Default false.
    pub only_failing: Option<bool>,
}

/// A render option's name as this package spells it (`onlyFailing`).
fn camel(name: &str) -> String {
    let mut parts = name.split('_');
    let first = parts.next().unwrap_or_default().to_owned();
    parts.fold(first, |mut out, part| {
        let mut chars = part.chars();
        out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        out.push_str(chars.as_str());
        out
    })
}

fn render_options(env: &Env, options: Option<Unknown<'_>>) -> napi::Result<CoreRenderOptions> {
    let parse = || -> Result<CoreRenderOptions, BindingError> {
        let Some(options) = options_object(options, |key| RENDER_OPTIONS.iter().any(|name| camel(name) == key))? else {
            return Ok(CoreRenderOptions::default());
        };
        let options: RenderOptions =
            convert(options).map_err(|e| BindingError::invalid("options", format!("invalid options: {}", e.reason)))?;
        Ok(CoreRenderOptions::default()
            .with_color(options.color == Some(true))
            .with_only_failing(options.only_failing == Some(true)))
    };
    parse().map_err(|e| e.into_napi(env))
}

/// Every render option's name, camelCase (`color`, `onlyFailing`): each is a
/// key of {@link RenderOptions}.
#[napi]
pub fn render_option_names() -> Vec<String> {
    RENDER_OPTIONS.iter().map(|name| camel(name)).collect()
}

/// A report of this package rendered by the core: the same as
/// `report.render(format, options)`, for a check or a remediation report.
///
/// @throws `INVALID_INPUT` for an unknown format, unknown options, or a value that is no report.
#[napi(
    js_name = "render",
    ts_args_type = "report: AccountReport | OrganizationReport | RemediationReport, format?: Format, options?: RenderOptions",
    ts_return_type = "string"
)]
pub fn render_report<'env>(
    env: &'env Env,
    report: Unknown<'env>,
    format_name: Option<String>,
    options: Option<Unknown<'env>>,
) -> napi::Result<Unknown<'env>> {
    if AccountReport::instance_of(env, &report).unwrap_or(false) {
        let report: ClassInstance<'_, AccountReport> = convert(report)?;
        return report.render(env, format_name, options);
    }
    if OrganizationReport::instance_of(env, &report).unwrap_or(false) {
        let report: ClassInstance<'_, OrganizationReport> = convert(report)?;
        return report.render(env, format_name, options);
    }
    if RemediationReport::instance_of(env, &report).unwrap_or(false) {
        // A remediation report has one table; the options are still checked for typos.
        render_options(env, options)?;
        let report: ClassInstance<'_, RemediationReport> = convert(report)?;
        return report.render(env, format_name);
    }
    Err(BindingError::invalid(
        "report",
        "expected an AccountReport, an OrganizationReport or a RemediationReport of this package",
    )
    .into_napi(env))
}

/// The result of {@link checkAccount}: one finding per listed key and one
/// entry per requested region. Fields read like the canonical report JSON
/// (`report.findings[0].key_arn`); `JSON.stringify(report)` writes that JSON,
/// identical to the Rust and Python libraries' apart from `generated_at` and
/// `stats.duration_ms`.
#[napi(custom_finalize)]
pub struct AccountReport {
    checked: Checked<kms_rotation_core::AccountReport>,
}

/// Native bytes per finding of a report (measured: about 2.4 KB).
const BYTES_PER_FINDING: usize = 2048;

/// What an `AccountReport` and an `OrganizationReport` hold alike: the core's
/// report, shared with their findings, and the native memory it holds, told to V8.
pub(crate) struct Checked<R> {
    pub(crate) inner: Arc<R>,
    external: ExternalMemory,
}

impl<R: CheckReport + Serialize> Checked<R> {
    fn new(report: R) -> Self {
        Self {
            inner: Arc::new(report),
            external: ExternalMemory::default(),
        }
    }

    fn hand_over(mut self, env: &Env) -> Self {
        self.external = ExternalMemory::claim(env, self.inner.findings().len() * BYTES_PER_FINDING);
        self
    }

    fn findings(&self) -> Vec<Finding> {
        (0..self.inner.findings().len())
            .map(|index| Finding {
                source: Source::Report(self.inner.clone(), index),
            })
            .collect()
    }

    fn exit_code(&self) -> u32 {
        self.inner.exit_code().into()
    }

    fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        plain(env, self.inner.as_ref())
    }

    fn render<'env>(
        &self,
        env: &'env Env,
        format_name: Option<String>,
        options: Option<Unknown<'env>>,
    ) -> napi::Result<Unknown<'env>> {
        let format = format(env, format_name)?;
        js_text(env, &self.inner.render(format, render_options(env, options)?))
    }
}

/// A class over a [`Checked`] report: `AccountReport` and `OrganizationReport`.
pub(crate) trait ReportClass: JavaScriptClassExt {
    /// The core's report type.
    type Core: CheckReport + Serialize;

    fn checked(&self) -> &Checked<Self::Core>;
}

/// A class over a [`Checked`] report: its constructor, [`ReportClass`],
/// `HandOver` and `ObjectFinalize`.
macro_rules! checked_class {
    ($class:ident, $report:ident) => {
        impl $class {
            pub(crate) fn new(report: kms_rotation_core::$report) -> Self {
                Self {
                    checked: Checked::new(report),
                }
            }
        }

        impl ReportClass for $class {
            type Core = kms_rotation_core::$report;

            fn checked(&self) -> &Checked<Self::Core> {
                &self.checked
            }
        }

        impl HandOver for $class {
            fn hand_over(self, env: &Env) -> Self {
                Self {
                    checked: self.checked.hand_over(env),
                }
            }
        }

        impl ObjectFinalize for $class {
            fn finalize(self, env: Env) -> napi::Result<()> {
                self.checked.external.release(&env)
            }
        }
    };
}

checked_class!(AccountReport, AccountReport);
checked_class!(OrganizationReport, OrganizationReport);

#[napi]
impl AccountReport {
    /// Always 1.
    #[napi(getter, js_name = "schema_version", ts_return_type = "1")]
    pub fn schema_version(&self) -> u32 {
        self.checked.inner.schema_version
    }

    /// When the report was made (RFC 3339).
    #[napi(getter, js_name = "generated_at")]
    pub fn generated_at(&self) -> String {
        self.checked.inner.generated_at.to_rfc3339()
    }

    /// The account, when known.
    #[napi(getter, js_name = "account_id")]
    pub fn account_id(&self) -> Option<String> {
        self.checked.inner.account_id.clone()
    }

    /// The policy the keys were held to.
    #[napi(getter, ts_return_type = "Policy")]
    pub fn policy(&self) -> Value {
        field(&self.checked.inner.policy)
    }

    /// Where the keys were read; `remediate` acts only there.
    #[napi(getter, ts_return_type = "ReportSource | null")]
    pub fn source(&self) -> Value {
        field(&self.checked.inner.source)
    }

    /// One entry per requested region, sorted by name.
    #[napi(getter, ts_return_type = "RegionReport[]")]
    pub fn regions(&self) -> Value {
        field(&self.checked.inner.regions)
    }

    /// One finding per listed key, sorted by region then key ARN.
    #[napi(getter)]
    pub fn findings(&self) -> Vec<Finding> {
        self.checked.findings()
    }

    /// Findings counted by status.
    #[napi(getter, ts_return_type = "Summary")]
    pub fn summary(&self) -> Value {
        field(&self.checked.inner.summary)
    }

    /// API calls, retries, duration.
    #[napi(getter, ts_return_type = "Stats")]
    pub fn stats(&self) -> Value {
        field(&self.checked.inner.stats)
    }

    /// The comparison with the baseline run (`baseline` option); `null` without one.
    #[napi(getter, ts_return_type = "BaselineComparison | null")]
    pub fn baseline(&self) -> Value {
        field(&self.checked.inner.baseline)
    }

    /// What the delivery to Security Hub did (`toSecurityHub`); `null` when not asked for.
    #[napi(getter, js_name = "security_hub", ts_return_type = "SecurityHubDelivery | null")]
    pub fn security_hub(&self) -> Value {
        field(&self.checked.inner.security_hub)
    }

    /// The CLI's exit code for this report: 2 when a key fails; else 3 when a
    /// key is `ERROR` or a region was not checked; else 0.
    #[napi(js_name = "exitCode", ts_return_type = "0 | 2 | 3")]
    pub fn exit_code(&self) -> u32 {
        self.checked.exit_code()
    }

    /// The canonical report JSON as a plain object.
    #[napi(js_name = "toJSON", ts_return_type = "AccountReportJson")]
    pub fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.checked.to_json(env)
    }

    /// The report rendered by the core: `'json'` (the canonical JSON text),
    /// `'csv'`, `'ocsf'`, `'asff'`, `'cloudsploit'`, `'html'`, `'markdown'`,
    /// `'junit'`, `'sarif'` or `'table'` (the default).
    ///
    /// @throws `INVALID_INPUT` for an unknown format or unknown options.
    #[napi(ts_args_type = "format?: Format, options?: RenderOptions", ts_return_type = "string")]
    pub fn render<'env>(
        &self,
        env: &'env Env,
        format_name: Option<String>,
        options: Option<Unknown<'env>>,
    ) -> napi::Result<Unknown<'env>> {
        self.checked.render(env, format_name, options)
    }
}

/// The result of {@link checkOrganization}: one entry per account and the
/// findings of every account, each carrying its `account_id`. Fields read like
/// the canonical report JSON; `JSON.stringify(report)` writes that JSON,
/// identical to the Rust and Python libraries' apart from `generated_at` and
/// `stats.duration_ms`.
#[napi(custom_finalize)]
pub struct OrganizationReport {
    checked: Checked<kms_rotation_core::OrganizationReport>,
}

#[napi]
impl OrganizationReport {
    /// Always 1.
    #[napi(getter, js_name = "schema_version", ts_return_type = "1")]
    pub fn schema_version(&self) -> u32 {
        self.checked.inner.schema_version
    }

    /// When the report was made (RFC 3339).
    #[napi(getter, js_name = "generated_at")]
    pub fn generated_at(&self) -> String {
        self.checked.inner.generated_at.to_rfc3339()
    }

    /// The account whose credentials ran the check.
    #[napi(getter, js_name = "caller_account_id")]
    pub fn caller_account_id(&self) -> Option<String> {
        self.checked.inner.caller_account_id.clone()
    }

    /// What was covered: `organization`, the OU id, or `accounts_file`.
    #[napi(getter)]
    pub fn scope(&self) -> String {
        self.checked.inner.scope.clone()
    }

    /// The policy the keys were held to.
    #[napi(getter, ts_return_type = "Policy")]
    pub fn policy(&self) -> Value {
        field(&self.checked.inner.policy)
    }

    /// One entry per account, sorted by id.
    #[napi(getter, ts_return_type = "AccountEntry[]")]
    pub fn accounts(&self) -> Value {
        field(&self.checked.inner.accounts)
    }

    /// Every finding of every checked account, sorted by account, region, key
    /// ARN: thin wrappers over the report, as {@link AccountReport.findings}.
    #[napi(getter)]
    pub fn findings(&self) -> Vec<Finding> {
        self.checked.findings()
    }

    /// Findings counted by status over every account.
    #[napi(getter, ts_return_type = "Summary")]
    pub fn summary(&self) -> Value {
        field(&self.checked.inner.summary)
    }

    /// Accounts by how the run ended.
    #[napi(getter, js_name = "account_summary", ts_return_type = "AccountCounts")]
    pub fn account_summary(&self) -> Value {
        field(&self.checked.inner.account_summary)
    }

    /// API calls, retries, duration, over every account.
    #[napi(getter, ts_return_type = "Stats")]
    pub fn stats(&self) -> Value {
        field(&self.checked.inner.stats)
    }

    /// The comparison with the baseline run (`baseline` option); `null` without one.
    #[napi(getter, ts_return_type = "BaselineComparison | null")]
    pub fn baseline(&self) -> Value {
        field(&self.checked.inner.baseline)
    }

    /// The CLI's exit code: 2 when a key fails; else 3 when a key is `ERROR`,
    /// a region or an account was not checked; else 0.
    #[napi(js_name = "exitCode", ts_return_type = "0 | 2 | 3")]
    pub fn exit_code(&self) -> u32 {
        self.checked.exit_code()
    }

    /// The canonical report JSON as a plain object.
    #[napi(js_name = "toJSON", ts_return_type = "OrganizationReportJson")]
    pub fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        self.checked.to_json(env)
    }

    /// The report rendered by the core, as {@link AccountReport.render}, every format carrying the account.
    ///
    /// @throws `INVALID_INPUT` for an unknown format or unknown options.
    #[napi(ts_args_type = "format?: Format, options?: RenderOptions", ts_return_type = "string")]
    pub fn render<'env>(
        &self,
        env: &'env Env,
        format_name: Option<String>,
        options: Option<Unknown<'env>>,
    ) -> napi::Result<Unknown<'env>> {
        self.checked.render(env, format_name, options)
    }
}

/// Where a finding lives: in a report of either kind, or on its own (from {@link checkKey}).
enum Source {
    Report(Arc<dyn CheckReport>, usize),
    Own(Arc<kms_rotation_core::Finding>),
}

/// The verdict for one key, with the facts behind it (fields as in the report JSON).
#[napi]
pub struct Finding {
    source: Source,
}

impl HandOver for Finding {}

impl Finding {
    pub(crate) fn new(finding: kms_rotation_core::Finding) -> Self {
        Self {
            source: Source::Own(Arc::new(finding)),
        }
    }

    fn get(&self) -> &kms_rotation_core::Finding {
        match &self.source {
            Source::Report(report, index) => &report.findings()[*index],
            Source::Own(finding) => finding,
        }
    }
}

#[napi]
impl Finding {
    /// The account the key lives in: set in an organisation report's findings.
    #[napi(getter, js_name = "account_id")]
    pub fn account_id(&self) -> Option<String> {
        self.get().account_id.clone()
    }

    /// The region the key lives in.
    #[napi(getter)]
    pub fn region(&self) -> String {
        self.get().region.clone()
    }

    /// The key id.
    #[napi(getter, js_name = "key_id")]
    pub fn key_id(&self) -> String {
        self.get().key_id.clone()
    }

    /// The key ARN.
    #[napi(getter, js_name = "key_arn")]
    pub fn key_arn(&self) -> String {
        self.get().key_arn.clone()
    }

    /// Alias names pointing at the key, sorted.
    #[napi(getter)]
    pub fn aliases(&self) -> Vec<String> {
        self.get().aliases.clone()
    }

    /// The verdict.
    #[napi(getter, ts_return_type = "Status")]
    pub fn status(&self) -> &'static str {
        self.get().status.as_str()
    }

    /// Why: one row of the decision table.
    #[napi(getter, ts_return_type = "Reason")]
    pub fn reason(&self) -> &'static str {
        self.get().reason.as_str()
    }

    /// One human sentence.
    #[napi(getter)]
    pub fn message(&self) -> String {
        self.get().message.clone()
    }

    /// The key facts; `null` when `DescribeKey` failed.
    #[napi(getter, ts_return_type = "KeySummary | null")]
    pub fn key(&self) -> Value {
        field(&self.get().key)
    }

    /// The rotation status; `null` when not read.
    #[napi(getter, ts_return_type = "RotationStatus | null")]
    pub fn rotation(&self) -> Value {
        field(&self.get().rotation)
    }

    /// What {@link remediate} would do; `null` unless `FAIL`.
    #[napi(getter, ts_return_type = "RemediationPlan | null")]
    pub fn remediation(&self) -> Value {
        field(&self.get().remediation)
    }

    /// The API error behind an `ERROR`.
    #[napi(getter, ts_return_type = "ErrorInfo | null")]
    pub fn error(&self) -> Value {
        field(&self.get().error)
    }

    /// The key's imported material (current, pending, expiry); `null` for other keys.
    #[napi(getter, js_name = "key_material", ts_return_type = "KeyMaterialStatus | null")]
    pub fn key_material(&self) -> Value {
        field(&self.get().key_material)
    }

    /// The key's last use: with `lastUsage: true`, for `FAIL` and `ERROR` keys; else `null`.
    #[napi(getter, js_name = "last_usage", ts_return_type = "LastUsage | null")]
    pub fn last_usage(&self) -> Value {
        field(&self.get().last_usage)
    }

    /// What the record held that the verdict did not need and was ignored.
    #[napi(getter)]
    pub fn ignored(&self) -> Vec<String> {
        self.get().ignored.clone()
    }

    /// How the finding compares with the baseline run; `null` without a baseline.
    #[napi(getter, js_name = "baseline_state", ts_return_type = "BaselineState | null")]
    pub fn baseline_state(&self) -> Option<&'static str> {
        self.get().baseline_state.map(|state| state.as_str())
    }

    /// Where a declared key is written ({@link checkTerraformPlan}, {@link checkCloudFormation}); `null` for a live key.
    #[napi(getter, ts_return_type = "CodeLocation | null")]
    pub fn code(&self) -> Value {
        field(&self.get().code)
    }

    /// A declared key compared with its live key (`compareLive`): the declared and live
    /// verdicts and what differs; `null` otherwise.
    #[napi(getter, ts_return_type = "LiveComparison | null")]
    pub fn live(&self) -> Value {
        field(&self.get().live)
    }

    /// The finding's canonical JSON as a plain object.
    #[napi(js_name = "toJSON", ts_return_type = "FindingJson")]
    pub fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        plain(env, self.get())
    }
}

/// The result of {@link remediate} and {@link remediateKeys} (fields as in its JSON).
#[napi]
pub struct RemediationReport {
    inner: Arc<kms_rotation_core::RemediationReport>,
}

impl HandOver for RemediationReport {}

impl RemediationReport {
    pub(crate) fn new(report: kms_rotation_core::RemediationReport) -> Self {
        Self {
            inner: Arc::new(report),
        }
    }
}

#[napi]
impl RemediationReport {
    /// Always 1.
    #[napi(getter, js_name = "schema_version", ts_return_type = "1")]
    pub fn schema_version(&self) -> u32 {
        self.inner.schema_version
    }

    /// When the report was made (RFC 3339).
    #[napi(getter, js_name = "generated_at")]
    pub fn generated_at(&self) -> String {
        self.inner.generated_at.to_rfc3339()
    }

    /// Whether this was a dry run (nothing changed).
    #[napi(getter, js_name = "dry_run")]
    pub fn dry_run(&self) -> bool {
        self.inner.dry_run
    }

    /// The period requested.
    #[napi(getter, js_name = "rotation_period_days")]
    pub fn rotation_period_days(&self) -> u32 {
        self.inner.rotation_period_days
    }

    /// One action per target key, sorted by region then ARN.
    #[napi(getter, ts_return_type = "RemediationAction[]")]
    pub fn actions(&self) -> Value {
        field(&self.inner.actions)
    }

    /// Actions counted by outcome (outcomes that did not occur are absent).
    #[napi(getter, ts_return_type = "Partial<Record<Outcome, number>>")]
    pub fn summary(&self) -> Value {
        field(&self.inner.summary)
    }

    /// API calls, retries, duration.
    #[napi(getter, ts_return_type = "Stats")]
    pub fn stats(&self) -> Value {
        field(&self.inner.stats)
    }

    /// The CLI's exit code for this report: 0 when every target ended (in a dry
    /// run: would end) compliant, else 2.
    #[napi(js_name = "exitCode", ts_return_type = "0 | 2")]
    pub fn exit_code(&self) -> u32 {
        self.inner.exit_code().into()
    }

    /// The canonical remediation report JSON as a plain object.
    #[napi(js_name = "toJSON", ts_return_type = "RemediationReportJson")]
    pub fn to_json<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        plain(env, self.inner.as_ref())
    }

    /// The report rendered by the core: `'json'`, `'html'`, or a before/after table (any other format).
    ///
    /// @throws `INVALID_INPUT` for an unknown format.
    #[napi(ts_args_type = "format?: Format", ts_return_type = "string")]
    pub fn render<'env>(&self, env: &'env Env, format_name: Option<String>) -> napi::Result<Unknown<'env>> {
        js_text(env, &render_remediation(&self.inner, format(env, format_name)?))
    }
}
