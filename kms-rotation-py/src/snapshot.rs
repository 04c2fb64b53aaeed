//! `Snapshot` (an account's KMS facts in memory, usable as `client=`),
//! `load_snapshot`, and `SnapshotTransport`: one region of a snapshot
//! answering in the KMS API's JSON, the native half of
//! `kms_rotation.testing.SnapshotKms`.

use std::path::PathBuf;

use kms_rotation_core::JsonTransport;
use kms_rotation_core::{
    Operation, Snapshot as CoreSnapshot, SnapshotTransport as CoreSnapshotTransport, TransportError,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Value, json};

use crate::error::{Result, invalid};
use crate::json::{from_py, to_py};

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
    /// Parses snapshot JSON text. A key entry that cannot be read becomes an
    /// ``ERROR`` finding naming the field; ``strict=True`` refuses the text instead.
    #[staticmethod]
    #[pyo3(signature = (text, *, strict = false))]
    fn from_json(text: &str, strict: bool) -> Result<Self> {
        let inner = if strict {
            CoreSnapshot::from_json_strict(text)?
        } else {
            CoreSnapshot::from_json(text)?
        };
        Ok(Self { inner })
    }

    /// Reads a snapshot file, as ``from_json`` reads text.
    #[staticmethod]
    #[pyo3(signature = (path, *, strict = false))]
    fn load(path: PathBuf, strict: bool) -> Result<Self> {
        let inner = if strict {
            CoreSnapshot::load_strict(path)?
        } else {
            CoreSnapshot::load(path)?
        };
        Ok(Self { inner })
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

    /// One region as a transport answering in the KMS API's JSON (what
    /// ``kms_rotation.testing.SnapshotKms`` calls).
    ///
    /// Raises:
    ///     ConfigurationError: the snapshot has no such region.
    fn transport(&self, region: &str) -> Result<SnapshotTransport> {
        Ok(SnapshotTransport(self.inner.transport(region)?))
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
/// region in the file, and ``regions`` default to the file's. A key entry
/// that cannot be read becomes an ``ERROR`` finding naming the field;
/// ``strict=True`` refuses the file instead.
///
/// Raises:
///     FileAccessError: the file cannot be read.
///     MalformedSnapshotError: the text is not a snapshot (line and column given).
///     InvalidInputError: with ``strict=True``, a key entry that cannot be read.
#[pyfunction]
#[pyo3(signature = (path, *, strict = false))]
fn load_snapshot(path: PathBuf, strict: bool) -> Result<Snapshot> {
    Snapshot::load(path, strict)
}

/// Reads a CloudSploit collection (the file ``cloudsploit --collection FILE``
/// writes): its ``kms.listKeys``, ``kms.listAliases``, ``kms.describeKey`` and
/// ``kms.getKeyRotationStatus`` answers and recorded errors, as a ``Snapshot``
/// to pass as ``client=``, so CloudSploit's facts are judged by these rules
/// without calling AWS again.
///
/// Raises:
///     FileAccessError: the file cannot be read.
///     MalformedSnapshotError: the text is not a CloudSploit collection of an AWS account.
#[pyfunction]
#[pyo3(signature = (path,))]
fn load_cloudsploit_collection(path: PathBuf) -> Result<Snapshot> {
    Ok(Snapshot {
        inner: CoreSnapshot::load_cloudsploit_collection(path)?,
    })
}

/// One region of a ``Snapshot`` answering KMS API requests in the API's own
/// JSON: the native half of ``kms_rotation.testing.SnapshotKms``.
#[pyclass(frozen, module = "kms_rotation")]
pub(crate) struct SnapshotTransport(pub(crate) CoreSnapshotTransport);

/// An error as botocore's `ClientError.response` holds it.
fn error_response(error: TransportError) -> Value {
    let mut response = json!({"Error": {"Code": error.code.unwrap_or_default(), "Message": error.message}});
    if let Some(status) = error.http_status {
        response["ResponseMetadata"] = json!({"HTTPStatusCode": status});
    }
    response
}

#[pymethods]
impl SnapshotTransport {
    /// The region served.
    #[getter]
    fn region(&self) -> &str {
        self.0.region()
    }

    /// Answers one request: ``(response, None)``, or ``(None, error)`` with
    /// ``error`` shaped like botocore's ``ClientError.response``.
    ///
    /// Args:
    ///     operation: the API's name for it, e.g. ``"DescribeKey"``.
    ///     request: the request members, e.g. ``{"KeyId": "alias/app"}``.
    ///
    /// Raises:
    ///     InvalidInputError: an operation the snapshot does not serve.
    fn invoke<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        request: &Bound<'py, PyDict>,
    ) -> Result<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let Some(op) = Operation::from_name(operation) else {
            return Err(invalid(
                "operation",
                operation,
                "not a KMS operation the snapshot serves",
            ));
        };
        let request = from_py(request.as_any(), false)?;
        let transport = self.0.clone();
        let answer = py.detach(|| crate::runtime().block_on(async move { transport.invoke(op, request).await }));
        Ok(match answer {
            Ok(response) => (to_py(py, &response)?, py.None().into_bound(py)),
            Err(error) => (py.None().into_bound(py), to_py(py, &error_response(error))?),
        })
    }

    fn __repr__(&self) -> String {
        format!("SnapshotTransport(region='{}')", self.0.region())
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Snapshot>()?;
    m.add_class::<SnapshotTransport>()?;
    m.add_function(wrap_pyfunction!(load_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(load_cloudsploit_collection, m)?)?;
    Ok(())
}
