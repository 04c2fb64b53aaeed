//! `Snapshot` (an account's KMS facts in memory, usable as `client=`),
//! `load_snapshot`, and `collect` / `collect_async`.

use std::path::PathBuf;

use kms_rotation_core::{Snapshot as CoreSnapshot, collect as core_collect};
use pyo3::prelude::*;

use crate::error::Result;
use crate::options::{self, Regions};
use crate::progress::Progress;
use crate::source::{Needs, Source, SourceArgs};

/// An account's KMS facts (keys, rotation status, aliases, tags, replayed
/// errors) held in memory, in the snapshot file format. Pass it as
/// ``client=`` to check, remediate or collect offline; it serves every region
/// it holds, and changes made by a non-dry-run remediation stay in memory.
#[pyclass(frozen, module = "kms_rotation")]
pub(crate) struct Snapshot {
    pub(crate) inner: CoreSnapshot,
}

#[pymethods]
impl Snapshot {
    /// Parses snapshot JSON text.
    #[staticmethod]
    fn from_json(text: &str) -> Result<Self> {
        Ok(Self {
            inner: CoreSnapshot::from_json(text)?,
        })
    }

    /// Reads a snapshot file.
    #[staticmethod]
    fn load(path: PathBuf) -> Result<Self> {
        Ok(Self {
            inner: CoreSnapshot::load(path)?,
        })
    }

    /// The regions in the snapshot, sorted.
    #[getter]
    fn regions(&self) -> Vec<String> {
        self.inner.regions()
    }

    /// The account id, when the snapshot names one.
    #[getter]
    fn account_id(&self) -> Option<String> {
        self.inner.account_id()
    }

    /// The snapshot as JSON text (the snapshot file format).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Writes the snapshot file.
    fn save(&self, path: PathBuf) -> Result<()> {
        Ok(self.inner.save(path)?)
    }

    fn __repr__(&self) -> String {
        let regions: Vec<String> = self.inner.regions().iter().map(|r| format!("'{r}'")).collect();
        format!(
            "Snapshot(account_id={}, regions=[{}])",
            self.inner
                .account_id()
                .map_or_else(|| "None".to_owned(), |a| format!("'{a}'")),
            regions.join(", ")
        )
    }
}

/// Reads a snapshot file (``collect`` writes them; ``aws kms describe-key``
/// output can be pasted in). Pass the result as ``client=``: it serves every
/// region in the file, and ``regions`` default to the file's.
///
/// Raises:
///     FileAccessError: the file cannot be read.
///     MalformedSnapshotError: the text is not a snapshot (line and column given).
#[pyfunction]
fn load_snapshot(path: PathBuf) -> Result<Snapshot> {
    Snapshot::load(path)
}

/// Validated arguments of `collect`, ready to run.
struct CollectCall {
    path: PathBuf,
    source: Source,
    regions: Regions,
    options: kms_rotation_core::CheckOptions,
    progress: Option<std::sync::Arc<Progress>>,
}

impl CollectCall {
    #[allow(clippy::too_many_arguments)]
    fn new(
        path: PathBuf,
        regions: Option<&Bound<'_, PyAny>>,
        client: Option<&Bound<'_, PyAny>>,
        client_factory: Option<&Bound<'_, PyAny>>,
        profile: Option<String>,
        endpoint_url: Option<String>,
        role_arn: Option<String>,
        exemptions: Option<Vec<String>>,
        max_requests_per_second: Option<f64>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let policy = options::policy(365, true, exemptions)?;
        let mut options = options::check_options(policy, max_requests_per_second)?;
        let needs = Needs(options.operations());
        let regions = Regions::from_arg(regions)?;
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
            path,
            source,
            regions,
            options,
            progress,
        })
    }

    async fn run(self) -> Result<Snapshot> {
        let clients = self.source.clients(&self.regions).await?;
        let snapshot = core_collect(&clients, &self.options).await?;
        Progress::check(self.progress.as_ref())?;
        snapshot.save(&self.path)?;
        Ok(Snapshot { inner: snapshot })
    }
}

/// Reads an account's KMS facts into a snapshot file at ``path`` and returns
/// the ``Snapshot``: check it later, offline, under any policy, with the same findings.
///
/// It makes the calls a check makes, and reads the rotation status of every key
/// KMS can rotate; failed calls are recorded in the snapshot and replayed.
///
/// Args:
///     path: the file to write.
///     regions: as for ``check_account``.
///     client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
///     client_factory: ``region -> client`` for the regions ``client`` does not serve.
///     profile: the AWS profile of the built-in client (only without ``client=``).
///     endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
///     role_arn: a role the built-in client assumes first.
///     exemptions: with a ``tag:KEY=VALUE`` rule, the keys' tags are collected too.
///     max_requests_per_second: a cap on every operation's rate, per region.
///     progress: called with a ``ProgressEvent`` as the scan goes.
///
/// Raises:
///     InvalidInputError: a malformed option or region; raised before any AWS call.
///     ConfigurationError: no region or credentials, no client for a requested region.
///     FileAccessError: the file cannot be written.
#[pyfunction]
#[pyo3(signature = (path, *, regions=None, client=None, client_factory=None, profile=None, endpoint_url=None, role_arn=None, exemptions=None, max_requests_per_second=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn collect(
    py: Python<'_>,
    path: PathBuf,
    regions: Option<&Bound<'_, PyAny>>,
    client: Option<&Bound<'_, PyAny>>,
    client_factory: Option<&Bound<'_, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    exemptions: Option<Vec<String>>,
    max_requests_per_second: Option<f64>,
    progress: Option<&Bound<'_, PyAny>>,
) -> Result<Snapshot> {
    let call = CollectCall::new(
        path,
        regions,
        client,
        client_factory,
        profile,
        endpoint_url,
        role_arn,
        exemptions,
        max_requests_per_second,
        progress,
    )?;
    Ok(crate::wait(py, move || async move { Ok(call.run().await?) })?)
}

/// Like ``collect``, as a coroutine: ``snapshot = await collect_async(path, ...)``.
#[pyfunction]
#[pyo3(signature = (path, *, regions=None, client=None, client_factory=None, profile=None, endpoint_url=None, role_arn=None, exemptions=None, max_requests_per_second=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn collect_async<'py>(
    py: Python<'py>,
    path: PathBuf,
    regions: Option<&Bound<'py, PyAny>>,
    client: Option<&Bound<'py, PyAny>>,
    client_factory: Option<&Bound<'py, PyAny>>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    exemptions: Option<Vec<String>>,
    max_requests_per_second: Option<f64>,
    progress: Option<&Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyAny>> {
    let call = CollectCall::new(
        path,
        regions,
        client,
        client_factory,
        profile,
        endpoint_url,
        role_arn,
        exemptions,
        max_requests_per_second,
        progress,
    )?;
    Ok(crate::awaitable(py, move || async move {
        let snapshot = call.run().await?;
        Python::attach(|py| Ok(Py::new(py, snapshot)?.into_any()))
    })?)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Snapshot>()?;
    m.add_function(wrap_pyfunction!(load_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(collect, m)?)?;
    m.add_function(wrap_pyfunction!(collect_async, m)?)?;
    Ok(())
}
