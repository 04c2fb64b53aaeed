//! [`PyOrganizationTransport`]: `service_client_factory=` as the core's
//! [`OrganizationTransport`].
//!
//! The factory is `(service, region, credentials) -> client`: `credentials`
//! is `None` for the caller's own, else a dict with boto3's keyword names
//! (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`). Each
//! client is made once per service, region and credentials and then reused.
//! STS, Organizations and Account calls are `client.<snake_case_name>(**request)`
//! through the same code as [`PyTransport`]'s KMS calls (on tokio's blocking
//! pool, responses and exceptions converted alike); KMS clients are
//! [`PyTransport`]s. The core does the paging, the OU tree, `AssumeRole` and
//! its renewal.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use kms_rotation_core::{
    Error as CoreError, OrgOperation, OrganizationTransport, RoleCredentials, TransportError, async_trait,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::transport::{PyTransport, call_method, has_method, on_blocking_pool, transport_error, type_name};

/// Whose client: the service, the region, and the access key id of its
/// credentials (`None`: the caller's own).
type ClientKey = (&'static str, String, Option<String>);

/// The factory and the clients it has made.
struct ServiceClients {
    factory: Py<PyAny>,
    made: Mutex<HashMap<ClientKey, Arc<Py<PyAny>>>>,
}

impl ServiceClients {
    /// The client of `service` in `region` with `credentials`: the factory's
    /// on first use, the same one afterwards.
    fn client(
        &self,
        py: Python<'_>,
        service: &'static str,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> PyResult<Arc<Py<PyAny>>> {
        let key = (service, region.to_owned(), credentials.map(|c| c.access_key_id.clone()));
        if let Some(made) = self.lock().get(&key) {
            return Ok(Arc::clone(made));
        }
        // Made without the lock held: another thread may hold it while it waits for the GIL.
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
        let client = self.factory.bind(py).call1((service, region, keywords))?;
        let made = Arc::new(client.unbind());
        Ok(Arc::clone(self.lock().entry(key).or_insert(made)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, Arc<Py<PyAny>>>> {
        self.made.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
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
    clients: Arc<ServiceClients>,
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
            clients: Arc::new(ServiceClients {
                factory: factory.clone().unbind(),
                made: Mutex::default(),
            }),
            name,
        }
    }
}

#[async_trait]
impl OrganizationTransport for PyOrganizationTransport {
    type Kms = PyTransport;

    async fn invoke(
        &self,
        operation: OrgOperation,
        region: &str,
        credentials: Option<&RoleCredentials>,
        request: Value,
    ) -> Result<Value, TransportError> {
        let clients = Arc::clone(&self.clients);
        let region = region.to_owned();
        let credentials = credentials.cloned();
        on_blocking_pool(move |py| {
            let (service, method) = (operation.service(), operation.snake_case_name());
            let call = || factory_call(service, &region, credentials.as_ref());
            let made = clients
                .client(py, service, &region, credentials.as_ref())
                .map_err(|error| {
                    let mut failure = transport_error(py, &error);
                    failure.message = format!("{} failed: {}", call(), failure.message);
                    failure
                })?;
            let client = made.bind(py);
            if !has_method(client, method) {
                return Err(TransportError::local(
                    ["AttributeError"],
                    format!(
                        "{} returned an object of type {} with no method {method}(); return boto3's {service:?} client or an object with its methods",
                        call(),
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
        Python::attach(|py| match self.clients.client(py, "kms", region, credentials) {
            Ok(made) => Ok(PyTransport::new(made.bind(py))),
            Err(error) => Err(CoreError::Configuration(format!(
                "{} raised {error}",
                factory_call("kms", region, credentials)
            ))),
        })
    }
}
