//! The one place core errors become Python exceptions.
//!
//! The exception classes are declared in Python (`kms_rotation/_errors.py`) so
//! that `InvalidInputError` can also be a `ValueError` and `FileAccessError` an
//! `OSError`; this module picks the class for each core error and fills in its
//! attributes. Every binding function returns [`Result`], so `?` works on core
//! and PyO3 errors alike.

use kms_rotation_core::{Door, Error as CoreError};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A core error or a Python exception, on its way to Python.
#[derive(Debug)]
pub(crate) enum Error {
    /// An error of `kms-rotation-core`.
    Core(CoreError),
    /// A Python exception, raised as is.
    Python(PyErr),
}

/// `Result` with this binding's [`Error`].
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl From<CoreError> for Error {
    fn from(error: CoreError) -> Self {
        Error::Core(error)
    }
}

impl From<PyErr> for Error {
    fn from(error: PyErr) -> Self {
        Error::Python(error)
    }
}

impl From<Error> for PyErr {
    fn from(error: Error) -> Self {
        match error {
            Error::Python(error) => error,
            Error::Core(error) => Python::attach(|py| {
                to_exception(py, &error)
                    .unwrap_or_else(|failure| PyRuntimeError::new_err(format!("{error} (and: {failure})")))
            }),
        }
    }
}

/// An `InvalidInputError` for an argument the core never sees (a callback
/// that is not callable, a report of the wrong type).
pub(crate) fn invalid(what: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::Core(CoreError::InvalidInput {
        what,
        value: value.into(),
        reason: reason.into(),
    })
}

/// Builds the Python exception for a core error: class by variant, message =
/// the core's text (the cause chain included), details as attributes.
fn to_exception(py: Python<'_>, error: &CoreError) -> PyResult<PyErr> {
    let attributes = PyDict::new(py);
    let class = match error {
        CoreError::InvalidInput { what, value, reason } => {
            attributes.set_item("what", what)?;
            attributes.set_item("value", value)?;
            attributes.set_item("reason", reason)?;
            "InvalidInputError"
        }
        CoreError::MalformedSnapshot {
            source_name,
            line,
            column,
            message,
        } => {
            attributes.set_item("path", source_name)?;
            attributes.set_item("line", line)?;
            attributes.set_item("column", column)?;
            attributes.set_item("reason", message)?;
            "MalformedSnapshotError"
        }
        CoreError::Api {
            operation,
            region,
            source,
        } => {
            attributes.set_item("code", &source.code)?;
            attributes.set_item("aws_message", &source.message)?;
            attributes.set_item("operation", operation)?;
            attributes.set_item("region", region)?;
            attributes.set_item("retryable", source.retryable)?;
            "ApiError"
        }
        CoreError::Configuration(_) => "ConfigurationError",
        CoreError::Io { path, source } => {
            attributes.set_item("path", path.display().to_string())?;
            attributes.set_item("filename", path.display().to_string())?;
            attributes.set_item("errno", source.raw_os_error())?;
            "FileAccessError"
        }
        _ => "KmsRotationError",
    };
    let class = py.import("kms_rotation._errors")?.getattr(class)?;
    // The core names options its own way; say them as keyword arguments.
    let exception = class.call1((error.message_for(Door::Python),))?;
    for (name, value) in attributes.iter() {
        exception.setattr(name.cast_into::<pyo3::types::PyString>()?, value)?;
    }
    Ok(PyErr::from_value(exception))
}
