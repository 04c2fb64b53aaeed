//! `remediate`, `remediate_keys` and their `*_async` twins.

use kms_rotation_core::{
    AccountReport, Policy, RemediateOptions, RemediationReport, remediate as core_remediate,
    remediate_keys as core_remediate_keys,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::error::{Result, configuration, invalid};
use crate::options;
use crate::source::{Needs, Source, SourceArgs};

/// A remediation report as a Python object (with the core's verdict on compliance).
fn to_object(py: Python<'_>, report: &RemediationReport) -> PyResult<Py<PyAny>> {
    let class = py.import("kms_rotation._model")?.getattr("RemediationReport")?;
    Ok(class
        .call_method1("_from_json", (report.to_json(), report.all_compliant()))?
        .unbind())
}

/// The report argument as the core's `AccountReport`: an `AccountReport`
/// object (anything with `to_json()`), its JSON text, or its `to_dict()`.
fn account_report(report: &Bound<'_, PyAny>) -> Result<AccountReport> {
    let text: String = if let Ok(text) = report.cast::<PyString>() {
        text.to_cow()?.into_owned()
    } else if report.cast::<PyDict>().is_ok() {
        report
            .py()
            .import("json")?
            .call_method1("dumps", (report,))?
            .extract()?
    } else if let Some(to_json) = report.getattr_opt("to_json")? {
        to_json.call0()?.extract()?
    } else {
        return Err(invalid(
            "report",
            report.repr().map(|r| r.to_string()).unwrap_or_default(),
            "pass the AccountReport that check_account returned, its to_json() text or its to_dict()",
        ));
    };
    Ok(AccountReport::from_json(&text)?)
}

/// Validated arguments of `remediate`.
struct RemediateCall {
    report: AccountReport,
    source: Source,
    options: RemediateOptions,
}

impl RemediateCall {
    #[allow(clippy::too_many_arguments)]
    fn new(
        report: &Bound<'_, PyAny>,
        rotation_period_days: Option<i64>,
        dry_run: bool,
        client: Option<&Bound<'_, PyAny>>,
        client_factory: Option<&Bound<'_, PyAny>>,
        profile: Option<String>,
        endpoint_url: Option<String>,
        role_arn: Option<String>,
    ) -> Result<Self> {
        let report = account_report(report)?;
        let options = options::remediate_options(rotation_period_days, dry_run)?;
        let source = Source::from_args(
            SourceArgs {
                client,
                client_factory,
                profile,
                endpoint_url,
                role_arn,
            },
            Needs(options.operations()),
        )?;
        Ok(Self {
            report,
            source,
            options,
        })
    }

    async fn run(self) -> Result<RemediationReport> {
        let regions = self.report.regions.iter().map(|r| r.region.clone()).collect();
        let clients = self.source.remediation_clients(regions).await?;
        Ok(core_remediate(&clients, &self.report, &self.options).await?)
    }
}

/// Turns rotation on where a check found it off or too slow; a dry run by default.
///
/// Acts only on ``FAIL`` findings; a replica's fix goes to its primary, once.
/// Each target is re-read right before acting, ``EnableKeyRotation`` always gets
/// an explicit period (never longer than the current one), and every change is
/// read back.
///
/// Args:
///     report: the ``AccountReport`` of ``check_account`` (or its ``to_json()``
///         text or ``to_dict()``).
///     rotation_period_days: the period to set, 90..2560 days. Default: 365, or
///         the report's policy maximum if lower.
///     dry_run: ``True`` (the default) reports what would change and changes nothing.
///     client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
///     client_factory: ``region -> client`` for the regions ``client`` does not serve.
///     profile: the AWS profile of the built-in client (only without ``client=``).
///     endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
///     role_arn: a role the built-in client assumes first.
///
/// Returns:
///     The ``RemediationReport``, one action per target key.
///
/// Raises:
///     InvalidInputError: a malformed report or period, or a client without a
///         needed method; raised before any AWS call.
///     ConfigurationError: no credentials, or no client for a target's region.
#[pyfunction]
#[pyo3(signature = (report, *, rotation_period_days=None, dry_run=true, client=None, client_factory=None, profile=None, endpoint_url=None, role_arn=None))]
#[allow(clippy::too_many_arguments)]
fn remediate(
    py: Python<'_>,
    report: &Bound<'_, PyAny>,
    rotation_period_days: Option<i64>,
    dry_run: bool,
    client: Option<&Bound<'_, PyAny>>,
    client_factory: Option<&Bound<'_, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
) -> Result<Py<PyAny>> {
    let call = RemediateCall::new(
        report,
        rotation_period_days,
        dry_run,
        client,
        client_factory,
        profile,
        endpoint_url,
        role_arn,
    )?;
    let report = crate::wait(py, move || async move { Ok(call.run().await?) })?;
    Ok(to_object(py, &report)?)
}

/// Like ``remediate``, as a coroutine: ``result = await remediate_async(report, ...)``.
#[pyfunction]
#[pyo3(signature = (report, *, rotation_period_days=None, dry_run=true, client=None, client_factory=None, profile=None, endpoint_url=None, role_arn=None))]
#[allow(clippy::too_many_arguments)]
fn remediate_async<'py>(
    py: Python<'py>,
    report: &Bound<'py, PyAny>,
    rotation_period_days: Option<i64>,
    dry_run: bool,
    client: Option<&Bound<'py, PyAny>>,
    client_factory: Option<&Bound<'py, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
) -> Result<Bound<'py, PyAny>> {
    let call = RemediateCall::new(
        report,
        rotation_period_days,
        dry_run,
        client,
        client_factory,
        profile,
        endpoint_url,
        role_arn,
    )?;
    Ok(crate::awaitable(py, move || async move {
        let report = call.run().await?;
        Python::attach(|py| to_object(py, &report))
    })?)
}

/// Validated arguments of `remediate_keys`.
struct RemediateKeysCall {
    keys: Vec<String>,
    region: Option<String>,
    source: Source,
    policy: Policy,
    options: RemediateOptions,
}

impl RemediateKeysCall {
    #[allow(clippy::too_many_arguments)]
    fn new(
        keys: &Bound<'_, PyAny>,
        region: Option<String>,
        client: Option<&Bound<'_, PyAny>>,
        client_factory: Option<&Bound<'_, PyAny>>,
        profile: Option<String>,
        endpoint_url: Option<String>,
        role_arn: Option<String>,
        max_rotation_period_days: i64,
        evaluate_disabled_keys: bool,
        exemptions: Option<Vec<String>>,
        rotation_period_days: Option<i64>,
        dry_run: bool,
    ) -> Result<Self> {
        let keys: Vec<String> = if let Ok(key) = keys.cast::<PyString>() {
            vec![key.to_cow()?.into_owned()]
        } else {
            keys.try_iter()?
                .map(|key| key.and_then(|k| k.extract::<String>()))
                .collect::<PyResult<_>>()?
        };
        for key in &keys {
            key.parse::<kms_rotation_core::KeyRef>()?;
        }
        Source::check_region(region.as_deref())?;
        let policy = options::policy(max_rotation_period_days, evaluate_disabled_keys, exemptions)?;
        let options = options::remediate_options(rotation_period_days, dry_run)?;
        let source = Source::from_args(
            SourceArgs {
                client,
                client_factory,
                profile,
                endpoint_url,
                role_arn,
            },
            Needs(
                kms_rotation_core::check_key_operations(&policy)
                    .into_iter()
                    .chain(options.operations())
                    .collect(),
            ),
        )?;
        Ok(Self {
            keys,
            region,
            source,
            policy,
            options,
        })
    }

    async fn run(self) -> Result<RemediationReport> {
        // Bad input fails before any client is made.
        self.options.rotation_period_for(&self.policy)?;
        let arn_region = self.keys.iter().find_map(|key| {
            key.parse::<kms_rotation_core::KeyRef>()
                .ok()
                .and_then(|k| k.region().map(str::to_owned))
        });
        let region = self.region.or(arn_region).or_else(|| self.source.single_region());
        let regions: Vec<String> = region.iter().cloned().collect();
        let clients = self.source.remediation_clients(regions).await?;
        let region = match region.or_else(|| clients.regions().first().cloned()) {
            Some(region) => region,
            None => return Err(configuration("cannot tell which region the keys are in: pass region=")),
        };
        let keys: Vec<&str> = self.keys.iter().map(String::as_str).collect();
        Ok(core_remediate_keys(
            &clients,
            &region,
            &keys,
            &kms_rotation_core::CheckOptions::default().with_policy(self.policy.clone()),
            &self.options,
        )
        .await?)
    }
}

/// Checks the named keys, then remediates those that ``FAIL``; a dry run by default.
///
/// Args:
///     keys: key ids, key ARNs, alias names or alias ARNs (or one of them).
///     region: the region of the keys not named by ARN. Default: the first key
///         ARN's region, else the client's, else the configured AWS region.
///     client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
///     client_factory: ``region -> client`` for the regions ``client`` does not serve.
///     profile: the AWS profile of the built-in client (only without ``client=``).
///     endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
///     role_arn: a role the built-in client assumes first.
///     max_rotation_period_days: the policy's longest acceptable period, 90..2560 days.
///     evaluate_disabled_keys: check disabled keys (the default), or leave them alone.
///     exemptions: rules whose keys are ``EXEMPT`` (and so left alone).
///     rotation_period_days: the period to set. Default: 365, or the maximum if lower.
///     dry_run: ``True`` (the default) reports what would change and changes nothing.
///
/// Returns:
///     The ``RemediationReport``.
///
/// Raises:
///     InvalidInputError: a malformed key, region or option; raised before any AWS call.
///     ConfigurationError: no region or credentials, no client for a key's region.
#[pyfunction]
#[pyo3(signature = (keys, *, region=None, client=None, client_factory=None, profile=None, endpoint_url=None, role_arn=None, max_rotation_period_days=365, evaluate_disabled_keys=true, exemptions=None, rotation_period_days=None, dry_run=true))]
#[allow(clippy::too_many_arguments)]
fn remediate_keys(
    py: Python<'_>,
    keys: &Bound<'_, PyAny>,
    region: Option<String>,
    client: Option<&Bound<'_, PyAny>>,
    client_factory: Option<&Bound<'_, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    max_rotation_period_days: i64,
    evaluate_disabled_keys: bool,
    exemptions: Option<Vec<String>>,
    rotation_period_days: Option<i64>,
    dry_run: bool,
) -> Result<Py<PyAny>> {
    let call = RemediateKeysCall::new(
        keys,
        region,
        client,
        client_factory,
        profile,
        endpoint_url,
        role_arn,
        max_rotation_period_days,
        evaluate_disabled_keys,
        exemptions,
        rotation_period_days,
        dry_run,
    )?;
    let report = crate::wait(py, move || async move { Ok(call.run().await?) })?;
    Ok(to_object(py, &report)?)
}

/// Like ``remediate_keys``, as a coroutine: ``result = await remediate_keys_async(keys, ...)``.
#[pyfunction]
#[pyo3(signature = (keys, *, region=None, client=None, client_factory=None, profile=None, endpoint_url=None, role_arn=None, max_rotation_period_days=365, evaluate_disabled_keys=true, exemptions=None, rotation_period_days=None, dry_run=true))]
#[allow(clippy::too_many_arguments)]
fn remediate_keys_async<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
    region: Option<String>,
    client: Option<&Bound<'py, PyAny>>,
    client_factory: Option<&Bound<'py, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    max_rotation_period_days: i64,
    evaluate_disabled_keys: bool,
    exemptions: Option<Vec<String>>,
    rotation_period_days: Option<i64>,
    dry_run: bool,
) -> Result<Bound<'py, PyAny>> {
    let call = RemediateKeysCall::new(
        keys,
        region,
        client,
        client_factory,
        profile,
        endpoint_url,
        role_arn,
        max_rotation_period_days,
        evaluate_disabled_keys,
        exemptions,
        rotation_period_days,
        dry_run,
    )?;
    Ok(crate::awaitable(py, move || async move {
        let report = call.run().await?;
        Python::attach(|py| to_object(py, &report))
    })?)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(remediate, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_async, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_keys, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_keys_async, m)?)?;
    Ok(())
}
