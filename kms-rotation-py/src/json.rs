//! JSON values and Python objects, both ways: requests become keyword
//! arguments, boto3 responses become JSON, and results' `to_dict()` is the
//! core's canonical JSON as dicts and lists.

use kms_rotation_core::Timestamp;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyTzInfo};
use serde_json::{Map, Number, Value};

/// A JSON value as Python: objects as dicts (in order), arrays as lists.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (_, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A serializable core value as Python (`to_dict()`).
pub(crate) fn to_dict<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    to_py(py, &value)
}

/// A serializable core value as the core writes it: pretty JSON.
pub(crate) fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("core values always serialize")
}

/// The JSON spelling of a core enum value (`"not_enabled"`, `"WOULD_CHANGE"`).
pub(crate) fn spelling<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        _ => String::new(),
    }
}

/// A boto3 response as JSON: dicts, lists, strings, numbers, booleans and
/// `None` as themselves; datetimes as epoch seconds; anything else as its
/// `str()`. The top level's `ResponseMetadata` (HTTP details) is left out.
pub(crate) fn from_py(value: &Bound<'_, PyAny>, top_level: bool) -> PyResult<Value> {
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.cast::<PyInt>().is_ok() {
        return Ok(match value.extract::<i64>() {
            Ok(n) => Value::Number(n.into()),
            Err(_) => Value::String(value.str()?.to_string()),
        });
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
            if !(top_level && key == "ResponseMetadata") {
                map.insert(key, from_py(&item, false)?);
            }
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = value.cast::<PyList>() {
        return list.iter().map(|item| from_py(&item, false)).collect();
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return tuple.iter().map(|item| from_py(&item, false)).collect();
    }
    // botocore parses timestamps into aware datetimes.
    if let Ok(datetime) = value.cast::<PyDateTime>() {
        let seconds: f64 = datetime.call_method0("timestamp")?.extract()?;
        return Ok(Number::from_f64(seconds).map_or(Value::Null, Value::Number));
    }
    Ok(Value::String(value.str()?.to_string()))
}

/// A timestamp as an aware `datetime` in UTC.
pub(crate) fn datetime(py: Python<'_>, timestamp: Option<Timestamp>) -> PyResult<Option<Bound<'_, PyDateTime>>> {
    let Some(timestamp) = timestamp else {
        return Ok(None);
    };
    let utc = PyTzInfo::utc(py)?;
    PyDateTime::from_timestamp(py, timestamp.epoch_seconds() as f64, Some(&*utc)).map(Some)
}
