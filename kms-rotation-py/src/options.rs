//! Keyword arguments into the core's validated option builders.

use kms_rotation_core::{CheckOptions, Error as CoreError, Policy, RemediateOptions};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::error::{Result, invalid};

/// `regions=`: absent, `"all"`, or names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Regions {
    /// Not given: the client's region(s), or the configured one.
    Default,
    /// `"all"`: every region enabled for the account (or every region of a snapshot).
    All,
    /// These regions.
    List(Vec<String>),
}

impl Regions {
    /// Reads `regions=`: `None`, `"all"`, one region name, or an iterable of names.
    ///
    /// # Errors
    /// `InvalidInputError` for an empty list or a name not shaped like `us-east-1`
    /// (the core checks the names); `TypeError` for other types.
    pub(crate) fn from_arg(regions: Option<&Bound<'_, PyAny>>) -> Result<Self> {
        let Some(regions) = regions else {
            return Ok(Regions::Default);
        };
        if let Ok(text) = regions.cast::<PyString>() {
            let text = text.to_cow()?;
            return Ok(if text == "all" {
                Regions::All
            } else {
                Regions::List(vec![text.into_owned()])
            });
        }
        let mut names = Vec::new();
        for item in regions.try_iter()? {
            names.push(item?.extract::<String>()?);
        }
        // The core validates each name and rejects an empty list.
        CheckOptions::default().with_regions(names.iter().cloned())?;
        Ok(Regions::List(names))
    }
}

/// The policy keyword arguments shared by `check_key`, `check_account`,
/// `remediate_keys` and `collect`.
pub(crate) fn policy(
    max_rotation_period_days: i64,
    evaluate_disabled_keys: bool,
    exemptions: Option<Vec<String>>,
) -> Result<Policy> {
    let days = period(max_rotation_period_days);
    let mut policy = Policy::default()
        .with_max_rotation_period_days(days)
        .map_err(|e| with_value(e, max_rotation_period_days))?
        .with_evaluate_disabled_keys(evaluate_disabled_keys);
    for rule in exemptions.unwrap_or_default() {
        policy = policy.with_exemption(&rule)?;
    }
    Ok(policy)
}

/// The scan options: policy, regions to narrow to, rate cap.
pub(crate) fn check_options(policy: Policy, max_requests_per_second: Option<f64>) -> Result<CheckOptions> {
    let mut options = CheckOptions::default().with_policy(policy);
    if let Some(rps) = max_requests_per_second {
        options = options.with_max_requests_per_second(rps)?;
    }
    Ok(options)
}

/// The remediation options.
pub(crate) fn remediate_options(rotation_period_days: Option<i64>, dry_run: bool) -> Result<RemediateOptions> {
    let mut options = RemediateOptions::default().with_dry_run(dry_run);
    if let Some(days) = rotation_period_days {
        options = options
            .with_rotation_period_days(period(days))
            .map_err(|e| with_value(e, days))?;
    }
    Ok(options)
}

/// A number of days as the core's `u32`; values that do not fit become 0,
/// which the core rejects (the error then shows the value as given).
fn period(days: i64) -> u32 {
    u32::try_from(days).unwrap_or(0)
}

/// Puts the caller's own value back into an `InvalidInput` error.
fn with_value(error: CoreError, given: i64) -> CoreError {
    match error {
        CoreError::InvalidInput { what, reason, .. } => CoreError::InvalidInput {
            what,
            value: given.to_string(),
            reason,
        },
        other => other,
    }
}

/// Checks that a callback argument is callable.
pub(crate) fn callable(what: &'static str, value: Option<&Bound<'_, PyAny>>) -> Result<Option<Py<PyAny>>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_callable() => Ok(Some(v.clone().unbind())),
        Some(v) => Err(invalid(
            what,
            v.repr().map(|r| r.to_string()).unwrap_or_default(),
            "must be callable",
        )),
    }
}
