//! Results as thin native objects over the core's values: reports and findings
//! stay Rust values, a field is converted when it is read, `to_json()` /
//! `to_dict()` come from the core's serializer and `render()` from its renderers.

use std::sync::Arc;

use kms_rotation_core::{
    AccountEntry as CoreAccountEntry, AccountReport as CoreAccountReport, CheckReport,
    CodeLocation as CoreCodeLocation, ErrorInfo as CoreErrorInfo, Finding as CoreFinding, Format,
    KeySummary as CoreKeySummary, OrganizationReport as CoreOrganizationReport, Policy as CorePolicy,
    RegionReport as CoreRegionReport, RemediationAction as CoreRemediationAction,
    RemediationPlan as CoreRemediationPlan, RemediationReport as CoreRemediationReport, RenderOptions,
    RotationStatus as CoreRotationStatus, Stats as CoreStats, Status as CoreStatus, Summary as CoreSummary,
    render_remediation,
};
use kms_rotation_core::{KeyMaterialStatus as CoreKeyMaterialStatus, LastUsage as CoreLastUsage};
use pyo3::IntoPyObjectExt;
use pyo3::PyClass;
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::True;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyIterator, PyTuple, PyType};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Result, invalid};
use crate::json::{datetime, pretty, spelling, to_dict, to_py};

/// A member of one of the Python enums (`kms_rotation._enums`), by its spelling.
fn py_enum<'py>(py: Python<'py>, class: &'static str, value: &str) -> PyResult<Bound<'py, PyAny>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let module = MODULE.get_or_try_init(py, || py.import("kms_rotation._enums").map(Bound::unbind))?;
    module.bind(py).getattr(class)?.call1((value,))
}

/// `repr()` of a value, as Python writes it.
fn py_repr<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<String> {
    Ok(value.into_bound_py_any(py)?.repr()?.to_string())
}

/// A status given as a `Status` or its spelling.
fn status_of(status: &Bound<'_, PyAny>) -> Result<CoreStatus> {
    let text: String = status.str()?.to_string();
    CoreStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| invalid("status", text, "expected PASS, FAIL, NOT_APPLICABLE, EXEMPT or ERROR"))
}

/// A result class over a core value.
trait Record {
    type Value: Serialize + PartialEq;
    const NAME: &'static str;

    fn get(&self) -> &Self::Value;

    /// `Name(field=value, ...)` from the canonical JSON fields.
    fn repr(&self, py: Python<'_>) -> PyResult<String> {
        let fields = match serde_json::to_value(self.get()) {
            Ok(Value::Object(map)) => map
                .iter()
                .map(|(name, value)| Ok(format!("{name}={}", to_py(py, value)?.repr()?)))
                .collect::<PyResult<Vec<String>>>()?,
            _ => Vec::new(),
        };
        Ok(format!("{}({})", Self::NAME, fields.join(", ")))
    }
}

/// The Python methods of a [`Record`]: a getter per field (`name => value`,
/// with `this` the core value and `py` the interpreter), `to_dict()`,
/// `to_json()`, `==` and `repr()`, plus any further methods given.
macro_rules! record {
    ($name:ident |$this:ident, $py:ident| { $($(#[$doc:meta])* $field:ident => $value:expr;)* } $($extra:tt)*) => {
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.get() == other.get()
            }
        }

        #[pymethods]
        impl $name {
            $(
                $(#[$doc])*
                #[getter]
                fn $field<'py>(&self, $py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    let $this = self.get();
                    ($value).into_bound_py_any($py)
                }
            )*

            /// The canonical JSON object, as a fresh dict.
            fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                to_dict(py, self.get())
            }

            /// The canonical JSON, pretty-printed like the Rust core.
            fn to_json(&self) -> String {
                pretty(self.get())
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Record::repr(self, py)
            }

            $($extra)*
        }
    };
}

/// Declares a result class holding its core value.
macro_rules! value_class {
    ($(#[$doc:meta])* $name:ident($value:ty)) => {
        $(#[$doc])*
        #[pyclass(frozen, eq, module = "kms_rotation")]
        pub(crate) struct $name(pub(crate) $value);

        impl Record for $name {
            type Value = $value;
            const NAME: &'static str = stringify!($name);

            fn get(&self) -> &$value {
                &self.0
            }
        }
    };
}

value_class!(
    /// An AWS error as a report shows it.
    ErrorInfo(CoreErrorInfo)
);
record!(ErrorInfo |this, py| {
    /// The AWS error code, verbatim (``AccessDeniedException``, ...).
    code => this.code.as_str();
    /// The AWS error message.
    message => this.message.as_str();
    /// The operation that failed, e.g. ``GetKeyRotationStatus``.
    operation => this.operation.as_deref();
});

fn error_info(error: Option<&CoreErrorInfo>) -> Option<ErrorInfo> {
    error.cloned().map(ErrorInfo)
}

value_class!(
    /// The key facts a finding carries (AWS spellings: ``CUSTOMER``, ``Enabled``, ...).
    KeySummary(CoreKeySummary)
);
record!(KeySummary |this, py| {
    /// ``AWS`` or ``CUSTOMER``.
    manager => this.manager.as_str();
    /// Lifecycle state, e.g. ``Enabled``, ``Disabled``, ``PendingDeletion``.
    state => this.state.as_str();
    /// Key spec, e.g. ``SYMMETRIC_DEFAULT``.
    spec => this.spec.as_str();
    /// Key usage, e.g. ``ENCRYPT_DECRYPT``.
    usage => this.usage.as_str();
    /// Material origin, e.g. ``AWS_KMS``, ``EXTERNAL``.
    origin => this.origin.as_str();
    /// ``None``, ``PRIMARY`` or ``REPLICA``.
    multi_region => this.multi_region.as_ref().map(|role| role.as_str());
    /// The primary's ARN, for a multi-Region key.
    primary_arn => this.primary_arn.as_deref();
    /// The primary's region, for a multi-Region key.
    primary_region => this.primary_region.as_deref();
});

value_class!(
    /// What ``GetKeyRotationStatus`` told about a key.
    RotationStatus(CoreRotationStatus)
);
record!(RotationStatus |this, py| {
    /// Whether automatic rotation is on.
    enabled => this.enabled;
    /// The rotation period, when reported (90..2560).
    period_days => this.period_days;
    /// When KMS will next rotate the key.
    next_rotation_date => datetime(py, this.next_rotation_date)?;
    /// Set while an on-demand rotation is running.
    on_demand_rotation_started_at => datetime(py, this.on_demand_rotation_started_at)?;
    /// When the key last rotated (``ListKeyRotations``); ``None`` if never, or not read.
    last_rotated_at => datetime(py, this.last_rotated_at)?;
    /// How it last rotated: ``AUTOMATIC`` or ``ON_DEMAND``.
    last_rotation_type => this.last_rotation_type.as_ref().map(|kind| kind.as_str().to_owned());
    /// ``AUTOMATIC`` rotations in the history; ``None`` when the history was not read.
    automatic_rotations => this.rotation_counts.map(|c| c.automatic);
    /// ``ON_DEMAND`` rotations in the history; ``None`` when the history was not read.
    on_demand_rotations => this.rotation_counts.map(|c| c.on_demand);
});

fn rotation_status(status: &Option<CoreRotationStatus>) -> Option<RotationStatus> {
    status.clone().map(RotationStatus)
}

value_class!(
    /// A key's material: which is current and since when, what is pending, when it expires.
    KeyMaterialStatus(CoreKeyMaterialStatus)
);
record!(KeyMaterialStatus |this, py| {
    /// The current material's id.
    current_key_material_id => this.current_key_material_id.as_deref();
    /// When the current material became current (its rotation, or the key's creation).
    current_since => datetime(py, this.current_since)?;
    /// ``KEY_MATERIAL_EXPIRES`` or ``KEY_MATERIAL_DOES_NOT_EXPIRE``.
    expiration_model => this.expiration_model.as_ref().map(|m| m.as_str().to_owned());
    /// When the current material expires.
    valid_to => datetime(py, this.valid_to)?;
    /// Whole days left when the material expires within the warning window; else ``None``.
    expires_in_days => this.expires_in_days;
    /// Material imported but not yet current.
    pending_key_material_id => this.pending_key_material_id.as_deref();
    /// ``PENDING_ROTATION`` or ``PENDING_MULTI_REGION_IMPORT_AND_ROTATION``.
    pending_state => this.pending_state.as_ref().map(|s| s.as_str().to_owned());
    /// The Regions whose replica keys still lack the pending import.
    regions_missing_import => PyTuple::new(py, &this.regions_missing_import)?;
    /// ``IMPORTED`` or ``PENDING_IMPORT``: whether the pending material is in this key.
    pending_import_state => this.pending_import_state.as_ref().map(|s| s.as_str().to_owned());
});

value_class!(
    /// When a key was last used (``GetKeyLastUsage``), or why that is unknown.
    LastUsage(CoreLastUsage)
);
record!(LastUsage |this, py| {
    /// When the key was last used; ``None`` when not since tracking began (or unknown: see ``error``).
    last_used_at => datetime(py, this.last_used_at)?;
    /// The operation of that use, e.g. ``Decrypt``.
    operation => this.operation.as_ref().map(|op| op.as_str().to_owned());
    /// The CloudTrail event id of that use.
    cloudtrail_event_id => this.cloudtrail_event_id.as_deref();
    /// When KMS began recording the key's use.
    tracking_start_date => datetime(py, this.tracking_start_date)?;
    /// Why the last use is unknown (``GetKeyLastUsage`` failed); the verdict stands.
    error => error_info(this.error.as_ref());
});

value_class!(
    /// What ``remediate`` would do for a ``FAIL`` finding.
    RemediationPlan(CoreRemediationPlan)
);
record!(RemediationPlan |this, py| {
    /// The key to change: the key itself, or the primary of a replica.
    target_arn => this.target_arn.as_str();
    /// The target's region.
    region => this.region.as_str();
    /// The period ``EnableKeyRotation`` would set.
    rotation_period_days => this.rotation_period_days;
    /// Why KMS would refuse the change as things stand (e.g. the key is disabled).
    blocked_by => this.blocked_by.as_deref();
});

/// Where a finding's value lives: its own, or in a report of either kind (not copied).
enum FindingValue {
    Own(Box<CoreFinding>),
    InReport(Arc<dyn CheckReport>, usize),
}

/// What an `AccountReport` and an `OrganizationReport` hold alike: the core's
/// report, and its findings as views into it, made on first use and kept.
pub(crate) struct Checked<R> {
    inner: Arc<R>,
    findings: PyOnceLock<Py<PyTuple>>,
}

impl<R: CheckReport> Checked<R> {
    fn new(report: R) -> Self {
        Self {
            inner: Arc::new(report),
            findings: PyOnceLock::new(),
        }
    }

    /// The core's report, shared.
    pub(crate) fn shared(&self) -> Arc<R> {
        Arc::clone(&self.inner)
    }

    /// The findings, each a view into the report.
    fn finding_objects<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let tuple = self.findings.get_or_try_init(py, || {
            let count = self.inner.findings().len();
            PyTuple::new(
                py,
                (0..count).map(|i| Finding(FindingValue::InReport(self.shared(), i))),
            )
            .map(Bound::unbind)
        })?;
        Ok(tuple.bind(py).clone())
    }

    fn render(&self, format: &str, color: bool, only_failing: bool) -> Result<String> {
        let format: Format = format.parse()?;
        let options = RenderOptions::default()
            .with_color(color)
            .with_only_failing(only_failing);
        Ok(self.inner.render(format, options))
    }

    fn from_json(text: &str) -> Result<Self> {
        Ok(Self::new(R::from_json(text)?))
    }
}

/// A class over a [`Checked`] report: `AccountReport` and `OrganizationReport`.
pub(crate) trait ReportClass: PyClass<Frozen = True> + Sync {
    /// The core's report type.
    type Core: CheckReport;

    fn checked(&self) -> &Checked<Self::Core>;
}

/// A report class's constructor, [`ReportClass`] and [`Record`] (with any
/// `Record` methods given, e.g. its own `repr`).
macro_rules! report_class {
    ($name:ident($core:ty) $($record:tt)*) => {
        impl $name {
            pub(crate) fn new(report: $core) -> Self {
                Self(Checked::new(report))
            }
        }

        impl ReportClass for $name {
            type Core = $core;

            fn checked(&self) -> &Checked<$core> {
                &self.0
            }
        }

        impl Record for $name {
            type Value = $core;
            const NAME: &'static str = stringify!($name);

            fn get(&self) -> &$core {
                &self.0.inner
            }

            $($record)*
        }
    };
}

/// The Python methods of a report class: its fields and any further methods
/// (`extra`), as [`record!`] makes them, and what every report class has — the
/// findings, iteration over them, `render()` and `from_json()` — with the docs given.
macro_rules! report_record {
    (
        $name:ident |$this:ident, $py:ident| { $($fields:tt)* }
        findings: $(#[$findings:meta])*
        render: $(#[$render:meta])*
        from_json: $(#[$from_json:meta])*
        extra: $($extra:tt)*
    ) => {
        record!($name |$this, $py| { $($fields)* }
            $(#[$findings])*
            #[getter]
            fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                self.0.finding_objects(py)
            }

            fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
                self.0.finding_objects(py)?.as_any().try_iter()
            }

            $(#[$render])*
            #[pyo3(signature = (format = "table", *, color = false, only_failing = false))]
            fn render(&self, format: &str, color: bool, only_failing: bool) -> Result<String> {
                self.0.render(format, color, only_failing)
            }

            $(#[$from_json])*
            #[classmethod]
            fn from_json(_class: &Bound<'_, PyType>, text: &str) -> Result<Self> {
                Checked::from_json(text).map(Self)
            }

            $($extra)*
        );
    };
}

/// The verdict for one key, with the facts behind it.
#[pyclass(frozen, eq, module = "kms_rotation")]
pub(crate) struct Finding(FindingValue);

impl Finding {
    pub(crate) fn own(finding: CoreFinding) -> Self {
        Finding(FindingValue::Own(Box::new(finding)))
    }
}

impl Record for Finding {
    type Value = CoreFinding;
    const NAME: &'static str = "Finding";

    fn get(&self) -> &CoreFinding {
        match &self.0 {
            FindingValue::Own(finding) => finding,
            FindingValue::InReport(report, index) => &report.findings()[*index],
        }
    }

    fn repr(&self, py: Python<'_>) -> PyResult<String> {
        let f = self.get();
        let aliases = if f.aliases.is_empty() {
            String::new()
        } else {
            format!(", aliases={}", py_repr(py, &f.aliases)?)
        };
        Ok(format!(
            "Finding({} {}, region={}, key_id={}{aliases})",
            f.status.as_str(),
            f.reason.as_str(),
            py_repr(py, &f.region)?,
            py_repr(py, &f.key_id)?,
        ))
    }
}

record!(Finding |this, py| {
    /// The account the key belongs to (in an organisation report; ``None`` in an account report).
    account_id => this.account_id.as_deref();
    /// The region the key lives in.
    region => this.region.as_str();
    /// The key id.
    key_id => this.key_id.as_str();
    /// The key ARN.
    key_arn => this.key_arn.as_str();
    /// Alias names pointing at the key, sorted.
    aliases => PyTuple::new(py, &this.aliases)?;
    /// The verdict (a ``Status``).
    status => py_enum(py, "Status", this.status.as_str())?;
    /// Why (a ``Reason``).
    reason => py_enum(py, "Reason", this.reason.as_str())?;
    /// One human sentence.
    message => this.message.as_str();
    /// The key facts; ``None`` when ``DescribeKey`` failed.
    key => this.key.clone().map(KeySummary);
    /// The rotation status; ``None`` when not read.
    rotation => rotation_status(&this.rotation);
    /// What ``remediate`` would do; ``None`` unless ``FAIL``.
    remediation => this.remediation.as_deref().cloned().map(RemediationPlan);
    /// The API error behind an ``ERROR``.
    error => error_info(this.error.as_deref());
    /// The key's imported material (current, pending, expiry); ``None`` for other keys.
    key_material => this.key_material.as_deref().cloned().map(KeyMaterialStatus);
    /// The key's last use, with ``last_usage=True`` for ``FAIL`` and ``ERROR`` keys; else ``None``.
    last_usage => this.last_usage.as_deref().cloned().map(LastUsage);
    /// What the record held that the verdict did not need and was ignored.
    ignored => PyTuple::new(py, &this.ignored)?;
    /// How the finding compares with the baseline run: ``"new"``, ``"unchanged"``,
    /// ``"resolved"`` or ``"regressed"``; ``None`` without a baseline.
    baseline_state => this.baseline_state.map(|state| state.as_str());
    /// Where a declared key is written (Terraform, CloudFormation); ``None`` for a live key.
    code => this.code.as_deref().cloned().map(CodeLocation);
    /// A declared key compared with its live key (``compare_live=True``), as a dict:
    /// ``state`` (``compared``, ``not_created``, ``read_failed``), ``key``,
    /// ``declared_status`` / ``declared_reason``, the live ``status`` / ``reason`` /
    /// ``message``, and ``differences`` (``field``, ``declared``, ``live``); else ``None``.
    live => match this.live.as_deref() {
        Some(live) => to_dict(py, live)?,
        None => py.None().into_bound(py),
    };
});

value_class!(
    /// Where a declared key is written, and the change that makes it pass.
    CodeLocation(CoreCodeLocation)
);
record!(CodeLocation |this, py| {
    /// The file as given; ``None`` for a document handed in as a dict.
    file => this.file.as_deref();
    /// 1-based line of the resource in the file.
    line => this.line;
    /// 1-based column of the same.
    column => this.column;
    /// The Terraform resource address or the CloudFormation logical id.
    address => this.address.as_str();
    /// ``aws_kms_key``, ``AWS::KMS::Key``, ...
    resource_type => this.resource_type.as_str();
    /// The stack (CloudFormation), when known.
    stack => this.stack.as_deref();
    /// The change, as code, that makes a ``FAIL`` pass.
    fix => this.fix.as_deref();
    /// The resource the fix goes on, when not this one (a replica's primary).
    fix_address => this.fix_address.as_deref();
});

value_class!(
    /// The rules the keys were held to.
    Policy(CorePolicy)
);
record!(Policy |this, py| {
    /// The longest acceptable rotation period in days.
    max_rotation_period_days => this.max_rotation_period_days();
    /// Whether disabled keys were evaluated (else ``NOT_APPLICABLE``).
    evaluate_disabled_keys => this.evaluate_disabled_keys();
    /// The exemption rules: key ids, key ARNs, ``alias/...``, ``tag:KEY=VALUE``.
    exemptions => PyTuple::new(py, this.exemptions().iter().map(ToString::to_string))?;
    /// Whether findings carry the rotation history (asked for, or needed by the policy).
    rotation_history => this.reads_rotation_history();
    /// A key passes only if it rotated at most this many days ago; ``None``: not judged.
    max_days_since_rotation => this.max_days_since_rotation();
    /// Whether an on-demand rotation within the window passes a key with rotation off.
    accept_on_demand_rotation => this.accept_on_demand_rotation();
    /// Imported material expiring within this many days is named in the finding.
    material_expiry_warning_days => this.material_expiry_warning_days();
    /// Whether ``FAIL`` and ``ERROR`` findings carry the key's last use.
    last_usage => this.reads_last_usage();
});

value_class!(
    /// How the scan of one requested region went.
    RegionReport(CoreRegionReport)
);
record!(RegionReport |this, py| {
    /// The region.
    region => this.region.as_str();
    /// How its scan ended (a ``RegionState``).
    state => py_enum(py, "RegionState", &spelling(&this.state))?;
    /// Keys ``ListKeys`` returned (each has a finding).
    keys_listed => this.keys_listed;
    /// The listing error, or a ``ListAliases`` failure that left aliases unknown.
    error => error_info(this.error.as_ref());
});

/// Findings counted by status; ``summary[Status.FAIL]`` works too.
#[pyclass(frozen, eq, module = "kms_rotation")]
pub(crate) struct Summary(CoreSummary);

impl Record for Summary {
    type Value = CoreSummary;
    const NAME: &'static str = "Summary";

    fn get(&self) -> &CoreSummary {
        &self.0
    }

    fn repr(&self, _py: Python<'_>) -> PyResult<String> {
        let s = &self.0;
        Ok(format!(
            "Summary(total={}, pass_={}, fail={}, not_applicable={}, exempt={}, error={})",
            s.total, s.pass, s.fail, s.not_applicable, s.exempt, s.error
        ))
    }
}

record!(Summary |this, py| {
    /// All findings.
    total => this.total;
    /// ``PASS`` (``pass`` is a Python keyword).
    pass_ => this.pass;
    /// ``FAIL``.
    fail => this.fail;
    /// ``NOT_APPLICABLE``.
    not_applicable => this.not_applicable;
    /// ``EXEMPT``.
    exempt => this.exempt;
    /// ``ERROR``.
    error => this.error;
}
    /// The count for one status (``Status.FAIL`` or ``"FAIL"``).
    fn __getitem__(&self, status: &Bound<'_, PyAny>) -> Result<u64> {
        Ok(self.0.count(status_of(status)?))
    }
);

value_class!(
    /// What a run cost.
    Stats(CoreStats)
);
record!(Stats |this, py| {
    /// Requests sent, per operation (retries included).
    api_calls => this.api_calls.clone();
    /// Requests repeated after a retryable error.
    retries => this.retries;
    /// ``ThrottlingException`` answers received.
    throttled => this.throttled;
    /// Wall time in milliseconds.
    duration_ms => this.duration_ms;
    /// All requests sent.
    total_calls => this.total_calls();
});

/// The result of ``check_account``: one finding per listed key.
///
/// Iterating over the report yields its findings. ``to_json()`` is the Rust
/// core's canonical JSON (``schema_version`` 1), byte for byte.
#[pyclass(frozen, eq, module = "kms_rotation")]
pub(crate) struct AccountReport(Checked<CoreAccountReport>);

report_class!(AccountReport(CoreAccountReport)
    fn repr(&self, py: Python<'_>) -> PyResult<String> {
        let r = self.get();
        let regions: Vec<&str> = r.regions.iter().map(|region| region.region.as_str()).collect();
        let counts: Vec<String> = CoreStatus::ALL
            .iter()
            .map(|s| format!("{}={}", s.as_str(), r.summary.count(*s)))
            .collect();
        Ok(format!(
            "AccountReport(account_id={}, regions={}, findings={}, {})",
            py_repr(py, r.account_id.as_deref())?,
            py_repr(py, regions)?,
            r.findings.len(),
            counts.join(", ")
        ))
    }
);

report_record!(AccountReport |this, py| {
    /// The report format version (1).
    schema_version => this.schema_version;
    /// When the report was made.
    generated_at => datetime(py, Some(this.generated_at))?;
    /// The account, when known.
    account_id => this.account_id.as_deref();
    /// The policy the keys were held to.
    policy => Policy(this.policy.clone());
    /// Where the keys were read (``snapshot``, ``profile``, ``endpoint_url``,
    /// ``role_arn``, ``own_clients``) as a dict; ``remediate`` acts only there.
    source => to_dict(py, &this.source)?;
    /// One entry per requested region, sorted by name.
    regions => PyTuple::new(py, this.regions.iter().cloned().map(RegionReport))?;
    /// Counts per status.
    summary => Summary(this.summary);
    /// API calls, retries, duration.
    stats => Stats(this.stats.clone());
    /// The comparison with the baseline run as a dict (``counts``, ``gone``,
    /// ``changed``, ``not_compared``, ``fail_on``, ``generated_at``); ``None`` without one.
    baseline => to_dict(py, &this.baseline)?;
    /// What the delivery to Security Hub did (``to_security_hub=``) as a dict:
    /// ``imported``, ``created``, ``updated``, ``resolved``, ``archived``,
    /// ``not_sent`` and ``failed`` (each with ``id``, ``region``, ``operation``,
    /// ``code``, ``message``); ``None`` when not asked for.
    security_hub => to_dict(py, &this.security_hub)?;
}
findings:
    /// One finding per listed key, sorted by region then key ARN.
render:
    /// Renders the report: ``"table"`` (the default), ``"json"``, ``"csv"``,
    /// ``"ocsf"``, ``"asff"``, ``"cloudsploit"``, ``"html"``, ``"markdown"``,
    /// ``"junit"`` or ``"sarif"``, as the CLI writes it. ``color`` colours the table;
    /// ``only_failing`` shows only the FAIL and ERROR findings (table and markdown).
    ///
    /// Raises:
    ///     InvalidInputError: an unknown format.
from_json:
    /// Reads a report written by ``to_json()`` (by Python, Rust or Node),
    /// e.g. to remediate it later.
    ///
    /// Raises:
    ///     InvalidInputError: the text is not such a report (line and column given).
extra:
    /// The CLI's exit code for this report: 2 when a key fails; else 3 when a key is ``ERROR`` or a region was not checked; else 0.
    #[getter]
    fn exit_code(&self) -> u8 {
        self.get().exit_code()
    }

    /// The findings with one status (``Status.FAIL`` or ``"FAIL"``).
    fn findings_with<'py>(&self, py: Python<'py>, status: &Bound<'py, PyAny>) -> Result<Bound<'py, PyTuple>> {
        let wanted = status_of(status)?;
        let all = self.0.finding_objects(py)?;
        let chosen = all
            .iter()
            .zip(&self.get().findings)
            .filter(|(_, finding)| finding.status == wanted)
            .map(|(object, _)| object)
            .collect::<Vec<_>>();
        Ok(PyTuple::new(py, chosen)?)
    }
);

value_class!(
    /// One account of an organisation report.
    AccountEntry(CoreAccountEntry)
);
record!(AccountEntry |this, py| {
    /// The 12-digit account id.
    account_id => this.account_id.as_str();
    /// Its name, as Organizations lists it.
    name => this.name.as_deref();
    /// How the run ended for it: ``"checked"``, ``"skipped"`` (not ``ACTIVE``) or ``"error"``.
    state => this.state.as_str();
    /// Its state as Organizations says it (``"ACTIVE"``, ``"SUSPENDED"``, ...); ``None`` from an accounts file.
    organizations_state => this.organizations_state.as_deref();
    /// The role assumed in it; ``None`` when the caller's own credentials were used.
    role_arn => this.role_arn.as_deref();
    /// One entry per requested region (empty unless checked).
    regions => PyTuple::new(py, this.regions.iter().cloned().map(RegionReport))?;
    /// Its findings counted by status.
    summary => Summary(this.summary);
    /// Why it was not checked, with the AWS code (e.g. ``AccessDenied`` on ``AssumeRole``).
    error => error_info(this.error.as_ref());
});

/// The result of ``check_organization``: one entry per account, and the
/// findings of every account, each carrying its ``account_id``.
///
/// Iterating over the report yields its findings. ``to_json()`` is the Rust
/// core's canonical JSON, byte for byte.
#[pyclass(frozen, eq, module = "kms_rotation")]
pub(crate) struct OrganizationReport(Checked<CoreOrganizationReport>);

report_class!(OrganizationReport(CoreOrganizationReport));

report_record!(OrganizationReport |this, py| {
    /// The report format version (1).
    schema_version => this.schema_version;
    /// When the report was made.
    generated_at => datetime(py, Some(this.generated_at))?;
    /// The account whose credentials ran the check.
    caller_account_id => this.caller_account_id.as_deref();
    /// What was covered: ``"organization"``, the OU id, or ``"accounts_file"``.
    scope => this.scope.as_str();
    /// The policy the keys were held to.
    policy => Policy(this.policy.clone());
    /// One entry per account, sorted by id.
    accounts => PyTuple::new(py, this.accounts.iter().cloned().map(AccountEntry))?;
    /// Counts per status over every account.
    summary => Summary(this.summary);
    /// Accounts by how the run ended: ``{"total", "checked", "skipped", "error"}``.
    account_summary => to_dict(py, &this.account_summary)?;
    /// API calls, retries, duration, over every account.
    stats => Stats(this.stats.clone());
    /// The CLI's exit code: 2 when a key fails; else 3 when a key is ``ERROR``, a region or an account was not checked; else 0.
    exit_code => this.exit_code();
    /// The comparison with the baseline run as a dict; ``None`` without one (see ``AccountReport.baseline``).
    baseline => to_dict(py, &this.baseline)?;
}
findings:
    /// Every finding of every checked account, sorted by account, region, key ARN.
render:
    /// Renders the report as ``AccountReport.render`` does, every format carrying the account.
    ///
    /// Raises:
    ///     InvalidInputError: an unknown format.
from_json:
    /// Reads a report written by ``to_json()`` (by Python, Rust or Node).
    ///
    /// Raises:
    ///     InvalidInputError: the text is not such a report (line and column given).
extra:
);

value_class!(
    /// One target key and what remediation did to it.
    RemediationAction(CoreRemediationAction)
);
record!(RemediationAction |this, py| {
    /// The target's account (when remediating an organisation report).
    account_id => this.account_id.as_deref();
    /// The target's region.
    region => this.region.as_str();
    /// The key changed (a replica's primary for replicas).
    target_arn => this.target_arn.as_str();
    /// The ``FAIL`` findings' key ARNs this action covers (the key, or its replicas).
    finding_arns => PyTuple::new(py, &this.finding_arns)?;
    /// What happened (an ``Outcome``).
    outcome => py_enum(py, "Outcome", this.outcome.as_str())?;
    /// One human sentence.
    message => this.message.as_str();
    /// The period requested from ``EnableKeyRotation``.
    rotation_period_days => this.rotation_period_days;
    /// The status re-read right before acting.
    before => rotation_status(&this.before);
    /// The status read back after acting (predicted, for a dry run).
    after => rotation_status(&this.after);
    /// Whether reading back confirmed the change.
    verified => this.verified;
    /// The API error behind ``FAILED`` or ``SKIPPED``.
    error => error_info(this.error.as_ref());
});

/// The result of ``remediate`` and ``remediate_keys``: one action per target key.
///
/// Iterating over the report yields its actions.
#[pyclass(frozen, eq, module = "kms_rotation")]
pub(crate) struct RemediationReport(pub(crate) CoreRemediationReport);

impl Record for RemediationReport {
    type Value = CoreRemediationReport;
    const NAME: &'static str = "RemediationReport";

    fn get(&self) -> &CoreRemediationReport {
        &self.0
    }

    fn repr(&self, _py: Python<'_>) -> PyResult<String> {
        let r = &self.0;
        let counts: String = r
            .summary
            .iter()
            .map(|(outcome, count)| format!(", {}={count}", outcome.as_str()))
            .collect();
        Ok(format!(
            "RemediationReport(dry_run={}, rotation_period_days={}, actions={}{counts}, all_compliant={})",
            if r.dry_run { "True" } else { "False" },
            r.rotation_period_days,
            r.actions.len(),
            if r.all_compliant() { "True" } else { "False" },
        ))
    }
}

fn actions<'py>(py: Python<'py>, report: &CoreRemediationReport) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, report.actions.iter().cloned().map(RemediationAction))
}

record!(RemediationReport |this, py| {
    /// The report format version (1).
    schema_version => this.schema_version;
    /// When the report was made.
    generated_at => datetime(py, Some(this.generated_at))?;
    /// Whether nothing was changed.
    dry_run => this.dry_run;
    /// The period requested.
    rotation_period_days => this.rotation_period_days;
    /// One action per target key, sorted by region then ARN.
    actions => actions(py, this)?;
    /// Actions counted by outcome (``summary["CHANGED"]``); absent outcomes are absent.
    summary => {
        let counts = PyDict::new(py);
        for (outcome, count) in &this.summary {
            counts.set_item(outcome.as_str(), count)?;
        }
        counts
    };
    /// API calls, retries, duration.
    stats => Stats(this.stats.clone());
    /// True when every target ended compliant: changed and verified, or already compliant.
    all_compliant => this.all_compliant();
}
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        actions(py, &self.0)?.as_any().try_iter()
    }

    /// The CLI's exit code for this report: 0 when every target ended (in a dry run: would end) compliant, else 2.
    #[getter]
    fn exit_code(&self) -> u8 {
        self.0.exit_code()
    }

    /// Renders the report: ``"json"``, ``"html"``, or a before/after ``"table"`` (the default).
    ///
    /// Raises:
    ///     InvalidInputError: an unknown format.
    #[pyo3(signature = (format = "table"))]
    fn render(&self, format: &str) -> Result<String> {
        Ok(render_remediation(&self.0, format.parse()?))
    }
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<AccountEntry>()?;
    m.add_class::<AccountReport>()?;
    m.add_class::<OrganizationReport>()?;
    m.add_class::<ErrorInfo>()?;
    m.add_class::<Finding>()?;
    m.add_class::<CodeLocation>()?;
    m.add_class::<KeySummary>()?;
    m.add_class::<KeyMaterialStatus>()?;
    m.add_class::<LastUsage>()?;
    m.add_class::<Policy>()?;
    m.add_class::<RegionReport>()?;
    m.add_class::<RemediationAction>()?;
    m.add_class::<RemediationPlan>()?;
    m.add_class::<RemediationReport>()?;
    m.add_class::<RotationStatus>()?;
    m.add_class::<Stats>()?;
    m.add_class::<Summary>()?;
    Ok(())
}
