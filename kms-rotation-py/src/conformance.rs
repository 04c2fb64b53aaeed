//! The core's conformance suite, run against [`PyTransport`]: each region's
//! snapshot transport goes to Python, which wraps it in a boto3-shaped fake;
//! the engine then reaches the snapshot through Python and back.

use kms_rotation_core::Error as CoreError;
use kms_rotation_core::conformance::{self, CaseOutcome, TransportBackend};
use pyo3::prelude::*;

use crate::snapshot::SnapshotTransport;
use crate::transport::PyTransport;

/// Runs every case of the core's conformance suite (``CONFORMANCE_CASES``)
/// with ``wrap(transport)`` as each region's KMS client, where ``transport``
/// is a ``SnapshotTransport``; returns ``(case, outcome, detail)`` per case,
/// ``outcome`` being ``"passed"``, ``"failed"`` or ``"not_applicable"``.
#[pyfunction]
fn run_conformance(py: Python<'_>, wrap: Bound<'_, PyAny>) -> PyResult<Vec<(String, String, String)>> {
    let wrap = wrap.unbind();
    let backend = TransportBackend::new("python", move |transport| {
        Python::attach(|py| {
            let client = wrap.call1(py, (SnapshotTransport(transport),))?;
            Ok(PyTransport::new(client.bind(py)))
        })
        .map_err(|error: PyErr| CoreError::Configuration(format!("wrap(transport) raised {error}")))
    });
    let results = crate::wait(py, move || async move { Ok(conformance::run(&backend).await) })?;
    Ok(results
        .into_iter()
        .map(|result| {
            let (outcome, detail) = match result.outcome {
                CaseOutcome::Passed => ("passed", String::new()),
                CaseOutcome::Failed(why) => ("failed", why),
                CaseOutcome::NotApplicable(why) => ("not_applicable", why.to_owned()),
            };
            (result.name.to_owned(), outcome.to_owned(), detail)
        })
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CONFORMANCE_CASES", conformance::CASES.to_vec())?;
    m.add_function(wrap_pyfunction!(run_conformance, m)?)
}
