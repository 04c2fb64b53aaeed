//! [`PyOrganizationTransport`]: `service_client_factory=` as the core's
//! [`OrganizationTransport`].
//!
//! The factory is `(service, region, credentials) -> client`: `credentials`
//! is `None` for the caller's own, else a dict with boto3's keyword names
//! (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`). The
//! core asks for each client once per service, region and credentials and
//! keeps it. STS, Organizations and Account calls are `client.<snake_case_name>(**request)`
//! through the same code as [`PyTransport`]'s KMS calls (on tokio's blocking
//! pool, responses and exceptions converted alike); KMS clients are
//! [`PyTransport`]s. The core does the paging, the OU tree, `AssumeRole` and
//! its renewal.

use std::fmt;
use std::sync::Arc;

use kms_rotation_core::{
    Error as CoreError, Operation, OrganizationTransport, RoleCredentials, TransportError, async_trait,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::transport::{PyTransport, call_method, has_method, on_blocking_pool, transport_error, type_name};

/// Calls the factory for a client of `service` in `region` with `credentials`.
fn make<'py>(
    py: Python<'py>,
    factory: &Py<PyAny>,
    service: &'static str,
    region: &str,
    credentials: Option<&RoleCredentials>,
) -> PyResult<Bound<'py, PyAny>> {
    let keywords = match credentials {
        None => py.None().into_bound(py),
        Some(credentials) => {
            let keywords = PyDict::new(py);
            keywords.set_item("aws_access_key_id", &credentials.access_key_id)?;
            keywords.set_item("aws_secret_access_key", &credentials.secret_access_key)?;
            keywords.set_item("aws_session_token", &credentials.session_token)?;
            keywords.into_any()
        }
    };
    factory.bind(py).call1((service, region, keywords))
}

/// A client the factory made (the core keeps it for the run), and the call that made it, for messages.
pub(crate) struct ServiceClient {
    object: Arc<Py<PyAny>>,
    made_by: String,
}

/// The factory call, for messages; credentials are never shown.
fn factory_call(service: &str, region: &str, credentials: Option<&RoleCredentials>) -> String {
    let whose = match credentials {
        None => "None",
        Some(_) => "<credentials of the assumed role>",
    };
    format!("service_client_factory({service:?}, {region:?}, {whose})")
}

/// `service_client_factory=`: the clients of an organisation run.
pub(crate) struct PyOrganizationTransport {
    factory: Arc<Py<PyAny>>,
    name: String,
}

impl fmt::Debug for PyOrganizationTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<service_client_factory {}>", self.name)
    }
}

impl PyOrganizationTransport {
    /// Wraps a callable (checked callable by the caller).
    pub(crate) fn new(factory: &Bound<'_, PyAny>) -> Self {
        let name = factory
            .getattr_opt("__qualname__")
            .ok()
            .flatten()
            .and_then(|name| name.extract::<String>().ok())
            .unwrap_or_else(|| type_name(factory));
        Self {
            factory: Arc::new(factory.clone().unbind()),
            name,
        }
    }
}

#[async_trait]
impl OrganizationTransport for PyOrganizationTransport {
    type Kms = PyTransport;
    type Client = ServiceClient;

    async fn client(
        &self,
        service: &'static str,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> Result<ServiceClient, TransportError> {
        let factory = Arc::clone(&self.factory);
        let region = region.to_owned();
        let credentials = credentials.cloned();
        on_blocking_pool(move |py| {
            let made_by = factory_call(service, &region, credentials.as_ref());
            match make(py, &factory, service, &region, credentials.as_ref()) {
                Ok(object) => Ok(ServiceClient {
                    object: Arc::new(object.unbind()),
                    made_by,
                }),
                Err(error) => {
                    let mut failure = transport_error(py, &error);
                    failure.message = format!("{made_by} failed: {}", failure.message);
                    Err(failure)
                }
            }
        })
        .await
    }

    async fn invoke(
        &self,
        client: &ServiceClient,
        operation: Operation,
        request: Value,
    ) -> Result<Value, TransportError> {
        let object = Arc::clone(&client.object);
        let made_by = client.made_by.clone();
        on_blocking_pool(move |py| {
            let (service, method) = (operation.service().as_str(), operation.snake_case_name());
            let client = object.bind(py);
            if !has_method(client, method) {
                return Err(TransportError::local(
                    ["AttributeError"],
                    format!(
                        "{made_by} returned an object of type {} with no method {method}(); return boto3's {service:?} client or an object with its methods",
                        type_name(client)
                    ),
                ));
            }
            call_method(py, client, method, &request)
        })
        .await
    }

    fn kms_client(
        &self,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> kms_rotation_core::Result<PyTransport> {
        Python::attach(|py| match make(py, &self.factory, "kms", region, credentials) {
            Ok(made) => Ok(PyTransport::new(&made)),
            Err(error) => Err(CoreError::Configuration(format!(
                "{} raised {error}",
                factory_call("kms", region, credentials)
            ))),
        })
    }
}
