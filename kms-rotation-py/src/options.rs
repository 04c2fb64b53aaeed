//! Keyword arguments into the core's options, in one place.
//!
//! Every public function hands its keyword arguments to [`Options::parse`];
//! the names are the core's ([`kms_rotation_core::OPTIONS`], snake case).
//! [`Options`] then builds the core's [`Connection`] (which validates the
//! combination: conflicts, regions, role settings), [`CheckOptions`] and
//! [`RemediateOptions`]. `None` means the core's default.

use std::sync::Arc;

use kms_rotation_core::{
    Baseline, CheckOptions, Connection, ConnectionOptions, Error as CoreError, FailOn, OrganizationOptions, Policy,
    Regions, RemediateOptions, StaticCredentials,
};
use kms_rotation_core::{JsonCloudFormationClient, SecurityHubClients, SecurityHubTarget, TransportSecurityHub};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use crate::error::{Error, Result, invalid};
use crate::org_transport::PyOrganizationTransport;
use crate::progress::Progress;
use crate::report::ReportClass as _;
use crate::snapshot::Snapshot;
use crate::transport::PyTransport;

/// The keyword arguments of a call, parsed.
#[derive(Default)]
pub(crate) struct Options<'py> {
    client: Option<Bound<'py, PyAny>>,
    client_factory: Option<Bound<'py, PyAny>>,
    service_client_factory: Option<Bound<'py, PyAny>>,
    regions: Regions,
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    credentials: Option<StaticCredentials>,
    policy: Policy,
    max_requests_per_second: Option<f64>,
    max_in_flight: Option<usize>,
    on_progress: Option<Bound<'py, PyAny>>,
    on_call: Option<Bound<'py, PyAny>>,
    remediation: RemediateOptions,
    organization: OrganizationOptions,
    /// `evidence=`: where `check_account` writes its evidence.
    evidence: Option<std::path::PathBuf>,
    baseline: Option<Baseline>,
    fail_on: FailOn,
    to_security_hub: Option<Bound<'py, PyAny>>,
    parameters: Vec<(String, String)>,
    /// `compare_live=`, `stack_name=`, `cloudformation_client=` (a boto3 `cloudformation` client).
    compare_live: bool,
    stack_name: Option<String>,
    cloudformation_client: Option<Bound<'py, PyAny>>,
    /// The interpreter the call came from (set by `parse`).
    py: Option<Python<'py>>,
}

/// Extracts a keyword argument, naming it in the `TypeError`.
fn extract<'py, T: FromPyObjectOwned<'py>>(name: &str, value: &Bound<'py, PyAny>) -> Result<T> {
    value.extract::<T>().map_err(|error| {
        let error: PyErr = error.into();
        Error::Python(PyTypeError::new_err(format!("{name}: {error}")))
    })
}

/// A number of days as the core's `u32`; a value that does not fit becomes `u32::MAX`,
/// which the core rejects, and the error then shows the value as given.
fn days(name: &str, value: &Bound<'_, PyAny>, set: impl FnOnce(u32) -> kms_rotation_core::Result<()>) -> Result<()> {
    let given: i64 = extract(name, value)?;
    set(u32::try_from(given).unwrap_or(u32::MAX)).map_err(|error| match error {
        CoreError::InvalidInput { what, reason, .. } => invalid(what, given.to_string(), reason),
        other => other.into(),
    })
}

/// Checks that a callback is callable.
fn callable<'py>(name: &'static str, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
    if value.is_callable() {
        Ok(value)
    } else {
        Err(invalid(name, value.repr()?.to_string(), "must be callable"))
    }
}

/// `regions=`: `"all"`, one region name, or names.
fn regions(value: &Bound<'_, PyAny>) -> Result<Regions> {
    let names: Vec<String> = match value.cast::<PyString>() {
        Ok(name) => vec![name.to_cow()?.into_owned()],
        Err(_) => extract("regions", value)?,
    };
    Ok(Regions::from_names(names)?)
}

/// `baseline=`: a report (``AccountReport`` / ``OrganizationReport``), its
/// ``to_dict()``, its ``to_json()`` text, or the path of a file holding it.
fn baseline(value: &Bound<'_, PyAny>) -> Result<Baseline> {
    if let Ok(report) = value.cast::<crate::report::AccountReport>() {
        return Ok(Baseline::from_json(&report.get().checked().shared().to_json())?);
    }
    if let Ok(report) = value.cast::<crate::report::OrganizationReport>() {
        return Ok(Baseline::from_json(&report.get().checked().shared().to_json())?);
    }
    if value.cast::<PyDict>().is_ok() {
        let text: String = value.py().import("json")?.call_method1("dumps", (value,))?.extract()?;
        return Ok(Baseline::from_json(&text)?);
    }
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_cow()?;
        if text.trim_start().starts_with('{') {
            return Ok(Baseline::from_json(&text)?);
        }
    }
    let path: std::path::PathBuf = extract("baseline", value)?;
    Ok(Baseline::load(path)?)
}

/// `credentials=`: a dict or an object with `access_key_id`,
/// `secret_access_key` and optionally `session_token`. Never echoed back.
fn credentials(value: &Bound<'_, PyAny>) -> Result<StaticCredentials> {
    let field = |name: &str| -> Result<Option<String>> {
        let item = match value.cast::<PyDict>() {
            Ok(dict) => dict.get_item(name)?,
            Err(_) => value.getattr_opt(name)?,
        };
        item.filter(|v| !v.is_none())
            .map(|v| extract("credentials", &v))
            .transpose()
    };
    match (field("access_key_id")?, field("secret_access_key")?) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(StaticCredentials {
            access_key_id,
            secret_access_key,
            session_token: field("session_token")?,
        }),
        _ => Err(invalid(
            "credentials",
            "<credentials>",
            "give access_key_id and secret_access_key (and session_token for temporary credentials)",
        )),
    }
}

impl<'py> Options<'py> {
    /// Reads the keyword arguments; `None` values are left to the core's defaults.
    ///
    /// # Errors
    /// `TypeError` for an unknown name or a value of the wrong type;
    /// `InvalidInputError` for a value the core rejects.
    pub(crate) fn parse(arguments: &Bound<'py, PyDict>) -> Result<Self> {
        let mut options = Options {
            py: Some(arguments.py()),
            ..Options::default()
        };
        // First: it decides whether the region names that follow are accepted (process-wide).
        if let Some(allow) = arguments.get_item("allow_unknown_regions")?.filter(|v| !v.is_none()) {
            kms_rotation_core::allow_unknown_regions(extract("allow_unknown_regions", &allow)?);
        }
        for (name, value) in arguments.iter() {
            let name: String = extract("keyword", &name)?;
            if !value.is_none() {
                options.set(&name, value)?;
            }
        }
        Ok(options)
    }

    fn set(&mut self, name: &str, value: Bound<'py, PyAny>) -> Result<()> {
        let text = |value: &Bound<'py, PyAny>| extract::<String>(name, value).map(Some);
        match name {
            "client" => self.client = Some(value),
            "client_factory" => self.client_factory = Some(callable("client_factory", value)?),
            "service_client_factory" => {
                self.service_client_factory = Some(callable("service_client_factory", value)?);
            }
            "regions" => self.regions = regions(&value)?,
            "region" => self.region = text(&value)?,
            "profile" => self.profile = text(&value)?,
            "endpoint_url" => self.endpoint_url = text(&value)?,
            "role_arn" => self.role_arn = text(&value)?,
            "external_id" => self.external_id = text(&value)?,
            "session_name" => self.session_name = text(&value)?,
            "credentials" => self.credentials = Some(credentials(&value)?),
            "allow_unknown_regions" => {} // read first, by `parse`
            "max_rotation_period_days" => days(name, &value, |days| {
                self.policy = std::mem::take(&mut self.policy).with_max_rotation_period_days(days)?;
                Ok(())
            })?,
            "evaluate_disabled_keys" => {
                self.policy = std::mem::take(&mut self.policy).with_evaluate_disabled_keys(extract(name, &value)?);
            }
            "exemptions" => {
                let rules: Vec<String> = match value.cast::<PyString>() {
                    Ok(rule) => vec![rule.to_cow()?.into_owned()],
                    Err(_) => extract(name, &value)?,
                };
                for rule in rules {
                    self.policy = std::mem::take(&mut self.policy).with_exemption(&rule)?;
                }
            }
            "rotation_history" => {
                self.policy = std::mem::take(&mut self.policy).with_rotation_history(extract(name, &value)?);
            }
            "max_days_since_rotation" => days(name, &value, |days| {
                self.policy = std::mem::take(&mut self.policy).with_max_days_since_rotation(Some(days))?;
                Ok(())
            })?,
            "accept_on_demand_rotation" => {
                self.policy = std::mem::take(&mut self.policy).with_accept_on_demand_rotation(extract(name, &value)?);
            }
            "material_expiry_warning_days" => days(name, &value, |days| {
                self.policy = std::mem::take(&mut self.policy).with_material_expiry_warning_days(days)?;
                Ok(())
            })?,
            "last_usage" => {
                self.policy = std::mem::take(&mut self.policy).with_last_usage(extract(name, &value)?);
            }
            "baseline" => self.baseline = Some(baseline(&value)?),
            "fail_on" => self.fail_on = extract::<String>(name, &value)?.parse()?,
            "rotate_on_demand" => {
                self.remediation = std::mem::take(&mut self.remediation).with_rotate_on_demand(extract(name, &value)?);
            }
            "allow_other_source" => {
                self.remediation =
                    std::mem::take(&mut self.remediation).with_allow_other_source(extract(name, &value)?);
            }
            "max_requests_per_second" => self.max_requests_per_second = Some(extract(name, &value)?),
            "max_in_flight" => self.max_in_flight = Some(extract(name, &value)?),
            "on_progress" => self.on_progress = Some(callable("on_progress", value)?),
            "on_call" => self.on_call = Some(callable("on_call", value)?),
            "rotation_period_days" => days(name, &value, |days| {
                self.remediation = std::mem::take(&mut self.remediation).with_rotation_period_days(days)?;
                Ok(())
            })?,
            "dry_run" => self.remediation = std::mem::take(&mut self.remediation).with_dry_run(extract(name, &value)?),
            "to_security_hub" => self.to_security_hub = Some(value),
            "parameters" => {
                let given: std::collections::BTreeMap<String, String> = extract(name, &value)?;
                self.parameters = given.into_iter().collect();
            }
            "organization"
            | "organizational_unit"
            | "accounts_file"
            | "role_name"
            | "include_accounts"
            | "exclude_accounts"
            | "max_accounts_in_flight"
            | "assume_role_in_caller_account"
            | "remediation_role_name" => self.set_organization(name, &value)?,
            "evidence" => self.evidence = Some(extract(name, &value)?),
            "compare_live" => self.compare_live = extract(name, &value)?,
            "stack_name" => self.stack_name = text(&value)?,
            "cloudformation_client" => self.cloudformation_client = Some(value),
            other => {
                return Err(Error::Python(PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}"
                ))));
            }
        }
        Ok(())
    }

    /// An organisation option into the core's [`OrganizationOptions`] (which checks it).
    fn set_organization(&mut self, name: &str, value: &Bound<'py, PyAny>) -> Result<()> {
        let org = std::mem::take(&mut self.organization);
        let ids = |value: &Bound<'py, PyAny>| -> Result<Vec<String>> {
            match value.cast::<PyString>() {
                Ok(id) => Ok(vec![id.to_cow()?.into_owned()]),
                Err(_) => extract(name, value),
            }
        };
        self.organization = match name {
            "organization" => org.with_organization(extract(name, value)?),
            "organizational_unit" => org.with_organizational_unit(extract::<String>(name, value)?),
            "accounts_file" => org.with_accounts_file(extract::<std::path::PathBuf>(name, value)?),
            "role_name" => org.with_role_name(extract::<String>(name, value)?),
            "include_accounts" => org.with_include_accounts(ids(value)?),
            "exclude_accounts" => org.with_exclude_accounts(ids(value)?),
            "max_accounts_in_flight" => org.with_max_accounts_in_flight(extract(name, value)?),
            "assume_role_in_caller_account" => org.with_assume_role_in_caller_account(extract(name, value)?),
            _ => org.with_remediation_role_name(extract::<String>(name, value)?),
        };
        Ok(())
    }

    /// The options of a check of declared keys: the policy and `parameters=`.
    pub(crate) fn declaration_options(&self) -> Result<kms_rotation_core::DeclarationOptions> {
        let mut options = kms_rotation_core::DeclarationOptions::default().with_policy(self.policy.clone());
        for (name, value) in &self.parameters {
            options = options.with_parameter(name, value)?;
        }
        options = options.with_compare_live(self.compare_live);
        if let Some(name) = &self.stack_name {
            options = options.with_stack_name(name.clone())?;
        }
        if let Some(client) = &self.cloudformation_client {
            let Some(region) = PyTransport::region_of(client) else {
                return Err(invalid(
                    "cloudformation_client",
                    client.repr()?.to_string(),
                    "give a boto3 CloudFormation client made for a region (boto3.client(\"cloudformation\", region_name=...))",
                ));
            };
            let client = JsonCloudFormationClient::new(PyTransport::new(client), &region)?;
            options = options.with_cloudformation_client(Arc::new(client));
        }
        Ok(options)
    }

    /// The first option given that says where live keys are read (a client,
    /// a region, AWS settings), if any.
    pub(crate) fn live_source_option(&self) -> Option<&'static str> {
        let given = [
            ("client", self.client.is_some()),
            ("client_factory", self.client_factory.is_some()),
            ("regions", self.regions != Regions::Default),
            ("region", self.region.is_some()),
            ("profile", self.profile.is_some()),
            ("endpoint_url", self.endpoint_url.is_some()),
            ("role_arn", self.role_arn.is_some()),
            ("credentials", self.credentials.is_some()),
        ];
        given.iter().find(|(_, set)| *set).map(|(name, _)| *name)
    }

    /// The region where key ids and aliases are looked up (`region=`).
    pub(crate) fn region(&self) -> Option<String> {
        self.region.clone()
    }

    /// The remediation options, with the call log.
    pub(crate) fn remediation(&self) -> Result<RemediateOptions> {
        let options = self.remediation.clone();
        Ok(match self.call_log()? {
            Some(log) => options.with_call_log(move |call| log(call)),
            None => options,
        })
    }

    /// Where API attempts go: `on_call=`, else the `kms_rotation` logger at DEBUG.
    fn call_log(&self) -> Result<Option<kms_rotation_core::CallLog>> {
        let Some(py) = self.py else {
            return Ok(None);
        };
        Ok(crate::call_log::call_log(py, self.on_call.as_ref())?)
    }

    /// The connection: a snapshot or a boto3-shaped `client=`, a
    /// `client_factory=`, an organisation's `service_client_factory=`, or the
    /// built-in AWS client and its settings. The core checks the combination.
    pub(crate) fn connection(&self) -> Result<Connection> {
        let mut options = ConnectionOptions::default().with_regions(self.regions.clone());
        type Set = fn(ConnectionOptions, String) -> ConnectionOptions;
        let settings: [(&Option<String>, Set); 5] = [
            (&self.profile, |o, v| o.with_profile(v)),
            (&self.endpoint_url, |o, v| o.with_endpoint_url(v)),
            (&self.role_arn, |o, v| o.with_role_arn(v)),
            (&self.external_id, |o, v| o.with_external_id(v)),
            (&self.session_name, |o, v| o.with_session_name(v)),
        ];
        for (value, set) in settings {
            if let Some(value) = value {
                options = set(options, value.clone());
            }
        }
        if let Some(credentials) = &self.credentials {
            options = options.with_credentials(credentials.clone());
        }
        options = options.with_organization(self.organization.clone());
        if let Some(client) = &self.client {
            options = match client.cast::<Snapshot>() {
                Ok(snapshot) => options.with_snapshot(snapshot.get().inner.clone()),
                Err(_) => options.with_transport(PyTransport::new(client), PyTransport::region_of(client)),
            };
        }
        if let Some(factory) = &self.client_factory {
            let factory = factory.clone().unbind();
            options = options.with_transport_factory(move |region| {
                Python::attach(|py| match factory.call1(py, (region,)) {
                    Ok(client) => Ok(PyTransport::new(client.bind(py))),
                    Err(error) => Err(CoreError::Configuration(format!(
                        "client_factory({region:?}) raised {error}"
                    ))),
                })
            });
        }
        if let Some(factory) = &self.service_client_factory {
            options = options.with_organization_transport(PyOrganizationTransport::new(factory));
        }
        if let Some(target) = self.security_hub()? {
            options = options.with_security_hub(target);
        }
        Ok(options.build()?)
    }

    /// `to_security_hub=`: `True` for the built-in AWS client, or a boto3
    /// `securityhub` client (its region's findings); `False` for none.
    fn security_hub(&self) -> Result<Option<SecurityHubTarget>> {
        let Some(value) = &self.to_security_hub else {
            return Ok(None);
        };
        if let Ok(flag) = value.cast::<PyBool>() {
            return Ok(flag.is_true().then_some(SecurityHubTarget::Aws));
        }
        let Some(region) = PyTransport::region_of(value) else {
            return Err(invalid(
                "to_security_hub",
                value.repr()?.to_string(),
                "give True, or a boto3 Security Hub client made for a region (boto3.client(\"securityhub\", region_name=...))",
            ));
        };
        let client = TransportSecurityHub::new(PyTransport::new(value), &region)?;
        Ok(Some(SecurityHubTarget::Clients(
            SecurityHubClients::new().with_client(Arc::new(client)),
        )))
    }

    /// The check options: the policy, the rate cap, calls in flight, and the
    /// progress callback (with the handle that reports its exception).
    pub(crate) fn check_options(&self) -> Result<(CheckOptions, Option<Arc<Progress>>)> {
        let mut check = CheckOptions::default()
            .with_policy(self.policy.clone())
            .with_fail_on(self.fail_on);
        if let Some(baseline) = &self.baseline {
            check = check.with_baseline(baseline.clone());
        }
        if let Some(rps) = self.max_requests_per_second {
            check = check.with_max_requests_per_second(rps)?;
        }
        if let Some(calls) = self.max_in_flight.or_else(|| self.connection_pool()) {
            check = check.with_max_in_flight(calls);
        }
        if let Some(log) = self.call_log()? {
            check = check.with_call_log(move |call| log(call));
        }
        if let Some(path) = &self.evidence {
            check = check.with_evidence(path.clone());
        }
        let callback = self.on_progress.as_ref().map(|c| c.clone().unbind());
        Ok(Progress::attach(callback, check))
    }

    /// For boto3-shaped clients: no more calls in flight than their connection
    /// pool (the factories' clients are not made yet: botocore's default).
    fn connection_pool(&self) -> Option<usize> {
        let client = self.client.as_ref().filter(|c| c.cast::<Snapshot>().is_err());
        let factory = self.client_factory.is_some() || self.service_client_factory.is_some();
        (client.is_some() || factory).then(|| PyTransport::connection_pool(client))
    }
}
