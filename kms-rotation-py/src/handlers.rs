//! Continuous evaluation's handlers (`kms_rotation.aws_lambda` calls them):
//! the event as JSON, the boto3 `config` client as the core's
//! `JsonConfigClient`, the keyword arguments as the connection and options of
//! every other function; the core's `handlers` judge, remediate and write.
//! The result is the invocation's summary; a key that could not be judged,
//! or an evaluation Config kept refusing, raises `ApiError` with the AWS code.

use std::time::Duration;

use kms_rotation_core::continuous::client::JsonConfigClient;
use kms_rotation_core::handlers::{self, HandlerOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::error::{Result, invalid};
use crate::json::{from_py, to_py};
use crate::options::Options;
use crate::org_transport::PyOrganizationTransport;
use crate::transport::PyTransport;

/// The event as JSON: a dict as Lambda passes it, or its JSON text.
fn event_json(event: &Bound<'_, PyAny>) -> Result<Value> {
    if let Ok(text) = event.extract::<String>() {
        return serde_json::from_str(&text).map_err(|e| {
            invalid(
                "event",
                text.chars().take(80).collect::<String>(),
                format!("not JSON: {e}"),
            )
        });
    }
    Ok(from_py(event, true)?)
}

/// The handler options of a call: the keyword arguments' check and
/// remediation options, the function's account and the time it has left
/// (the Config rule's policy is its event's).
fn handler_options(
    options: &Options<'_>,
    function_arn: Option<&str>,
    time_left_ms: Option<u64>,
) -> Result<HandlerOptions> {
    let (check, _) = options.check_options()?;
    let mut handler = HandlerOptions::default()
        .with_check(check)
        .with_remediation(options.remediation()?);
    if let Some(arn) = function_arn {
        handler = handler.with_function_arn(arn);
    }
    if let Some(ms) = time_left_ms {
        handler = handler.with_time_left(Duration::from_millis(ms));
    }
    Ok(handler)
}

/// The EventBridge handler's rule parameters: given (a dict or JSON text), else
/// `KMS_ROTATION_RULE_PARAMETERS`.
fn with_rule_parameters(handler: HandlerOptions, rule_parameters: Option<&Bound<'_, PyAny>>) -> Result<HandlerOptions> {
    Ok(match rule_parameters {
        None => handler.with_rule_parameters_from_env()?,
        Some(given) => match given.extract::<String>() {
            Ok(text) => handler.with_rule_parameters_json(&text)?,
            Err(_) => handler.with_rule_parameters(&from_py(given, true)?)?,
        },
    })
}

/// An invocation's summary, or its error: the handler delivered the findings
/// (to Security Hub) before a failure ends the invocation.
fn summary(invocation: kms_rotation_core::Result<handlers::Invocation>) -> PyResult<Value> {
    let invocation = invocation
        .and_then(handlers::Invocation::into_result)
        .map_err(crate::error::Error::from)?;
    Ok(invocation.summary())
}

/// The Config custom rule's handler (see `kms_rotation.aws_lambda.config_rule_handler`).
#[pyfunction]
#[pyo3(signature = (event, config_client, function_arn, time_left_ms, options))]
fn config_rule_handler(
    py: Python<'_>,
    event: &Bound<'_, PyAny>,
    config_client: &Bound<'_, PyAny>,
    function_arn: Option<String>,
    time_left_ms: Option<u64>,
    options: &Bound<'_, PyDict>,
) -> PyResult<Py<PyAny>> {
    let event = event_json(event)?;
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let handler = handler_options(&options, function_arn.as_deref(), time_left_ms)?;
    let region = PyTransport::region_of(config_client).ok_or_else(|| {
        invalid(
            "config_client",
            "(no region)",
            "the Config client does not say its region: make it with region_name=",
        )
    })?;
    let config = JsonConfigClient::new(PyTransport::new(config_client), &region).map_err(crate::error::Error::from)?;
    let summary = crate::wait(py, move || async move {
        summary(handlers::config_rule_handler(&connection, &config, &event, &handler).await)
    })?;
    Ok(to_py(py, &summary)?.unbind())
}

/// The EventBridge handler's way into other accounts: the role named (else
/// `KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME`), assumed with `service_client_factory`'s clients.
fn with_other_accounts(
    handler: HandlerOptions,
    role_name: Option<&str>,
    service_client_factory: Option<&Bound<'_, PyAny>>,
) -> Result<HandlerOptions> {
    let mut handler = handler.with_cross_account_role_name_or_env(role_name)?;
    if let Some(factory) = service_client_factory {
        if !factory.is_callable() {
            return Err(invalid(
                "service_client_factory",
                factory.repr()?.to_string(),
                "must be callable",
            ));
        }
        handler = handler.with_organization_transport(PyOrganizationTransport::new(factory));
    }
    Ok(handler)
}

/// The EventBridge rule's handler (see `kms_rotation.aws_lambda.event_handler`).
#[pyfunction]
#[pyo3(signature = (event, function_arn, time_left_ms, rule_parameters, options, cross_account_role_name=None, service_client_factory=None))]
#[allow(clippy::too_many_arguments)]
fn event_handler(
    py: Python<'_>,
    event: &Bound<'_, PyAny>,
    function_arn: Option<String>,
    time_left_ms: Option<u64>,
    rule_parameters: Option<&Bound<'_, PyAny>>,
    options: &Bound<'_, PyDict>,
    cross_account_role_name: Option<String>,
    service_client_factory: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let event = event_json(event)?;
    let options = Options::parse(options)?;
    let connection = options.connection()?;
    let handler = with_other_accounts(
        with_rule_parameters(
            handler_options(&options, function_arn.as_deref(), time_left_ms)?,
            rule_parameters,
        )?,
        cross_account_role_name.as_deref(),
        service_client_factory,
    )?;
    let summary = crate::wait(py, move || async move {
        summary(handlers::event_handler(&connection, &event, &handler).await)
    })?;
    Ok(to_py(py, &summary)?.unbind())
}

/// Whether ``KMS_ROTATION_TO_SECURITY_HUB`` asks for the findings in Security Hub
/// (``true`` or ``false``; unset or empty: ``false``), as the core reads it.
///
/// Raises:
///     InvalidInputError: any other value, naming the variable and the value.
#[pyfunction]
fn to_security_hub_from_env() -> PyResult<bool> {
    Ok(handlers::to_security_hub_from_env().map_err(crate::error::Error::from)?)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(config_rule_handler, m)?)?;
    m.add_function(wrap_pyfunction!(event_handler, m)?)?;
    m.add_function(wrap_pyfunction!(to_security_hub_from_env, m)?)?;
    m.add("RULE_PARAMETERS_ENV", handlers::RULE_PARAMETERS_ENV)?;
    m.add("TO_SECURITY_HUB_ENV", handlers::TO_SECURITY_HUB_ENV)?;
    m.add("CROSS_ACCOUNT_ROLE_ENV", handlers::CROSS_ACCOUNT_ROLE_ENV)?;
    m.add(
        "EVENT_PATTERN",
        to_py(m.py(), &kms_rotation_core::continuous::events::event_pattern())?,
    )?;
    Ok(())
}
