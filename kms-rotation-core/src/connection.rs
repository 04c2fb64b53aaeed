//! Where clients come from, and which regions a run covers: the one
//! connection model behind the CLI, Python and Node.
//!
//! A [`Connection`] is built from [`ConnectionOptions`] (validated once, before
//! any call) and answers three questions:
//!
//! * which clients and regions a scan covers ([`Connection::scan_clients`]);
//! * which client serves a key named by id, alias or ARN ([`Connection::key_clients`]);
//! * which clients a remediation needs, including a replica's primary in
//!   another region ([`Connection::remediation_clients`]).
//!
//! The clients come from exactly one source: the AWS SDK for Rust (profile,
//! endpoint, role + external id + session name, static credentials), an
//! injected client or [`JsonTransport`] (a boto3 or SDK v3 client), a factory
//! per region, or a [`Snapshot`]. The options' names are in [`crate::OPTIONS`].

use std::fmt;
use std::sync::Arc;

use crate::api::Operation;
use crate::arn::Regions;
use crate::arn::{KeyRef, check_region};
use crate::client::json::{JsonClient, JsonTransport, missing_operation};
use crate::client::{Clients, KmsClient};
use crate::continuous::security_hub::{SecurityHubClients, SecurityHubTarget};
use crate::credentials::StaticCredentials;
use crate::error::{Error, Result};
use crate::organization::{
    AccountDirectory, AccountScope, OrganizationOptions, OrganizationTransport, TransportOrgClient,
};
use crate::report::ReportSource;
use crate::snapshot::Snapshot;

/// Makes a client for a region, having checked it offers the operations a call needs.
type MakeClient = Arc<dyn Fn(&str, &[Operation]) -> Result<Arc<dyn KmsClient>> + Send + Sync>;

/// An injected client: its own region if it says, and how to make it for a region.
#[derive(Clone)]
struct Injected {
    own_region: Option<String>,
    make: MakeClient,
}

/// The options that choose the clients and regions, as given; [`ConnectionOptions::build`] checks them.
///
/// ```
/// use kms_rotation_core::{ConnectionOptions, Regions, Snapshot};
/// let snapshot = Snapshot::load("../examples/data/demo-account.json")?;
/// let connection = ConnectionOptions::default()
///     .with_snapshot(snapshot)
///     .with_regions(Regions::from_names(["us-east-1"])?)
///     .build()?;
/// assert!(ConnectionOptions::default().with_external_id("ext-1").build().is_err()); // needs role_arn
/// # Ok::<(), kms_rotation_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct ConnectionOptions {
    regions: Regions,
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    credentials: Option<StaticCredentials>,
    client: Option<Injected>,
    factory: Option<MakeClient>,
    snapshot: Option<Snapshot>,
    organization: OrganizationOptions,
    organization_clients: Option<MakeDirectory>,
    security_hub: Option<SecurityHubTarget>,
}

/// Makes the account directory of an organisation run over your own clients, for the run's regions.
type MakeDirectory = Arc<dyn Fn(&Regions) -> Result<AccountDirectory> + Send + Sync>;

impl fmt::Debug for ConnectionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionOptions")
            .field("regions", &self.regions)
            .field("profile", &self.profile)
            .field("endpoint_url", &self.endpoint_url)
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id.as_ref().map(|_| ".."))
            .field("session_name", &self.session_name)
            .field("credentials", &self.credentials)
            .field("client", &self.client.is_some())
            .field("client_factory", &self.factory.is_some())
            .field("snapshot", &self.snapshot.is_some())
            .field("organization", &self.organization)
            .field("service_client_factory", &self.organization_clients.is_some())
            .field("to_security_hub", &self.security_hub)
            .finish()
    }
}

impl ConnectionOptions {
    /// Delivers the findings of `check_account` and `check_keys` to Security
    /// Hub (`to_security_hub`): the result is the report's `security_hub`.
    pub fn with_security_hub(mut self, target: SecurityHubTarget) -> Self {
        self.security_hub = Some(target);
        self
    }

    /// The regions to cover.
    pub fn with_regions(mut self, regions: Regions) -> Self {
        self.regions = regions;
        self
    }

    /// Lets region names this version does not know through (process-wide; see
    /// [`allow_unknown_regions`](crate::allow_unknown_regions)). Set it before
    /// naming such a region.
    pub fn with_allow_unknown_regions(self, allow: bool) -> Self {
        if allow {
            crate::arn::allow_unknown_regions(true);
        }
        self
    }

    /// The shared config/credentials profile of the built-in AWS client.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// An endpoint for every AWS call of the built-in client (an emulator, a VPC endpoint).
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// A role the built-in client assumes before calling KMS.
    pub fn with_role_arn(mut self, role_arn: impl Into<String>) -> Self {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// The external id the role's trust policy requires (needs a role ARN).
    pub fn with_external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// The session name CloudTrail records for the assumed role (needs a role ARN).
    pub fn with_session_name(mut self, session_name: impl Into<String>) -> Self {
        self.session_name = Some(session_name.into());
        self
    }

    /// Static credentials for the built-in client instead of the default chain.
    pub fn with_credentials(mut self, credentials: StaticCredentials) -> Self {
        credentials.register();
        self.credentials = Some(credentials);
        self
    }

    /// A client to call instead of the built-in AWS client; its region is its own.
    pub fn with_client(mut self, client: Arc<dyn KmsClient>) -> Self {
        let own_region = client.region().to_owned();
        let make: MakeClient = Arc::new(move |region, _| {
            if region == client.region() {
                Ok(client.clone())
            } else {
                Err(Error::Configuration(format!(
                    "no KMS client for region {region:?}: the client serves {}; add a client factory",
                    client.region()
                )))
            }
        });
        self.client = Some(Injected {
            own_region: Some(own_region),
            make,
        });
        self
    }

    /// An SDK-shaped client (a boto3 or SDK v3 client) to call instead of the
    /// built-in AWS client, with the region it says it serves, if it says.
    pub fn with_transport<T: JsonTransport>(mut self, transport: T, own_region: Option<String>) -> Self {
        let transport = Arc::new(transport);
        let make: MakeClient = Arc::new(move |region, needed| {
            missing_operation(transport.as_ref(), needed)?;
            Ok(Arc::new(JsonClient::shared(transport.clone(), region)?) as Arc<dyn KmsClient>)
        });
        self.client = Some(Injected {
            own_region: own_region.filter(|r| !r.is_empty()),
            make,
        });
        self
    }

    /// Makes the client for a region nothing else covers (a replica's primary region).
    pub fn with_client_factory(
        mut self,
        factory: impl Fn(&str) -> Result<Arc<dyn KmsClient>> + Send + Sync + 'static,
    ) -> Self {
        self.factory = Some(Arc::new(move |region, _| factory(region)));
        self
    }

    /// Makes an SDK-shaped client for a region nothing else covers.
    pub fn with_transport_factory<T: JsonTransport>(
        mut self,
        factory: impl Fn(&str) -> Result<T> + Send + Sync + 'static,
    ) -> Self {
        self.factory = Some(Arc::new(move |region, needed| {
            let transport = factory(region)?;
            missing_operation(&transport, needed)?;
            Ok(Arc::new(JsonClient::new(transport, region)?) as Arc<dyn KmsClient>)
        }));
        self
    }

    /// An offline snapshot serving every region it holds.
    pub fn with_snapshot(mut self, snapshot: Snapshot) -> Self {
        self.snapshot = Some(snapshot);
        self
    }

    /// An organisation run through your own SDK's clients instead of the
    /// built-in AWS client: `transport` calls STS, Organizations and Account
    /// and makes each account's KMS clients (Python's and Node's
    /// `service_client_factory`). STS and Organizations are called in the
    /// first region named, so `regions` must be named ("all" needs the
    /// built-in client's configured home region; an [`AccountDirectory`] over a
    /// [`TransportOrgClient`] takes one explicitly and then lists each account's regions).
    pub fn with_organization_transport<T: OrganizationTransport>(mut self, transport: T) -> Self {
        let transport = Arc::new(transport);
        self.organization_clients = Some(Arc::new(move |regions: &Regions| {
            let home = match regions {
                Regions::List(list) if !list.is_empty() => list[0].clone(),
                other => {
                    return Err(Error::invalid(
                        "regions",
                        if *other == Regions::All { "all" } else { "(none)" },
                        "an organisation run with your own clients needs the regions named (the first is where STS and Organizations are called)",
                    ));
                }
            };
            let org = TransportOrgClient::new(transport.clone(), &home)?;
            Ok(AccountDirectory::new(Arc::new(org), regions.clone()))
        }));
        self
    }

    /// Makes the run an organisation run: these accounts, through these roles
    /// (see [`Connection::check_organization`]). `external_id` and
    /// `session_name` then belong to the roles assumed in each account.
    pub fn with_organization(mut self, organization: OrganizationOptions) -> Self {
        self.organization = organization;
        self
    }

    /// Checks the options together, before any call.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the option: an AWS option (`profile`,
    /// `endpoint_url`, `role_arn`, `credentials`) combined with an injected
    /// client, factory or snapshot; `external_id` or `session_name` without
    /// `role_arn`; a snapshot with a client or factory; a malformed endpoint,
    /// role ARN, external id or session name; `regions` "all" with injected clients.
    pub fn build(mut self) -> Result<Connection> {
        let injected = self.client.is_some() || self.factory.is_some() || self.snapshot.is_some();
        if self.security_hub.is_some() && self.organization.is_given() {
            let (what, value) = self.organization.first_given();
            return Err(Error::invalid(
                what,
                value,
                "to_security_hub delivers one account's findings (Security Hub takes a finding only from its own account): deploy the check in each account, or let Security Hub's administrator account aggregate them",
            ));
        }
        if matches!(self.security_hub, Some(SecurityHubTarget::Aws)) && injected {
            return Err(Error::invalid(
                "to_security_hub",
                "true",
                "the built-in Security Hub client goes with the built-in AWS client; with `client`, client_factory or a snapshot, give a Security Hub client of your SDK",
            ));
        }
        let organization = if self.organization.is_given() {
            if let Some(role) = &self.role_arn {
                return Err(Error::invalid(
                    "role_arn",
                    role.clone(),
                    "an organisation run assumes role_name in each account; give the caller's credentials with profile or credentials",
                ));
            }
            if injected {
                let (what, value) = self.organization.first_given();
                return Err(Error::invalid(
                    what,
                    value,
                    "it is for an organisation run, which reaches each account through the built-in AWS client or service_client_factory (Organizations, STS); it cannot use `client`, client_factory or a snapshot",
                ));
            }
            // The member roles' external id and session name.
            let mut org = std::mem::take(&mut self.organization);
            if let Some(id) = self.external_id.take() {
                org = org.with_external_id(id);
            }
            if let Some(name) = self.session_name.take() {
                org = org.with_session_name(name);
            }
            let scope = org.check()?;
            Some((org, scope))
        } else {
            None
        };
        if self.organization_clients.is_some() && organization.is_none() {
            return Err(Error::invalid(
                "service_client_factory",
                "<factory>",
                "it makes the clients of an organisation run; give `organization`, organizational_unit or accounts_file too (client_factory makes the clients of one account)",
            ));
        }
        let directory = match (&self.organization_clients, &organization) {
            (Some(make), Some(_)) => Some(make(&self.regions)?),
            _ => None,
        };
        let injected = injected || directory.is_some();
        let aws_options = [
            ("profile", self.profile.clone()),
            ("endpoint_url", self.endpoint_url.clone()),
            ("role_arn", self.role_arn.clone()),
            (
                "credentials",
                self.credentials.as_ref().map(|_| "<credentials>".to_owned()),
            ),
        ];
        if injected && let Some((name, value)) = aws_options.iter().find(|(_, v)| v.is_some()) {
            return Err(Error::invalid(
                name,
                value.clone().unwrap_or_default(),
                "it configures the built-in AWS client, so it cannot be combined with `client`, client_factory, service_client_factory or a snapshot",
            ));
        }
        if self.role_arn.is_none() && organization.is_none() {
            if let Some(id) = &self.external_id {
                return Err(Error::invalid(
                    "external_id",
                    id.clone(),
                    "it needs role_arn (or role_name in an organisation run)",
                ));
            }
            if let Some(name) = &self.session_name {
                return Err(Error::invalid(
                    "session_name",
                    name.clone(),
                    "it needs role_arn (or role_name in an organisation run)",
                ));
            }
        }
        if self.snapshot.is_some() && (self.client.is_some() || self.factory.is_some()) {
            return Err(Error::invalid(
                "client",
                "<snapshot>",
                "a snapshot serves every region it holds; do not combine it with another client or a factory",
            ));
        }
        let source = if let Some(directory) = directory {
            Source::Directory(directory)
        } else if let Some(snapshot) = self.snapshot {
            Source::Snapshot(snapshot)
        } else if self.client.is_some() || self.factory.is_some() {
            if self.regions == Regions::All {
                return Err(Error::invalid(
                    "regions",
                    "all",
                    "discovering the enabled regions needs the built-in AWS client; with an injected client, name the regions",
                ));
            }
            Source::Injected {
                client: self.client,
                factory: self.factory,
            }
        } else {
            Source::Aws(Box::new(AwsSettings {
                profile: self.profile,
                endpoint_url: self.endpoint_url,
                role_arn: self.role_arn,
                external_id: self.external_id,
                session_name: self.session_name,
                credentials: self.credentials,
            }))
        };
        let connection = Connection {
            source,
            regions: self.regions,
            organization,
            security_hub: self.security_hub,
        };
        connection.check()?;
        Ok(connection)
    }
}

/// The built-in AWS client's settings, checked by [`Connection::check`].
#[derive(Clone, Debug)]
struct AwsSettings {
    profile: Option<String>,
    endpoint_url: Option<String>,
    role_arn: Option<String>,
    external_id: Option<String>,
    session_name: Option<String>,
    credentials: Option<StaticCredentials>,
}

#[derive(Clone)]
enum Source {
    Aws(Box<AwsSettings>),
    Injected {
        client: Option<Injected>,
        factory: Option<MakeClient>,
    },
    Snapshot(Snapshot),
    /// An organisation's accounts through your own clients (`service_client_factory`).
    Directory(AccountDirectory),
}

/// Where a run's clients come from and which regions it covers; made by [`ConnectionOptions::build`].
#[derive(Clone)]
pub struct Connection {
    source: Source,
    regions: Regions,
    organization: Option<(OrganizationOptions, AccountScope)>,
    security_hub: Option<SecurityHubTarget>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Aws(_) => "aws",
            Source::Injected { .. } => "injected",
            Source::Snapshot(_) => "snapshot",
            Source::Directory(_) => "service_client_factory",
        };
        f.debug_struct("Connection")
            .field("source", &source)
            .field("regions", &self.regions)
            .field("organization", &self.organization.as_ref().map(|(options, _)| options))
            .field("to_security_hub", &self.security_hub)
            .finish()
    }
}

impl Connection {
    /// The organisation settings, checked, and the accounts file read, when this is an organisation run.
    pub fn organization(&self) -> Option<(&OrganizationOptions, &AccountScope)> {
        self.organization.as_ref().map(|(options, scope)| (options, scope))
    }

    /// The organisation's directory: the accounts and each account's
    /// clients, through your own clients (`service_client_factory`) or the
    /// built-in AWS client (connected here).
    ///
    /// # Errors
    /// [`Error::Configuration`] when the clients are neither; as
    /// [`crate::aws::AwsSession::connect`].
    pub async fn account_directory(&self) -> Result<AccountDirectory> {
        match &self.source {
            Source::Directory(directory) => Ok(directory.clone()),
            #[cfg(feature = "aws")]
            Source::Aws(settings) => {
                let session = crate::aws::AwsSession::connect(&aws_options(settings, &self.regions)?).await?;
                Ok(AccountDirectory::new(
                    Arc::new(crate::aws::AwsOrgClient::new(&session)),
                    self.regions.clone(),
                ))
            }
            _ => Err(Error::Configuration(
                "an organisation run needs the built-in AWS client (Organizations and STS)".to_owned(),
            )),
        }
    }

    /// Where the findings are delivered in Security Hub, when asked (`to_security_hub`).
    pub fn security_hub(&self) -> Option<&SecurityHubTarget> {
        self.security_hub.as_ref()
    }

    /// The Security Hub clients of `target`: yours, or the built-in AWS SDK
    /// client's (one per region, with this connection's profile, endpoint,
    /// role and credentials).
    ///
    /// # Errors
    /// [`Error::Configuration`] when the built-in client is asked for without
    /// the built-in AWS source, or without feature `aws`; AWS setup errors.
    pub(crate) async fn security_hub_clients(&self, target: &SecurityHubTarget) -> Result<SecurityHubClients> {
        match (target, &self.source) {
            (SecurityHubTarget::Clients(clients), _) => Ok(clients.clone()),
            #[cfg(feature = "aws")]
            (SecurityHubTarget::Aws, Source::Aws(settings)) => {
                let session = crate::aws::AwsSession::connect(&aws_options(settings, &self.regions)?).await?;
                Ok(crate::aws::security_hub_clients(&session))
            }
            (SecurityHubTarget::Aws, _) => Err(Error::Configuration(
                "the built-in Security Hub client needs the built-in AWS client (feature `aws`)".to_owned(),
            )),
        }
    }

    /// The same connection without the delivery to Security Hub: for a caller
    /// that checks in several steps and delivers once, at the end.
    pub(crate) fn without_security_hub(&self) -> Connection {
        Connection {
            security_hub: None,
            ..self.clone()
        }
    }

    /// The built-in AWS client's CloudFormation client (`compare_live` with
    /// `stack_name`), in the one region named, else the configuration's region.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the clients are not the built-in AWS
    /// client's (give a CloudFormation client then); AWS setup errors.
    pub(crate) async fn cloudformation_client(
        &self,
    ) -> Result<Arc<dyn crate::declarations::stack::CloudFormationClient>> {
        match &self.source {
            #[cfg(feature = "aws")]
            Source::Aws(settings) => {
                let session = crate::aws::AwsSession::connect(&aws_options(settings, &self.regions)?).await?;
                let region = match &self.regions {
                    Regions::List(list) if list.len() == 1 => list[0].clone(),
                    _ => session.home_region().to_owned(),
                };
                Ok(Arc::new(crate::aws::AwsCloudFormationClient::new(&session, &region)?))
            }
            _ => Err(Error::Configuration(
                "stack_name reads the stack with the built-in AWS client: with your own KMS client or a \
                 snapshot, give a CloudFormation client too (Python cloudformation_client=, Node \
                 cloudformationClient; the command line reads stacks with the built-in client only)"
                    .to_owned(),
            )),
        }
    }

    /// The regions asked for.
    pub fn regions(&self) -> &Regions {
        &self.regions
    }

    /// The snapshot, when the clients come from one.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        match &self.source {
            Source::Snapshot(snapshot) => Some(snapshot),
            _ => None,
        }
    }

    /// Whether the clients are AWS's own (the built-in SDK client).
    pub fn is_aws(&self) -> bool {
        matches!(self.source, Source::Aws(_))
    }

    /// Where the keys are read (what a report records, and `remediate` compares).
    pub fn report_source(&self) -> ReportSource {
        let mut source = ReportSource::default();
        match &self.source {
            Source::Aws(settings) => {
                source.profile.clone_from(&settings.profile);
                source.endpoint_url.clone_from(&settings.endpoint_url);
                source.role_arn.clone_from(&settings.role_arn);
            }
            Source::Snapshot(snapshot) => match snapshot.path() {
                Some(path) => source.snapshot = Some(path),
                None => source.own_clients = true,
            },
            Source::Injected { .. } | Source::Directory(_) => source.own_clients = true,
        }
        source
    }

    /// Validates what can be validated without a call (the AWS settings' shapes).
    fn check(&self) -> Result<()> {
        #[cfg(feature = "aws")]
        if let Source::Aws(settings) = &self.source {
            aws_options(settings, &self.regions)?;
        }
        Ok(())
    }

    /// The clients of a scan (`check_account`, `collect`), exactly one per
    /// region covered ([`Clients::regions`]), and a factory for other regions.
    /// `needed` are the operations the run may call: an injected client
    /// lacking one is refused here, before any call.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the regions cannot be told (an injected
    /// client that does not say its region and no region named) or a region
    /// has no client; [`Error::InvalidInput`] for a client lacking an
    /// operation; AWS setup errors (credentials, region discovery).
    pub async fn scan_clients(&self, needed: &[Operation]) -> Result<Clients> {
        match &self.source {
            Source::Snapshot(snapshot) => match &self.regions {
                Regions::Default | Regions::All => Ok(snapshot.clients()),
                Regions::List(list) => {
                    let mut clients = Clients::new();
                    for region in list {
                        clients = clients.with_client(snapshot.client(region)?);
                    }
                    let snapshot = snapshot.clone();
                    Ok(clients.with_factory(move |region| snapshot.client(region)))
                }
            },
            Source::Injected { client, factory } => {
                let regions = match (&self.regions, client) {
                    (Regions::List(list), _) => list.clone(),
                    (
                        _,
                        Some(Injected {
                            own_region: Some(region),
                            ..
                        }),
                    ) => vec![region.clone()],
                    (_, Some(_)) => {
                        return Err(Error::Configuration(
                            "cannot tell which region the client serves (it does not say): name the region".to_owned(),
                        ));
                    }
                    (_, None) => {
                        return Err(Error::Configuration(
                            "a client factory needs the regions named".to_owned(),
                        ));
                    }
                };
                self.injected_clients(client, factory, &regions, needed)
            }
            Source::Aws(settings) => aws_clients(settings, &self.regions).await,
            Source::Directory(_) => Err(Error::Configuration(
                "service_client_factory makes each account's clients of an organisation run: use check_organization or remediate_organization".to_owned(),
            )),
        }
    }

    fn injected_clients(
        &self,
        client: &Option<Injected>,
        factory: &Option<MakeClient>,
        regions: &[String],
        needed: &[Operation],
    ) -> Result<Clients> {
        let mut clients = Clients::new();
        for region in regions {
            clients = clients.with_client(self.injected_client(client, factory, region, regions, needed)?);
        }
        // The injected client's own region is where its credentials were configured.
        if let Some(own) = client.as_ref().and_then(|c| c.own_region.clone()) {
            clients = clients.with_home_region(own);
        }
        if let Some(factory) = factory.clone() {
            let needed = needed.to_vec();
            clients = clients.with_factory(move |region| factory(region, &needed));
        }
        Ok(clients)
    }

    fn injected_client(
        &self,
        client: &Option<Injected>,
        factory: &Option<MakeClient>,
        region: &str,
        regions: &[String],
        needed: &[Operation],
    ) -> Result<Arc<dyn KmsClient>> {
        if let Some(injected) = client {
            let serves = match &injected.own_region {
                Some(own) => own == region,
                // A client that does not say its region serves the one region named.
                None => regions.len() == 1,
            };
            if serves {
                return (injected.make)(region, needed);
            }
        }
        match factory {
            Some(factory) => factory(region, needed),
            None => Err(Error::Configuration(format!(
                "no KMS client for region {region:?}: the client serves {}; add a client factory",
                client
                    .as_ref()
                    .and_then(|c| c.own_region.clone())
                    .unwrap_or_else(|| "an unknown region".to_owned())
            ))),
        }
    }

    /// The client for one key and the clients of its account (for a
    /// replica's primary), with the key's region: the ARN's region for an
    /// ARN, else `region`, else the injected client's own region, the only
    /// region of a snapshot, or the AWS configuration's region.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed key or region (before any
    /// call); [`Error::Configuration`] when the key's region cannot be told.
    pub async fn key_clients(
        &self,
        key: &str,
        region: Option<&str>,
        needed: &[Operation],
    ) -> Result<(Arc<dyn KmsClient>, Clients)> {
        let key_ref: KeyRef = key.parse()?;
        if let Some(region) = region {
            check_region(region)?;
        }
        let named = key_ref.region().or(region).map(str::to_owned);
        let region = match named {
            Some(region) => Some(region),
            None => self.default_region(),
        };
        let connection = match region {
            Some(region) => Connection {
                source: self.source.clone(),
                regions: Regions::List(vec![region]),
                organization: None,
                security_hub: None,
            },
            None if self.is_aws() => Connection {
                source: self.source.clone(),
                regions: Regions::Default,
                organization: None,
                security_hub: None,
            },
            None => {
                return Err(Error::Configuration(
                    "cannot tell which region the key is in: name a region or pass a key ARN".to_owned(),
                ));
            }
        };
        let clients = connection.scan_clients(needed).await?;
        let region = clients.regions().first().cloned().ok_or_else(|| {
            Error::Configuration("cannot tell which region the key is in: name a region or pass a key ARN".to_owned())
        })?;
        Ok((clients.get(&region)?, clients))
    }

    /// The clients a remediation needs: the given regions (a report's, or the
    /// keys'), and any other region on demand (a replica's primary).
    ///
    /// # Errors
    /// As [`Connection::scan_clients`].
    pub async fn remediation_clients(&self, regions: &[String], needed: &[Operation]) -> Result<Clients> {
        let regions = if regions.is_empty() {
            self.regions.clone()
        } else {
            Regions::List(regions.to_vec())
        };
        let connection = Connection {
            source: self.source.clone(),
            regions,
            organization: None,
            security_hub: None,
        };
        connection.scan_clients(needed).await
    }

    /// The region a key id or alias is looked up in when nothing names one.
    fn default_region(&self) -> Option<String> {
        if let Regions::List(list) = &self.regions
            && let [only] = list.as_slice()
        {
            return Some(only.clone());
        }
        match &self.source {
            Source::Snapshot(snapshot) => match snapshot.regions().as_slice() {
                [only] => Some(only.clone()),
                _ => None,
            },
            Source::Injected {
                client: Some(injected), ..
            } => injected.own_region.clone(),
            _ => None,
        }
    }
}

#[cfg(feature = "aws")]
fn aws_options(settings: &AwsSettings, regions: &Regions) -> Result<crate::aws::AwsOptions> {
    let mut options = crate::aws::AwsOptions::default();
    if let Some(profile) = &settings.profile {
        options = options.with_profile(profile);
    }
    if let Some(url) = &settings.endpoint_url {
        options = options.with_endpoint_url(url)?;
    }
    if let Some(role) = &settings.role_arn {
        options = options.with_role(role, settings.external_id.as_deref(), settings.session_name.as_deref())?;
    }
    if let Some(credentials) = &settings.credentials {
        options = options.with_static_credentials(
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.as_deref(),
        );
    }
    Ok(match regions {
        Regions::Default => options,
        Regions::All => options.with_all_regions(),
        Regions::List(list) => options.with_regions(list.iter().cloned())?,
    })
}

#[cfg(feature = "aws")]
async fn aws_clients(settings: &AwsSettings, regions: &Regions) -> Result<Clients> {
    crate::aws::clients(&aws_options(settings, regions)?).await
}

#[cfg(not(feature = "aws"))]
async fn aws_clients(_: &AwsSettings, _: &Regions) -> Result<Clients> {
    Err(Error::Configuration(
        "this build has no AWS client (feature `aws`): pass a client or a snapshot".to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_options_do_not_mix_with_injected_clients() {
        let snapshot = Snapshot::from_json(r#"{"regions": {"us-east-1": {"keys": []}}}"#).unwrap();
        let err = ConnectionOptions::default()
            .with_snapshot(snapshot)
            .with_profile("audit")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("profile"), "{err}");
        let err = ConnectionOptions::default()
            .with_session_name("s1")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("session_name"), "{err}");
    }
}
