//! A Python object shaped like a boto3 KMS client, as a [`KmsClient`].
//!
//! Each trait call is one method call on the object (`list_keys(Limit=1000,
//! Marker=...)`, `describe_key(KeyId=...)`, ...), made on tokio's blocking pool
//! with the GIL held only while Python runs (boto3 releases it during I/O).
//! The response dict is converted to JSON and read by the core's
//! [`aws_json`](kms_rotation_core::aws_json) parsers, so the KMS shapes are
//! known in one place. A botocore `ClientError` becomes an [`ApiError`] with
//! its AWS code; the core classifies and retries it. No retries here.

use std::fmt;
use std::sync::Arc;

use kms_rotation_core::aws_json;
use kms_rotation_core::{
    Alias, ApiError, ErrorKind, KeyListEntry, KeyMetadata, KmsClient, Page, RotationStatus, Tag, async_trait,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::error::{Result, invalid};

/// The boto3 method of an operation, e.g. `describe_key`.
pub(crate) fn method_name(op: kms_rotation_core::Operation) -> &'static str {
    use kms_rotation_core::Operation;
    match op {
        Operation::ListKeys => "list_keys",
        Operation::ListAliases => "list_aliases",
        Operation::DescribeKey => "describe_key",
        Operation::GetKeyRotationStatus => "get_key_rotation_status",
        Operation::EnableKeyRotation => "enable_key_rotation",
        Operation::ListResourceTags => "list_resource_tags",
    }
}

/// Page sizes: the maximum each API allows.
const LIST_KEYS_LIMIT: u32 = 1000;
const LIST_ALIASES_LIMIT: u32 = 100;
const LIST_TAGS_LIMIT: u32 = 50;

/// A boto3-shaped Python object serving one region.
pub(crate) struct PythonClient {
    object: Arc<Py<PyAny>>,
    region: String,
}

impl fmt::Debug for PythonClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonClient")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// A keyword argument of a client call.
enum Arg {
    Text(String),
    Number(u32),
}

impl PythonClient {
    /// Wraps `object` for `region` after checking it has `methods`.
    ///
    /// # Errors
    /// `InvalidInputError` naming the first missing method.
    pub(crate) fn new(object: &Bound<'_, PyAny>, region: String, methods: &[&str]) -> Result<Self> {
        check_methods(object, methods)?;
        Ok(Self {
            object: Arc::new(object.clone().unbind()),
            region,
        })
    }

    /// The region a boto3 client was made for (`client.meta.region_name`), if it says.
    pub(crate) fn region_of(object: &Bound<'_, PyAny>) -> Option<String> {
        let meta = object.getattr_opt("meta").ok().flatten()?;
        let region = meta.getattr_opt("region_name").ok().flatten()?;
        region.extract::<String>().ok().filter(|r| !r.is_empty())
    }

    /// Calls `method(**kwargs)` on the object and returns the response as JSON.
    async fn call(&self, method: &'static str, kwargs: Vec<(&'static str, Arg)>) -> Result<Value, ApiError> {
        let object = Arc::clone(&self.object);
        let joined = tokio::task::spawn_blocking(move || {
            Python::attach(|py| {
                let call = || -> PyResult<Value> {
                    let arguments = PyDict::new(py);
                    for (name, value) in kwargs {
                        match value {
                            Arg::Text(text) => arguments.set_item(name, text)?,
                            Arg::Number(number) => arguments.set_item(name, number)?,
                        }
                    }
                    let response = object.bind(py).call_method(method, (), Some(&arguments))?;
                    to_json(&response, true)
                };
                call().map_err(|error| api_error(py, method, &error))
            })
        })
        .await;
        joined.unwrap_or_else(|error| {
            Err(ApiError::with_kind(
                "BindingError",
                format!("the call to {method} did not complete: {error}"),
                ErrorKind::Other,
            ))
        })
    }
}

#[async_trait]
impl KmsClient for PythonClient {
    fn region(&self) -> &str {
        &self.region
    }

    async fn list_keys(&self, marker: Option<&str>) -> Result<Page<KeyListEntry>, ApiError> {
        let mut kwargs = vec![("Limit", Arg::Number(LIST_KEYS_LIMIT))];
        kwargs.extend(marker.map(|m| ("Marker", Arg::Text(m.to_owned()))));
        aws_json::list_keys_response(self.call("list_keys", kwargs).await?)
    }

    async fn list_aliases(&self, key_id: Option<&str>, marker: Option<&str>) -> Result<Page<Alias>, ApiError> {
        let mut kwargs = vec![("Limit", Arg::Number(LIST_ALIASES_LIMIT))];
        kwargs.extend(key_id.map(|k| ("KeyId", Arg::Text(k.to_owned()))));
        kwargs.extend(marker.map(|m| ("Marker", Arg::Text(m.to_owned()))));
        aws_json::list_aliases_response(self.call("list_aliases", kwargs).await?)
    }

    async fn describe_key(&self, key_id: &str) -> Result<KeyMetadata, ApiError> {
        let kwargs = vec![("KeyId", Arg::Text(key_id.to_owned()))];
        aws_json::describe_key_response(self.call("describe_key", kwargs).await?)
    }

    async fn get_key_rotation_status(&self, key_id: &str) -> Result<RotationStatus, ApiError> {
        let kwargs = vec![("KeyId", Arg::Text(key_id.to_owned()))];
        aws_json::rotation_status_response(self.call("get_key_rotation_status", kwargs).await?)
    }

    async fn enable_key_rotation(&self, key_id: &str, rotation_period_days: u32) -> Result<(), ApiError> {
        let kwargs = vec![
            ("KeyId", Arg::Text(key_id.to_owned())),
            ("RotationPeriodInDays", Arg::Number(rotation_period_days)),
        ];
        self.call("enable_key_rotation", kwargs).await.map(drop)
    }

    async fn list_resource_tags(&self, key_id: &str, marker: Option<&str>) -> Result<Page<Tag>, ApiError> {
        let mut kwargs = vec![
            ("KeyId", Arg::Text(key_id.to_owned())),
            ("Limit", Arg::Number(LIST_TAGS_LIMIT)),
        ];
        kwargs.extend(marker.map(|m| ("Marker", Arg::Text(m.to_owned()))));
        aws_json::list_resource_tags_response(self.call("list_resource_tags", kwargs).await?)
    }
}

/// Checks that `object` has each of `methods`, callable.
///
/// # Errors
/// `InvalidInputError` naming the first missing method.
pub(crate) fn check_methods(object: &Bound<'_, PyAny>, methods: &[&str]) -> Result<()> {
    for method in methods {
        let callable = object
            .getattr_opt(*method)?
            .is_some_and(|attribute| attribute.is_callable());
        if !callable {
            let type_name = object
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "object".to_owned());
            return Err(invalid(
                "client",
                format!("<{type_name} object>"),
                format!("it has no method {method}(); pass an object shaped like boto3.client(\"kms\")"),
            ));
        }
    }
    Ok(())
}

/// A Python exception raised by a client call, as the [`ApiError`] the core expects.
///
/// botocore's `ClientError` (and moto's, which is the same class) carries the
/// AWS error in `.response["Error"]`; anything else is named by its class, and
/// transport failures (connection errors, timeouts) are marked retryable.
fn api_error(py: Python<'_>, method: &str, error: &PyErr) -> ApiError {
    let value = error.value(py);
    let aws_error = value
        .getattr_opt("response")
        .ok()
        .flatten()
        .and_then(|response| response.get_item("Error").ok());
    if let Some(aws_error) = aws_error {
        let field = |name: &str| {
            aws_error
                .get_item(name)
                .ok()
                .filter(|v| !v.is_none())
                .and_then(|v| v.str().ok())
                .map(|s| s.to_string())
        };
        if let Some(code) = field("Code").filter(|c| !c.is_empty()) {
            return ApiError::new(code, field("Message").unwrap_or_default());
        }
    }
    let class = error
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_owned());
    let message = value.str().map(|s| s.to_string()).unwrap_or_default();
    let transport = error
        .get_type(py)
        .mro()
        .iter()
        .filter_map(|base| base.getattr("__name__").ok()?.extract::<String>().ok())
        .any(|name| matches!(name.as_str(), "ConnectionError" | "HTTPClientError" | "TimeoutError"));
    let kind = if transport {
        ErrorKind::Retryable
    } else {
        ErrorKind::Other
    };
    ApiError::with_kind(class.clone(), format!("{method}() raised {class}: {message}"), kind)
}

/// A boto3 response as JSON: dicts, lists, strings, numbers, booleans and
/// `None` as themselves; datetimes as epoch seconds; anything else as its `str()`.
/// `ResponseMetadata` (HTTP details) is left out.
fn to_json(value: &Bound<'_, PyAny>, top_level: bool) -> PyResult<Value> {
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.cast::<PyInt>().is_ok() {
        if let Ok(n) = value.extract::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        return Ok(Value::String(value.str()?.to_string()));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        return Ok(Number::from_f64(float.value()).map_or(Value::Null, Value::Number));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Value::String(text.to_cow()?.into_owned()));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let key = key.str()?.to_string();
            if top_level && key == "ResponseMetadata" {
                continue;
            }
            map.insert(key, to_json(&item, false)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = value.cast::<PyList>() {
        return list.iter().map(|item| to_json(&item, false)).collect();
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return tuple.iter().map(|item| to_json(&item, false)).collect();
    }
    // datetime.datetime (botocore parses timestamps into aware datetimes).
    if let Some(timestamp) = value.getattr_opt("timestamp")?
        && let Ok(seconds) = timestamp.call0()?.extract::<f64>()
    {
        return Ok(Number::from_f64(seconds).map_or(Value::Null, Value::Number));
    }
    Ok(Value::String(value.str()?.to_string()))
}
