//! `on_progress=`: the core's progress events, delivered to a Python callable.

use std::sync::{Arc, Mutex};

use kms_rotation_core::{CheckOptions, ProgressEvent as CoreEvent};
use pyo3::prelude::*;

use crate::json::spelling;

/// Something that happened during a scan, for progress bars.
///
/// `kind` is one of `"region_started"`, `"keys_listed"` (``listed`` keys
/// known so far in ``region``), `"key_evaluated"` (``evaluated`` of
/// ``listed`` findings ready in ``region``) and `"region_finished"` (with
/// ``state``: `"scanned"`, `"not_enabled"` or `"error"`); in an organisation
/// run also `"account_started"` and `"account_finished"` (``state``:
/// `"checked"`, `"skipped"` or `"error"`), and every event names its ``account_id``.
#[pyclass(frozen, get_all, module = "kms_rotation")]
#[derive(Debug, Clone)]
pub(crate) struct ProgressEvent {
    kind: &'static str,
    region: String,
    listed: Option<u64>,
    evaluated: Option<u64>,
    state: Option<String>,
    account_id: Option<String>,
}

#[pymethods]
impl ProgressEvent {
    fn __repr__(&self) -> String {
        let mut text = format!("ProgressEvent(kind='{}', region='{}'", self.kind, self.region);
        if let Some(account) = &self.account_id {
            text.push_str(&format!(", account_id='{account}'"));
        }
        if let Some(listed) = self.listed {
            text.push_str(&format!(", listed={listed}"));
        }
        if let Some(evaluated) = self.evaluated {
            text.push_str(&format!(", evaluated={evaluated}"));
        }
        if let Some(state) = &self.state {
            text.push_str(&format!(", state='{state}'"));
        }
        text.push(')');
        text
    }
}

impl From<&CoreEvent> for ProgressEvent {
    fn from(event: &CoreEvent) -> Self {
        let blank = |kind, region: &str| ProgressEvent {
            kind,
            region: region.to_owned(),
            listed: None,
            evaluated: None,
            state: None,
            account_id: None,
        };
        match event {
            CoreEvent::RegionStarted { region } => blank("region_started", region),
            CoreEvent::KeysListed { region, listed } => ProgressEvent {
                listed: Some(*listed),
                ..blank("keys_listed", region)
            },
            CoreEvent::KeyEvaluated {
                region,
                evaluated,
                listed,
            } => ProgressEvent {
                listed: Some(*listed),
                evaluated: Some(*evaluated),
                ..blank("key_evaluated", region)
            },
            CoreEvent::RegionFinished { region, state } => ProgressEvent {
                state: Some(spelling(state)),
                ..blank("region_finished", region)
            },
            CoreEvent::AccountStarted { account_id } => ProgressEvent {
                account_id: Some(account_id.clone()),
                ..blank("account_started", "")
            },
            CoreEvent::AccountFinished { account_id, state } => ProgressEvent {
                account_id: Some(account_id.clone()),
                state: Some(state.as_str().to_owned()),
                ..blank("account_finished", "")
            },
            CoreEvent::InAccount { account_id, event } => ProgressEvent {
                account_id: Some(account_id.clone()),
                ..ProgressEvent::from(event.as_ref())
            },
            // Events added to the core later reach Python by name only.
            _ => blank("other", ""),
        }
    }
}

/// Calls a Python callable for each event. The first exception it raises stops
/// further calls and is raised when the scan returns (the scan itself goes on:
/// the core has no way to abort from a callback).
#[derive(Debug)]
pub(crate) struct Progress {
    callback: Py<PyAny>,
    failure: Mutex<Option<PyErr>>,
}

impl Progress {
    /// Subscribes `callback` (if any) to `options`' events.
    pub(crate) fn attach(callback: Option<Py<PyAny>>, options: CheckOptions) -> (CheckOptions, Option<Arc<Self>>) {
        let Some(callback) = callback else {
            return (options, None);
        };
        let progress = Arc::new(Progress {
            callback,
            failure: Mutex::new(None),
        });
        let subscriber = Arc::clone(&progress);
        (
            options.with_progress(move |event| subscriber.deliver(event)),
            Some(progress),
        )
    }

    fn deliver(&self, event: &CoreEvent) {
        let mut failure = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if failure.is_some() {
            return;
        }
        Python::attach(|py| {
            if let Err(error) = self.callback.call1(py, (ProgressEvent::from(event),)) {
                *failure = Some(error);
            }
        });
    }

    /// The exception the callback raised, if any.
    pub(crate) fn check(progress: Option<&Arc<Self>>) -> PyResult<()> {
        match progress.and_then(|p| p.failure.lock().unwrap_or_else(|e| e.into_inner()).take()) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ProgressEvent>()
}
