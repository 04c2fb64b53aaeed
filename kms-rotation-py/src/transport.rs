//! [`PyTransport`]: a boto3-shaped Python object as the core's [`JsonTransport`].
//!
//! The core builds each request and reads each response; this only calls
//! `getattr(client, operation.snake_case_name())(**request)` on tokio's
//! blocking pool, with the GIL held only while Python runs (boto3 releases it
//! during I/O), and hands back the response as JSON or the exception as a
//! [`TransportError`]. No retries here: the core's engine retries.
//! [`on_blocking_pool`] and [`call_method`] serve the organisation transport
//! (`org_transport`) too.

use std::fmt;
use std::sync::Arc;

use kms_rotation_core::{JsonTransport, Operation, TransportError, async_trait};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::json::{from_py, to_py};

/// botocore's default connection pool size per client.
const BOTOCORE_MAX_POOL_CONNECTIONS: usize = 10;

/// A Python object shaped like `boto3.client("kms")`.
pub(crate) struct PyTransport {
    object: Arc<Py<PyAny>>,
    type_name: String,
}

impl fmt::Debug for PyTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} object>", self.type_name)
    }
}

/// `object.meta`, `object.meta.config`, ...: `None` where an attribute is missing.
fn attribute_path<'py>(object: &Bound<'py, PyAny>, path: &[&str]) -> Option<Bound<'py, PyAny>> {
    let mut value = object.clone();
    for name in path {
        value = value.getattr_opt(*name).ok().flatten().filter(|v| !v.is_none())?;
    }
    Some(value)
}

/// The name of an object's class, for messages (`KMS` for a boto3 KMS client).
pub(crate) fn type_name(object: &Bound<'_, PyAny>) -> String {
    object
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// `mapping[a][b]...` as text: `None` where an item is missing.
fn item_text(mapping: &Bound<'_, PyAny>, path: &[&str]) -> Option<String> {
    let mut value = mapping.clone();
    for name in path {
        value = value.get_item(*name).ok().filter(|v| !v.is_none())?;
    }
    value.str().ok().map(|s| s.to_string())
}

impl PyTransport {
    /// Wraps a client object.
    pub(crate) fn new(object: &Bound<'_, PyAny>) -> Self {
        Self {
            object: Arc::new(object.clone().unbind()),
            type_name: type_name(object),
        }
    }

    /// The region a boto3 client was made for (`client.meta.region_name`), if it says.
    pub(crate) fn region_of(object: &Bound<'_, PyAny>) -> Option<String> {
        attribute_path(object, &["meta", "region_name"])?
            .extract::<String>()
            .ok()
    }

    /// How many calls a boto3 client can have open at once: its connection
    /// pool (`meta.config.max_pool_connections`, botocore's default 10);
    /// more would make urllib3 discard connections and warn.
    pub(crate) fn connection_pool(object: Option<&Bound<'_, PyAny>>) -> usize {
        object
            .and_then(|o| attribute_path(o, &["meta", "config", "max_pool_connections"]))
            .and_then(|size| size.extract::<usize>().ok())
            .unwrap_or(BOTOCORE_MAX_POOL_CONNECTIONS)
            .max(1)
    }
}

/// A Python exception raised by a client call: botocore's `ClientError` (and
/// anything carrying its `response["Error"]["Code"]`) with its AWS code and
/// HTTP status; anything else named by its class and ancestors.
pub(crate) fn transport_error(py: Python<'_>, error: &PyErr) -> TransportError {
    let value = error.value(py);
    if let Some(response) = value.getattr_opt("response").ok().flatten()
        && let Some(code) = item_text(&response, &["Error", "Code"]).filter(|c| !c.is_empty())
    {
        let message = item_text(&response, &["Error", "Message"]).unwrap_or_default();
        let status = item_text(&response, &["ResponseMetadata", "HTTPStatusCode"]).and_then(|s| s.parse().ok());
        let aws = TransportError::aws(code, message);
        return match status {
            Some(status) => aws.with_http_status(status),
            None => aws,
        };
    }
    let names: Vec<String> = error
        .get_type(py)
        .mro()
        .iter()
        .filter_map(|class| class.getattr("__name__").ok()?.extract::<String>().ok())
        .collect();
    TransportError::local(names, value.str().map(|s| s.to_string()).unwrap_or_default())
}

/// Runs `call` on tokio's blocking pool with the GIL held only while it runs
/// (boto3 releases it during I/O), so no tokio worker waits on Python.
pub(crate) async fn on_blocking_pool<T, F>(call: F) -> Result<T, TransportError>
where
    T: Send + 'static,
    F: for<'py> FnOnce(Python<'py>) -> Result<T, TransportError> + Send + 'static,
{
    let joined = tokio::task::spawn_blocking(move || Python::attach(call)).await;
    joined.unwrap_or_else(|error| Err(TransportError::local(["JoinError"], error.to_string())))
}

/// `object.method(**request)`: the response as JSON (without its
/// `ResponseMetadata`), or the exception as a [`TransportError`].
pub(crate) fn call_method(
    py: Python<'_>,
    object: &Bound<'_, PyAny>,
    method: &str,
    request: &Value,
) -> Result<Value, TransportError> {
    let call = || -> PyResult<Value> {
        let arguments = to_py(py, request)?.cast_into::<PyDict>()?;
        let response = object.call_method(method, (), Some(&arguments))?;
        from_py(&response, true)
    };
    call().map_err(|error| transport_error(py, &error))
}

/// Whether `object.method` exists and is callable.
pub(crate) fn has_method(object: &Bound<'_, PyAny>, method: &str) -> bool {
    object
        .getattr_opt(method)
        .ok()
        .flatten()
        .is_some_and(|method| method.is_callable())
}

#[async_trait]
impl JsonTransport for PyTransport {
    async fn invoke(&self, operation: Operation, request: Value) -> Result<Value, TransportError> {
        let object = Arc::clone(&self.object);
        on_blocking_pool(move |py| call_method(py, object.bind(py), operation.snake_case_name(), &request)).await
    }

    fn has_operation(&self, operation: Operation) -> bool {
        Python::attach(|py| has_method(self.object.bind(py), operation.snake_case_name()))
    }

    fn method_name(&self, operation: Operation) -> String {
        operation.snake_case_name().to_owned()
    }
}
