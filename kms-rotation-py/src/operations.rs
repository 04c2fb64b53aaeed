//! The public operations: each parses its keyword arguments ([`Options`]),
//! calls the core's [`Connection`](kms_rotation_core::Connection) and wraps the
//! result. Everything is validated before the call is made; the sync function
//! then waits with the GIL released, the `*_async` twin returns an awaitable.
//! Signatures and documentation live in `kms_rotation/__init__.py`.

use std::future::Future;
use std::path::PathBuf;

use std::sync::Arc;

use kms_rotation_core::CheckReport;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::declarations::{check_cloudformation_call, check_terraform_plan_call};
use crate::error::{Result, invalid};
use crate::options::Options;
use crate::progress::Progress;
use crate::report::{AccountReport, Finding, OrganizationReport, RemediationReport, ReportClass};
use crate::snapshot::Snapshot;

/// A validated call, ready to run.
type Call<T> = std::pin::Pin<Box<dyn Future<Output = Result<T>> + Send>>;

/// Runs `call` to completion with the GIL released.
fn now<T>(py: Python<'_>, call: Call<T>) -> PyResult<Py<PyAny>>
where
    T: Send + for<'py> IntoPyObject<'py>,
{
    crate::wait(py, move || async move { Ok(call.await?) })?.into_py_any(py)
}

/// An awaitable of `call`, driven by the shared runtime.
fn later<T>(py: Python<'_>, call: Call<T>) -> PyResult<Bound<'_, PyAny>>
where
    T: Send + 'static + for<'py> IntoPyObject<'py>,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move { Ok(call.await?) })
}

/// Declares the sync function and its `*_async` twin over one call builder.
macro_rules! operation {
    ($name:ident, $twin:ident, $build:ident($($arg:ident: $ty:ty),*)) => {
        #[pyfunction]
        fn $name(py: Python<'_>, $($arg: $ty),*) -> PyResult<Py<PyAny>> {
            now(py, $build($($arg),*)?)
        }

        #[pyfunction]
        fn $twin<'py>(py: Python<'py>, $($arg: $ty),*) -> PyResult<Bound<'py, PyAny>> {
            later(py, $build($($arg),*)?)
        }
    };
}

fn check_key_call(key: String, options: &Bound<'_, PyDict>) -> Result<Call<Finding>> {
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let (check, _) = options.check_options()?;
    let region = options.region();
    Ok(Box::pin(async move {
        let finding = connection.check_key(&key, region.as_deref(), &check).await?;
        Ok(Finding::own(finding))
    }))
}

fn check_account_call(options: &Bound<'_, PyDict>) -> Result<Call<AccountReport>> {
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let (check, progress) = options.check_options()?;
    Ok(Box::pin(async move {
        let report = connection.check_account(&check).await?;
        Progress::check(progress.as_ref())?;
        Ok(AccountReport::new(report))
    }))
}

fn check_organization_call(options: &Bound<'_, PyDict>) -> Result<Call<OrganizationReport>> {
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let (check, progress) = options.check_options()?;
    Ok(Box::pin(async move {
        let report = connection.check_organization(&check).await?;
        Progress::check(progress.as_ref())?;
        Ok(OrganizationReport::new(report))
    }))
}

fn remediate_organization_call(
    report: &Bound<'_, PyAny>,
    options: &Bound<'_, PyDict>,
) -> Result<Call<RemediationReport>> {
    let report = report_to_remediate::<OrganizationReport>(
        report,
        "pass the OrganizationReport that check_organization returned, its to_json() text or its to_dict()",
    )?;
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let remediation = options.remediation()?;
    Ok(Box::pin(async move {
        Ok(RemediationReport(
            connection.remediate_organization(&report, &remediation).await?,
        ))
    }))
}

fn collect_call(path: PathBuf, options: &Bound<'_, PyDict>) -> Result<Call<Snapshot>> {
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let (check, progress) = options.check_options()?;
    Ok(Box::pin(async move {
        let snapshot = connection.collect(&check).await?;
        Progress::check(progress.as_ref())?;
        snapshot.save(&path)?;
        Ok(Snapshot { inner: snapshot })
    }))
}

/// The report to remediate: a report object of class `C` (its report, not
/// copied), its `to_json()` text or its `to_dict()`; `expected` says what to pass.
fn report_to_remediate<C: ReportClass>(report: &Bound<'_, PyAny>, expected: &str) -> Result<Arc<C::Core>> {
    if let Ok(own) = report.cast::<C>() {
        return Ok(own.get().checked().shared());
    }
    Ok(Arc::new(C::Core::from_json(&report_text(report, expected)?)?))
}

/// A report given as its `to_json()` text or its `to_dict()`.
fn report_text(report: &Bound<'_, PyAny>, expected: &str) -> Result<String> {
    if let Ok(text) = report.cast::<PyString>() {
        Ok(text.to_cow()?.into_owned())
    } else if report.cast::<PyDict>().is_ok() {
        Ok(report
            .py()
            .import("json")?
            .call_method1("dumps", (report,))?
            .extract()?)
    } else {
        Err(invalid("report", report.repr()?.to_string(), expected))
    }
}

fn remediate_call(report: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>) -> Result<Call<RemediationReport>> {
    let report = report_to_remediate::<AccountReport>(
        report,
        "pass the AccountReport that check_account returned, its to_json() text or its to_dict()",
    )?;
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let remediation = options.remediation()?;
    Ok(Box::pin(async move {
        Ok(RemediationReport(connection.remediate(&report, &remediation).await?))
    }))
}

fn remediate_keys_call(keys: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>) -> Result<Call<RemediationReport>> {
    let keys: Vec<String> = match keys.cast::<PyString>() {
        Ok(key) => vec![key.to_cow()?.into_owned()],
        Err(_) => keys.extract()?,
    };
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let (check, _) = options.check_options()?;
    let remediation = options.remediation()?;
    let region = options.region();
    Ok(Box::pin(async move {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let report = connection
            .remediate_keys(&keys, region.as_deref(), &check, &remediation)
            .await?;
        Ok(RemediationReport(report))
    }))
}

fn verify_evidence_call(path: PathBuf) -> Result<Call<String>> {
    Ok(Box::pin(async move {
        Ok(kms_rotation_core::verify_evidence(&path).await?.to_json())
    }))
}

operation!(check_key, check_key_async, check_key_call(key: String, options: &Bound<'_, PyDict>));
operation!(check_account, check_account_async, check_account_call(options: &Bound<'_, PyDict>));
operation!(check_organization, check_organization_async, check_organization_call(options: &Bound<'_, PyDict>));
operation!(
    remediate_organization,
    remediate_organization_async,
    remediate_organization_call(report: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>)
);
operation!(collect, collect_async, collect_call(path: PathBuf, options: &Bound<'_, PyDict>));
operation!(verify_evidence, verify_evidence_async, verify_evidence_call(path: PathBuf));
operation!(remediate, remediate_async, remediate_call(report: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>));
operation!(
    remediate_keys,
    remediate_keys_async,
    remediate_keys_call(keys: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>)
);

operation!(
    check_terraform_plan,
    check_terraform_plan_async,
    check_terraform_plan_call(plan: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>)
);
operation!(
    check_cloudformation,
    check_cloudformation_async,
    check_cloudformation_call(templates: &Bound<'_, PyAny>, options: &Bound<'_, PyDict>)
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_key, m)?)?;
    m.add_function(wrap_pyfunction!(check_key_async, m)?)?;
    m.add_function(wrap_pyfunction!(check_account, m)?)?;
    m.add_function(wrap_pyfunction!(check_account_async, m)?)?;
    m.add_function(wrap_pyfunction!(check_organization, m)?)?;
    m.add_function(wrap_pyfunction!(check_organization_async, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_organization, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_organization_async, m)?)?;
    m.add_function(wrap_pyfunction!(collect, m)?)?;
    m.add_function(wrap_pyfunction!(collect_async, m)?)?;
    m.add_function(wrap_pyfunction!(remediate, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_async, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_keys, m)?)?;
    m.add_function(wrap_pyfunction!(remediate_keys_async, m)?)?;
    m.add_function(wrap_pyfunction!(verify_evidence, m)?)?;
    m.add_function(wrap_pyfunction!(verify_evidence_async, m)?)?;
    m.add_function(wrap_pyfunction!(check_terraform_plan, m)?)?;
    m.add_function(wrap_pyfunction!(check_terraform_plan_async, m)?)?;
    m.add_function(wrap_pyfunction!(check_cloudformation, m)?)?;
    m.add_function(wrap_pyfunction!(check_cloudformation_async, m)?)?;
    Ok(())
}
