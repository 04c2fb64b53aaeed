//! Where the KMS clients come from: `client=` (a snapshot or a boto3-shaped
//! object), `client_factory=`, or else the built-in AWS SDK client configured
//! by `profile=`, `endpoint_url=`, `role_arn=` and the regions.

use std::sync::Arc;

use kms_rotation_core::aws::{self, AwsOptions, AwsSession};
use kms_rotation_core::{Clients, Error as CoreError, KeyRef, KmsClient, Snapshot as CoreSnapshot};
use pyo3::prelude::*;

use crate::client::PythonClient;
use crate::error::{Error, Result, configuration, invalid};
use crate::options::Regions;
use crate::snapshot::Snapshot;

/// botocore's default connection pool size per client.
const BOTOCORE_MAX_POOL_CONNECTIONS: usize = 10;

/// Which client methods a call will use: the core's operations for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Needs(pub(crate) Vec<kms_rotation_core::Operation>);

impl Needs {
    fn methods(&self) -> Vec<&'static str> {
        self.0.iter().map(|op| crate::client::method_name(*op)).collect()
    }
}

/// The keyword arguments that choose the clients, as given.
pub(crate) struct SourceArgs<'a, 'py> {
    pub(crate) client: Option<&'a Bound<'py, PyAny>>,
    pub(crate) client_factory: Option<&'a Bound<'py, PyAny>>,
    pub(crate) profile: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) role_arn: Option<String>,
}

/// The clients' origin, validated (everything here is checked before any call).
pub(crate) enum Source {
    /// A loaded snapshot: serves every region in it.
    Snapshot(CoreSnapshot),
    /// Python objects: one client for its region, and/or a factory for any region.
    Python {
        client: Option<(Py<PyAny>, Option<String>)>,
        factory: Option<Arc<Py<PyAny>>>,
        methods: Vec<&'static str>,
    },
    /// The AWS SDK for Rust, with these options (regions not yet applied).
    Aws(Box<AwsOptions>),
}

impl Source {
    /// Validates the arguments: conflicting sources, client objects missing a
    /// method, a factory that is not callable, a malformed endpoint or role ARN.
    pub(crate) fn from_args(args: SourceArgs<'_, '_>, needs: Needs) -> Result<Self> {
        let client = args.client.filter(|c| !c.is_none());
        let factory = args.client_factory.filter(|f| !f.is_none());
        if client.is_some() || factory.is_some() {
            let aws_option = [
                ("profile", &args.profile),
                ("endpoint_url", &args.endpoint_url),
                ("role_arn", &args.role_arn),
            ]
            .into_iter()
            .find(|(_, value)| value.is_some());
            if let Some((name, value)) = aws_option {
                return Err(invalid(
                    name,
                    value.clone().unwrap_or_default(),
                    "it configures the built-in AWS client, so it cannot be combined with client= or client_factory=",
                ));
            }
        }
        if let Some(snapshot) = client.and_then(|c| c.cast::<Snapshot>().ok()) {
            if factory.is_some() {
                return Err(invalid(
                    "client_factory",
                    "<callable>",
                    "a snapshot serves every region it holds; do not combine it with client_factory=",
                ));
            }
            return Ok(Source::Snapshot(snapshot.get().inner.clone()));
        }
        if client.is_some() || factory.is_some() {
            let methods = needs.methods();
            let client = match client {
                Some(object) => {
                    crate::client::check_methods(object, &methods)?;
                    Some((object.clone().unbind(), PythonClient::region_of(object)))
                }
                None => None,
            };
            let factory = crate::options::callable("client_factory", factory)?.map(Arc::new);
            return Ok(Source::Python {
                client,
                factory,
                methods,
            });
        }
        let mut options = AwsOptions::default();
        if let Some(profile) = args.profile {
            options = options.with_profile(profile);
        }
        if let Some(url) = args.endpoint_url {
            options = options.with_endpoint_url(url)?;
        }
        if let Some(role_arn) = args.role_arn {
            options = options.with_role(&role_arn, None, None)?;
        }
        Ok(Source::Aws(Box::new(options)))
    }

    /// The region of the one client given, if it is known (a boto3 client's
    /// `meta.region_name`, or the only region of a snapshot).
    pub(crate) fn single_region(&self) -> Option<String> {
        match self {
            Source::Snapshot(snapshot) => match snapshot.regions().as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            },
            Source::Python {
                client: Some((_, region)),
                ..
            } => region.clone(),
            _ => None,
        }
    }

    /// How many keys to work on at once per region: for Python clients, no more
    /// than a boto3 client's connection pool holds (`meta.config.max_pool_connections`,
    /// botocore's default 10), else urllib3 discards connections and warns;
    /// `None` (the core's default) for the other sources.
    pub(crate) fn max_in_flight(&self) -> Option<usize> {
        let Source::Python { client, .. } = self else {
            return None;
        };
        let pool = client.as_ref().and_then(|(object, _)| {
            Python::attach(|py| {
                let config = object
                    .bind(py)
                    .getattr_opt("meta")
                    .ok()??
                    .getattr_opt("config")
                    .ok()??;
                config
                    .getattr_opt("max_pool_connections")
                    .ok()??
                    .extract::<usize>()
                    .ok()
            })
        });
        Some(pool.unwrap_or(BOTOCORE_MAX_POOL_CONNECTIONS).max(1))
    }

    /// The regions to scan when `regions=` narrows the clients' own; `None`
    /// when the clients themselves are the selection (snapshot, AWS).
    ///
    /// # Errors
    /// `InvalidInputError` for `"all"` with Python clients;
    /// `ConfigurationError` when Python clients give no way to tell the region.
    pub(crate) fn scan_regions(&self, regions: &Regions) -> Result<Option<Vec<String>>> {
        match (self, regions) {
            (Source::Aws(_), _) | (Source::Snapshot(_), Regions::Default | Regions::All) => Ok(None),
            (_, Regions::List(list)) => Ok(Some(list.clone())),
            (Source::Python { .. }, Regions::All) => Err(invalid(
                "regions",
                "all",
                "discovering the enabled regions needs the built-in AWS client; \
                 with client= or client_factory=, name the regions",
            )),
            (Source::Python { .. }, Regions::Default) => match self.single_region() {
                Some(region) => Ok(Some(vec![region])),
                None => Err(configuration(
                    "cannot tell which region to check: the client has no meta.region_name; pass regions=[...]",
                )),
            },
        }
    }

    /// The clients (connecting to AWS for the SDK source).
    ///
    /// `regions` selects the AWS regions; for Python clients, a client object
    /// whose region is unknown serves `regions` when that is a single region.
    pub(crate) async fn clients(self, regions: &Regions) -> Result<Clients> {
        match self {
            Source::Snapshot(snapshot) => Ok(snapshot.clients()),
            Source::Python {
                client,
                factory,
                methods,
            } => python_clients(client, factory, methods, regions),
            Source::Aws(options) => {
                let options = match regions {
                    Regions::Default => *options,
                    Regions::All => options.with_all_regions(),
                    Regions::List(list) => options.with_regions(list.iter().cloned())?,
                };
                Ok(aws::clients(&options).await?)
            }
        }
    }

    /// The client for one key: `region=`, else the key ARN's region, else the
    /// client's own region (for the AWS SDK: the configured region).
    pub(crate) async fn key_client(self, key: &str, region: Option<String>) -> Result<Arc<dyn KmsClient>> {
        // A malformed key fails here, before any connection is made.
        let key_region = key.parse::<KeyRef>()?.region().map(str::to_owned);
        let region = region.or(key_region).or_else(|| self.single_region());
        match self {
            Source::Aws(options) => {
                let options = match &region {
                    Some(region) => options.with_regions([region.as_str()])?,
                    None => *options,
                };
                let session = AwsSession::connect(&options).await?;
                let region = region.unwrap_or_else(|| session.home_region().to_owned());
                Ok(Arc::new(session.client(&region)?))
            }
            source => {
                let Some(region) = region else {
                    return Err(configuration(
                        "cannot tell which region the key is in: pass region= or a key ARN",
                    ));
                };
                let list = Regions::List(vec![region.clone()]);
                Ok(source.clients(&list).await?.get(&region)?)
            }
        }
    }

    /// Clients for remediation: every region the report scanned, plus any other
    /// region on demand (a replica's primary).
    pub(crate) async fn remediation_clients(self, report_regions: Vec<String>) -> Result<Clients> {
        let regions = if report_regions.is_empty() {
            Regions::Default
        } else {
            Regions::List(report_regions)
        };
        self.clients(&regions).await
    }

    /// Checks the region names given with `region=` before any call.
    pub(crate) fn check_region(region: Option<&str>) -> Result<()> {
        if let Some(region) = region {
            kms_rotation_core::check_region(region)?;
        }
        Ok(())
    }
}

fn python_clients(
    client: Option<(Py<PyAny>, Option<String>)>,
    factory: Option<Arc<Py<PyAny>>>,
    methods: Vec<&'static str>,
    regions: &Regions,
) -> Result<Clients> {
    let mut clients = Clients::new();
    if let Some((object, region)) = client {
        let region = match (region, regions) {
            (Some(region), _) => region,
            (None, Regions::List(list)) if list.len() == 1 => list[0].clone(),
            (None, _) => {
                return Err(configuration(
                    "cannot tell which region the client serves (it has no meta.region_name): \
                     pass exactly one region, or client_factory= for several",
                ));
            }
        };
        let client = Python::attach(|py| PythonClient::new(object.bind(py), region, &methods))?;
        clients = clients.with_client(Arc::new(client));
    }
    if let Some(factory) = factory {
        clients = clients.with_factory(move |region| {
            Python::attach(|py| {
                let object = factory
                    .call1(py, (region,))
                    .map_err(|error| CoreError::Configuration(format!("client_factory({region:?}) raised {error}")))?;
                let client =
                    PythonClient::new(object.bind(py), region.to_owned(), &methods).map_err(|error| match error {
                        Error::Core(error) => error,
                        Error::Python(error) => {
                            CoreError::Configuration(format!("client_factory({region:?}) gave a bad client: {error}"))
                        }
                    })?;
                Ok(Arc::new(client) as Arc<dyn KmsClient>)
            })
        });
    }
    Ok(clients)
}
