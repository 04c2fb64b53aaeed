//! Results into Python objects: the core's canonical JSON, handed to the
//! Python classes in `kms_rotation/_model.py`, which keep that text for
//! `to_json()` / `to_dict()` so the Python and Rust JSON cannot differ.

use pyo3::prelude::*;

/// `kms_rotation._model.<class_name>._from_json(json, *extra)`.
pub(crate) fn to_object(py: Python<'_>, class_name: &str, json: String) -> PyResult<Py<PyAny>> {
    let class = py.import("kms_rotation._model")?.getattr(class_name)?;
    Ok(class.call_method1("_from_json", (json,))?.unbind())
}

/// Reads a report's JSON with the core (validating it) and writes it back canonically.
#[pyfunction]
fn _canonical_report_json(text: &str) -> crate::error::Result<String> {
    Ok(kms_rotation_core::AccountReport::from_json(text)?.to_json())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_canonical_report_json, m)?)
}
