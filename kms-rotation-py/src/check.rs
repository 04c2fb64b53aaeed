//! `check_key`, `check_account` and their `*_async` twins.

use std::sync::Arc;

use kms_rotation_core::{CheckOptions, Policy, check_account as core_check_account, check_key as core_check_key};
use pyo3::prelude::*;

use crate::error::Result;
use crate::options::{self, Regions};
use crate::progress::Progress;
use crate::report::to_object;
use crate::source::{Needs, Source, SourceArgs};

/// Validated arguments of `check_key`.
struct CheckKeyCall {
    key: String,
    region: Option<String>,
    source: Source,
    policy: Policy,
}

impl CheckKeyCall {
    #[allow(clippy::too_many_arguments)]
    fn new(
        key: String,
        region: Option<String>,
        client: Option<&Bound<'_, PyAny>>,
        profile: Option<String>,
        endpoint_url: Option<String>,
        role_arn: Option<String>,
        max_rotation_period_days: i64,
        evaluate_disabled_keys: bool,
        exemptions: Option<Vec<String>>,
    ) -> Result<Self> {
        key.parse::<kms_rotation_core::KeyRef>()?;
        Source::check_region(region.as_deref())?;
        let policy = options::policy(max_rotation_period_days, evaluate_disabled_keys, exemptions)?;
        let source = Source::from_args(
            SourceArgs {
                client,
                client_factory: None,
                profile,
                endpoint_url,
                role_arn,
            },
            Needs(kms_rotation_core::check_key_operations(&policy)),
        )?;
        Ok(Self {
            key,
            region,
            source,
            policy,
        })
    }

    async fn run(self) -> Result<String> {
        let client = self.source.key_client(&self.key, self.region).await?;
        let finding = core_check_key(
            client.as_ref(),
            &self.key,
            &kms_rotation_core::CheckOptions::default().with_policy(self.policy),
        )
        .await?;
        Ok(serde_json::to_string_pretty(&finding).expect("a finding always serializes"))
    }
}

/// Checks one key and returns its ``Finding``.
///
/// Args:
///     key: a key id, key ARN, alias name (``alias/...``) or alias ARN.
///     region: the key's region. Default: the key ARN's region, else the
///         client's (a boto3 client's ``meta.region_name``, a one-region
///         snapshot), else the configured AWS region.
///     client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
///     profile: the AWS profile of the built-in client (only without ``client=``).
///     endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
///     role_arn: a role the built-in client assumes first.
///     max_rotation_period_days: the longest acceptable rotation period, 90..2560 days.
///     evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
///     exemptions: rules whose keys are ``EXEMPT``: key ids, key ARNs, ``alias/NAME``, ``tag:KEY=VALUE``.
///
/// Returns:
///     The ``Finding``. An AWS error about the key is an ``ERROR`` finding, not an exception.
///
/// Raises:
///     InvalidInputError: a malformed key, region or option, or a client without a
///         needed method; raised before any AWS call.
///     ConfigurationError: no region or credentials, no client for the key's region.
#[pyfunction]
#[pyo3(signature = (key, *, region=None, client=None, profile=None, endpoint_url=None, role_arn=None, max_rotation_period_days=365, evaluate_disabled_keys=true, exemptions=None))]
#[allow(clippy::too_many_arguments)]
fn check_key(
    py: Python<'_>,
    key: String,
    region: Option<String>,
    client: Option<&Bound<'_, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    max_rotation_period_days: i64,
    evaluate_disabled_keys: bool,
    exemptions: Option<Vec<String>>,
) -> Result<Py<PyAny>> {
    let call = CheckKeyCall::new(
        key,
        region,
        client,
        profile,
        endpoint_url,
        role_arn,
        max_rotation_period_days,
        evaluate_disabled_keys,
        exemptions,
    )?;
    let json = crate::wait(py, move || async move { Ok(call.run().await?) })?;
    Ok(to_object(py, "Finding", json)?)
}

/// Like ``check_key``, as a coroutine: ``finding = await check_key_async(key, ...)``.
#[pyfunction]
#[pyo3(signature = (key, *, region=None, client=None, profile=None, endpoint_url=None, role_arn=None, max_rotation_period_days=365, evaluate_disabled_keys=true, exemptions=None))]
#[allow(clippy::too_many_arguments)]
fn check_key_async<'py>(
    py: Python<'py>,
    key: String,
    region: Option<String>,
    client: Option<&Bound<'py, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    max_rotation_period_days: i64,
    evaluate_disabled_keys: bool,
    exemptions: Option<Vec<String>>,
) -> Result<Bound<'py, PyAny>> {
    let call = CheckKeyCall::new(
        key,
        region,
        client,
        profile,
        endpoint_url,
        role_arn,
        max_rotation_period_days,
        evaluate_disabled_keys,
        exemptions,
    )?;
    Ok(crate::awaitable(py, move || async move {
        let json = call.run().await?;
        Python::attach(|py| to_object(py, "Finding", json))
    })?)
}

/// Validated arguments of `check_account`.
struct CheckAccountCall {
    source: Source,
    regions: Regions,
    options: CheckOptions,
    progress: Option<Arc<Progress>>,
}

impl CheckAccountCall {
    #[allow(clippy::too_many_arguments)]
    fn new(
        regions: Option<&Bound<'_, PyAny>>,
        profile: Option<String>,
        endpoint_url: Option<String>,
        role_arn: Option<String>,
        client: Option<&Bound<'_, PyAny>>,
        client_factory: Option<&Bound<'_, PyAny>>,
        max_rotation_period_days: i64,
        evaluate_disabled_keys: bool,
        exemptions: Option<Vec<String>>,
        max_requests_per_second: Option<f64>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let regions = Regions::from_arg(regions)?;
        let policy = options::policy(max_rotation_period_days, evaluate_disabled_keys, exemptions)?;
        let mut options = options::check_options(policy, max_requests_per_second)?;
        let needs = Needs(options.operations());
        let source = Source::from_args(
            SourceArgs {
                client,
                client_factory,
                profile,
                endpoint_url,
                role_arn,
            },
            needs,
        )?;
        if let Some(list) = source.scan_regions(&regions)? {
            options = options.with_regions(list)?;
        }
        if let Some(calls) = source.max_in_flight() {
            options = options.with_max_in_flight(calls);
        }
        let (options, progress) = Progress::attach(options::callable("progress", progress)?, options);
        Ok(Self {
            source,
            regions,
            options,
            progress,
        })
    }

    async fn run(self) -> Result<String> {
        let clients = self.source.clients(&self.regions).await?;
        let report = core_check_account(&clients, &self.options).await?;
        Progress::check(self.progress.as_ref())?;
        Ok(report.to_json())
    }
}

/// Checks every key in the requested regions and returns the ``AccountReport``.
///
/// Every key ``ListKeys`` returns gets exactly one finding, and every requested
/// region an entry; regions are scanned in parallel, within half of each KMS
/// request quota by default.
///
/// Args:
///     regions: ``None`` (the client's region, a snapshot's regions, or the
///         configured AWS region), a list of region names, or ``"all"`` (every
///         region enabled for the account; with a snapshot, all of its regions).
///     profile: the AWS profile of the built-in client (only without ``client=``).
///     endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
///     role_arn: a role the built-in client assumes first (e.g. an audit role in another account).
///     client: a boto3 KMS client (or any object shaped like one) for its region,
///         or a ``Snapshot`` serving every region it holds.
///     client_factory: ``region -> client``, called once per region that ``client`` does not serve.
///     max_rotation_period_days: the longest acceptable rotation period, 90..2560 days.
///     evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
///     exemptions: rules whose keys are ``EXEMPT``: key ids, key ARNs, ``alias/NAME``, ``tag:KEY=VALUE``.
///     max_requests_per_second: a cap on every operation's rate, per region.
///     progress: called with a ``ProgressEvent`` as the scan goes; an exception it
///         raises stops further calls and is raised when the scan returns.
///
/// Returns:
///     The ``AccountReport``. AWS errors about keys or regions are in it, not raised.
///
/// Raises:
///     InvalidInputError: a malformed option or region, or a client without a needed
///         method; raised before any AWS call.
///     ConfigurationError: no region or credentials, no client for a requested region.
///     ApiError: discovering the enabled regions (``regions="all"``) failed.
#[pyfunction]
#[pyo3(signature = (*, regions=None, profile=None, endpoint_url=None, role_arn=None, client=None, client_factory=None, max_rotation_period_days=365, evaluate_disabled_keys=true, exemptions=None, max_requests_per_second=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn check_account(
    py: Python<'_>,
    regions: Option<&Bound<'_, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    client: Option<&Bound<'_, PyAny>>,
    client_factory: Option<&Bound<'_, PyAny>>,
    max_rotation_period_days: i64,
    evaluate_disabled_keys: bool,
    exemptions: Option<Vec<String>>,
    max_requests_per_second: Option<f64>,
    progress: Option<&Bound<'_, PyAny>>,
) -> Result<Py<PyAny>> {
    let call = CheckAccountCall::new(
        regions,
        profile,
        endpoint_url,
        role_arn,
        client,
        client_factory,
        max_rotation_period_days,
        evaluate_disabled_keys,
        exemptions,
        max_requests_per_second,
        progress,
    )?;
    let json = crate::wait(py, move || async move { Ok(call.run().await?) })?;
    Ok(to_object(py, "AccountReport", json)?)
}

/// Like ``check_account``, as a coroutine: ``report = await check_account_async(...)``.
#[pyfunction]
#[pyo3(signature = (*, regions=None, profile=None, endpoint_url=None, role_arn=None, client=None, client_factory=None, max_rotation_period_days=365, evaluate_disabled_keys=true, exemptions=None, max_requests_per_second=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn check_account_async<'py>(
    py: Python<'py>,
    regions: Option<&Bound<'py, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    client: Option<&Bound<'py, PyAny>>,
    client_factory: Option<&Bound<'py, PyAny>>,
    max_rotation_period_days: i64,
    evaluate_disabled_keys: bool,
    exemptions: Option<Vec<String>>,
    max_requests_per_second: Option<f64>,
    progress: Option<&Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyAny>> {
    let call = CheckAccountCall::new(
        regions,
        profile,
        endpoint_url,
        role_arn,
        client,
        client_factory,
        max_rotation_period_days,
        evaluate_disabled_keys,
        exemptions,
        max_requests_per_second,
        progress,
    )?;
    Ok(crate::awaitable(py, move || async move {
        let json = call.run().await?;
        Python::attach(|py| to_object(py, "AccountReport", json))
    })?)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_key, m)?)?;
    m.add_function(wrap_pyfunction!(check_key_async, m)?)?;
    m.add_function(wrap_pyfunction!(check_account, m)?)?;
    m.add_function(wrap_pyfunction!(check_account_async, m)?)?;
    Ok(())
}
