//! `on_call=` and the `kms_rotation` logger: every API attempt the core makes
//! (operation, region, outcome, latency, attempt; never a credential), in Python.
//! The core hands each attempt over already redacted (`scrub`), as the
//! command line's log lines are.

use kms_rotation_core::{ApiCall, CallLog};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// The logger API attempts go to when no `on_call=` is given.
const LOGGER: &str = "kms_rotation";
/// `logging.DEBUG`.
const DEBUG: u8 = 10;

/// The attempt as the dict `on_call` receives and the log record's `extra`.
fn fields<'py>(py: Python<'py>, call: &ApiCall) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("operation", call.operation.as_str())?;
    dict.set_item("region", &call.region)?;
    dict.set_item("outcome", &call.outcome)?;
    dict.set_item("latency_ms", call.latency_ms)?;
    dict.set_item("attempt", call.attempt)?;
    Ok(dict)
}

/// Where a call's attempts go: `on_call`, else the `kms_rotation` logger when
/// it is enabled for DEBUG (checked once per call), else nowhere.
pub(crate) fn call_log(py: Python<'_>, on_call: Option<&Bound<'_, PyAny>>) -> PyResult<Option<CallLog>> {
    if let Some(callback) = on_call {
        let callback = callback.clone().unbind();
        return Ok(Some(Arc::new(move |call: &ApiCall| {
            Python::attach(|py| {
                let sent = fields(py, call).and_then(|dict| callback.call1(py, (dict,)));
                if let Err(error) = sent {
                    // A failing subscriber must not stop the scan; Python reports it as unraisable.
                    error.write_unraisable(py, Some(callback.bind(py)));
                }
            });
        })));
    }
    let logger = py.import("logging")?.call_method1("getLogger", (LOGGER,))?;
    if !logger.call_method1("isEnabledFor", (DEBUG,))?.is_truthy()? {
        return Ok(None);
    }
    let logger = logger.unbind();
    Ok(Some(Arc::new(move |call: &ApiCall| {
        Python::attach(|py| {
            let logged = fields(py, call).and_then(|extra| {
                let kwargs = PyDict::new(py);
                kwargs.set_item("extra", extra)?;
                logger.call_method(
                    py,
                    "debug",
                    (
                        "%s %s: %s in %d ms (attempt %d)",
                        call.operation.as_str(),
                        &call.region,
                        &call.outcome,
                        call.latency_ms,
                        call.attempt,
                    ),
                    Some(&kwargs),
                )
            });
            if let Err(error) = logged {
                error.write_unraisable(py, Some(logger.bind(py)));
            }
        });
    })))
}
