//! Organisation runs through clients you make: an [`OrganizationTransport`]
//! (a boto3 session in Python, AWS SDK v3 clients in JavaScript) invokes the
//! STS, Organizations and Account operations by name and makes KMS clients
//! with given credentials; [`TransportDirectory`] does the rest once, here:
//! the caller's identity, every page of the account listing, the OU tree,
//! `AssumeRole` in each account (and again before the credentials expire),
//! `ListRegions` per account, and the AWS error codes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::accounts::{AccountDirectory, CallerAccount, RoleSession};
use crate::api::{ApiError, ErrorKind, Operation, register_secret};
use crate::client::json::{JsonClient, JsonTransport, TransportError};
use crate::client::{Clients, KmsClient};
use crate::connection::{Regions, missing_operation};
use crate::error::{Error, Result};
use crate::model::{MemberAccount, Timestamp};

/// Organizations pages: `ListAccounts`, `ListAccountsForParent` and
/// `ListOrganizationalUnitsForParent` take at most 20.
const ORGANIZATIONS_PAGE: u32 = 20;
/// `ListRegions` takes at most 50.
const REGIONS_PAGE: u32 = 50;
/// Assumed-role credentials are renewed this long before they expire (the
/// AWS SDKs' own margin is 5 to 15 minutes).
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// An operation an organisation run calls besides KMS's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrgOperation {
    /// STS `GetCallerIdentity`: who the caller is.
    GetCallerIdentity,
    /// STS `AssumeRole`: credentials in a member account.
    AssumeRole,
    /// Organizations `ListAccounts`.
    ListAccounts,
    /// Organizations `ListAccountsForParent`.
    ListAccountsForParent,
    /// Organizations `ListOrganizationalUnitsForParent`.
    ListOrganizationalUnitsForParent,
    /// Account `ListRegions`: the regions enabled in an account.
    ListRegions,
}

impl OrgOperation {
    /// The operation's AWS name (`ListAccounts`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GetCallerIdentity => "GetCallerIdentity",
            Self::AssumeRole => "AssumeRole",
            Self::ListAccounts => "ListAccounts",
            Self::ListAccountsForParent => "ListAccountsForParent",
            Self::ListOrganizationalUnitsForParent => "ListOrganizationalUnitsForParent",
            Self::ListRegions => "ListRegions",
        }
    }

    /// The service's SDK name: `sts`, `organizations` or `account` (boto3's
    /// `session.client(name)`; AWS SDK v3's `@aws-sdk/client-<name>`).
    pub fn service(self) -> &'static str {
        match self {
            Self::GetCallerIdentity | Self::AssumeRole => "sts",
            Self::ListAccounts | Self::ListAccountsForParent | Self::ListOrganizationalUnitsForParent => {
                "organizations"
            }
            Self::ListRegions => "account",
        }
    }

    /// boto3's method name (`list_accounts`).
    pub fn snake_case_name(self) -> &'static str {
        match self {
            Self::GetCallerIdentity => "get_caller_identity",
            Self::AssumeRole => "assume_role",
            Self::ListAccounts => "list_accounts",
            Self::ListAccountsForParent => "list_accounts_for_parent",
            Self::ListOrganizationalUnitsForParent => "list_organizational_units_for_parent",
            Self::ListRegions => "list_regions",
        }
    }

    /// AWS SDK v3's method name (`listAccounts`).
    pub fn camel_case_name(self) -> &'static str {
        match self {
            Self::GetCallerIdentity => "getCallerIdentity",
            Self::AssumeRole => "assumeRole",
            Self::ListAccounts => "listAccounts",
            Self::ListAccountsForParent => "listAccountsForParent",
            Self::ListOrganizationalUnitsForParent => "listOrganizationalUnitsForParent",
            Self::ListRegions => "listRegions",
        }
    }
}

impl fmt::Display for OrgOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Credentials `AssumeRole` returned for a member account: registered for
/// scrubbing when they arrive, never printed.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoleCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token.
    pub session_token: String,
    /// When they expire, when STS said.
    pub expiration: Option<Timestamp>,
}

impl fmt::Debug for RoleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleCredentials")
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl RoleCredentials {
    /// Whether they expire within `margin` of `now` (never, when STS gave no expiration).
    pub fn expires_within(&self, margin: Duration, now: Timestamp) -> bool {
        self.expiration
            .is_some_and(|at| at.epoch_seconds() - now.epoch_seconds() <= margin.as_secs() as i64)
    }
}

/// The clients an organisation run needs, made by your SDK: the binding's
/// side of [`TransportDirectory`], which makes each client once per service,
/// region and credentials and keeps it for the run.
#[async_trait]
pub trait OrganizationTransport: Send + Sync + fmt::Debug + 'static {
    /// The KMS clients this transport makes.
    type Kms: JsonTransport;
    /// The STS, Organizations and Account clients this transport makes.
    type Client: Send + Sync + 'static;

    /// A client of `service` (`sts`, `organizations` or `account`: see
    /// [`OrgOperation::service`]) for `region`, with the caller's own
    /// credentials when `credentials` is `None`, else with them.
    async fn client(
        &self,
        service: &'static str,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> std::result::Result<Self::Client, TransportError>;

    /// Invokes `operation` through `client` (one [`OrganizationTransport::client`]
    /// made for the operation's service) with `request` (the API's PascalCase
    /// JSON); returns the response as JSON (timestamps as RFC 3339 text or epoch seconds).
    async fn invoke(
        &self,
        client: &Self::Client,
        operation: OrgOperation,
        request: Value,
    ) -> std::result::Result<Value, TransportError>;

    /// A KMS client for `region`, with the caller's own credentials when
    /// `credentials` is `None`, else with them.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the client cannot be made.
    fn kms_client(&self, region: &str, credentials: Option<&RoleCredentials>) -> Result<Self::Kms>;
}

/// An [`AccountDirectory`] over an [`OrganizationTransport`].
pub struct TransportDirectory<T: OrganizationTransport> {
    transport: Arc<ServiceClients<T>>,
    regions: Regions,
    home_region: String,
}

impl<T: OrganizationTransport> fmt::Debug for TransportDirectory<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportDirectory")
            .field("transport", &self.transport.transport)
            .field("regions", &self.regions)
            .field("home_region", &self.home_region)
            .finish()
    }
}

impl<T: OrganizationTransport> TransportDirectory<T> {
    /// The directory over `transport` covering `regions` in every account:
    /// named regions (the first is where STS, Organizations and Account are
    /// called), or every region enabled in each account (`ListRegions` there,
    /// from `home_region`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no region is named and none is given as home.
    pub fn new(transport: T, regions: Regions, home_region: Option<&str>) -> Result<Self> {
        Self::shared(Arc::new(transport), regions, home_region)
    }

    /// [`TransportDirectory::new`] over a transport you keep a handle to.
    ///
    /// # Errors
    /// As [`TransportDirectory::new`].
    pub fn shared(transport: Arc<T>, regions: Regions, home_region: Option<&str>) -> Result<Self> {
        let home_region = match (&regions, home_region) {
            (_, Some(home)) => home.to_owned(),
            (Regions::List(list), None) if !list.is_empty() => list[0].clone(),
            _ => {
                return Err(Error::invalid(
                    "regions",
                    match regions {
                        Regions::All => "all",
                        _ => "(none)",
                    },
                    "an organisation run with your own clients needs the regions named (the first is where STS and Organizations are called)",
                ));
            }
        };
        crate::arn::check_region_shape(&home_region)
            .map_err(|_| Error::invalid("region", home_region.clone(), "not a region name like us-east-1"))?;
        Ok(Self {
            transport: Arc::new(ServiceClients {
                transport,
                made: tokio::sync::Mutex::default(),
            }),
            regions,
            home_region,
        })
    }

    async fn call(
        &self,
        operation: OrgOperation,
        credentials: Option<&RoleCredentials>,
        request: Value,
    ) -> Result<Value> {
        self.transport
            .call(operation, &self.home_region, credentials, request)
            .await
    }

    /// Every page of a listing: `items` from each answer, until `NextToken` stops (or repeats).
    async fn pages(&self, operation: OrgOperation, mut request: Map<String, Value>, items: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let answer = self.call(operation, None, Value::Object(request.clone())).await?;
            match answer.get(items) {
                Some(Value::Array(list)) => out.extend(list.iter().cloned()),
                None | Some(Value::Null) => {}
                Some(_) => return Err(invalid(operation, &self.home_region, format!("{items} is not a list"))),
            }
            match answer.get("NextToken").and_then(Value::as_str) {
                Some(next) if !next.is_empty() && seen.insert(next.to_owned()) => {
                    request.insert("NextToken".to_owned(), json!(next));
                }
                _ => return Ok(out),
            }
        }
    }

    async fn assume(&self, role: &RoleSession) -> Result<RoleCredentials> {
        assume(&self.transport, &self.home_region, role).await
    }
}

/// A transport and the service clients it has made: one per service, region
/// and credentials (their access key id; `None`: the caller's own).
struct ServiceClients<T: OrganizationTransport> {
    transport: Arc<T>,
    #[allow(clippy::type_complexity)]
    made: tokio::sync::Mutex<HashMap<(&'static str, String, Option<String>), Arc<T::Client>>>,
}

impl<T: OrganizationTransport> ServiceClients<T> {
    /// Invokes `operation` in `region` with `credentials`, through the client
    /// made for them (made now, the first time).
    async fn call(
        &self,
        operation: OrgOperation,
        region: &str,
        credentials: Option<&RoleCredentials>,
        request: Value,
    ) -> Result<Value> {
        let failed = |error: TransportError| Error::Api {
            operation: operation.as_str(),
            region: region.to_owned(),
            source: error.into_named_api_error(operation.as_str()),
        };
        let service = operation.service();
        let key = (service, region.to_owned(), credentials.map(|c| c.access_key_id.clone()));
        let client = {
            let mut made = self.made.lock().await;
            match made.get(&key) {
                Some(client) => client.clone(),
                None => {
                    let client = Arc::new(
                        self.transport
                            .client(service, region, credentials)
                            .await
                            .map_err(failed)?,
                    );
                    made.insert(key, client.clone());
                    client
                }
            }
        };
        self.transport.invoke(&client, operation, request).await.map_err(failed)
    }

    /// A KMS client (never kept here: each account's region keeps its own).
    fn kms_client(&self, region: &str, credentials: Option<&RoleCredentials>) -> Result<T::Kms> {
        self.transport.kms_client(region, credentials)
    }
}

fn invalid(operation: OrgOperation, region: &str, message: impl Into<String>) -> Error {
    Error::Api {
        operation: operation.as_str(),
        region: region.to_owned(),
        source: ApiError::with_kind("InvalidResponse", message, ErrorKind::InvalidResponse),
    }
}

fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}

async fn assume<T: OrganizationTransport>(
    transport: &ServiceClients<T>,
    region: &str,
    role: &RoleSession,
) -> Result<RoleCredentials> {
    let mut request = json!({"RoleArn": role.role_arn, "RoleSessionName": role.session_name});
    if let Some(id) = &role.external_id {
        request["ExternalId"] = json!(id);
    }
    let answer = transport.call(OrgOperation::AssumeRole, region, None, request).await?;
    let missing = || {
        invalid(
            OrgOperation::AssumeRole,
            region,
            "AssumeRole answered without Credentials",
        )
    };
    let credentials = answer.get("Credentials").ok_or_else(missing)?;
    let (Some(key), Some(secret), Some(token)) = (
        text(credentials, "AccessKeyId"),
        text(credentials, "SecretAccessKey"),
        text(credentials, "SessionToken"),
    ) else {
        return Err(missing());
    };
    register_secret(secret);
    register_secret(token);
    let expiration = match credentials.get("Expiration") {
        None | Some(Value::Null) => None,
        Some(Value::String(at)) => Some(Timestamp::parse_rfc3339(at).map_err(|why| {
            invalid(
                OrgOperation::AssumeRole,
                region,
                format!("AssumeRole's Expiration {at:?}: {why}"),
            )
        })?),
        Some(Value::Number(n)) => n.as_f64().and_then(Timestamp::from_epoch_float),
        Some(other) => {
            return Err(invalid(
                OrgOperation::AssumeRole,
                region,
                format!("AssumeRole's Expiration is {other}, not a time"),
            ));
        }
    };
    Ok(RoleCredentials {
        access_key_id: key.to_owned(),
        secret_access_key: secret.to_owned(),
        session_token: token.to_owned(),
        expiration,
    })
}

/// The accounts of a listing; one without its id is a malformed answer (never dropped silently).
fn members(listed: &[Value], operation: OrgOperation, region: &str) -> Result<Vec<MemberAccount>> {
    listed
        .iter()
        .map(|value| {
            member(value).ok_or_else(|| invalid(operation, region, "Organizations listed an account without its Id"))
        })
        .collect()
}

fn member(value: &Value) -> Option<MemberAccount> {
    let id = text(value, "Id")?;
    // `State` replaced `Status` in 2025; older answers and emulators carry only `Status`.
    let state = text(value, "State").or_else(|| text(value, "Status"));
    Some(MemberAccount {
        account_id: id.to_owned(),
        name: text(value, "Name").map(str::to_owned),
        state: state.map(str::to_owned),
    })
}

#[async_trait]
impl<T: OrganizationTransport> AccountDirectory for TransportDirectory<T> {
    async fn caller(&self) -> Result<CallerAccount> {
        let operation = OrgOperation::GetCallerIdentity;
        let answer = self.call(operation, None, json!({})).await?;
        let (Some(account), Some(arn)) = (text(&answer, "Account"), text(&answer, "Arn")) else {
            return Err(invalid(
                operation,
                &self.home_region,
                "GetCallerIdentity answered without Account or Arn",
            ));
        };
        let partition = arn
            .strip_prefix("arn:")
            .and_then(|rest| rest.split(':').next())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                invalid(
                    operation,
                    &self.home_region,
                    format!("the caller's ARN {arn:?} is not an ARN"),
                )
            })?;
        Ok(CallerAccount::new(account, partition))
    }

    async fn list_accounts(&self, parent: Option<&str>) -> Result<Vec<MemberAccount>> {
        let page = |extra: Option<(&str, &str)>| {
            let mut request = Map::new();
            request.insert("MaxResults".to_owned(), json!(ORGANIZATIONS_PAGE));
            if let Some((name, value)) = extra {
                request.insert(name.to_owned(), json!(value));
            }
            request
        };
        let Some(root) = parent else {
            let listed = self.pages(OrgOperation::ListAccounts, page(None), "Accounts").await?;
            return members(&listed, OrgOperation::ListAccounts, &self.home_region);
        };
        crate::accounts::accounts_under(
            root,
            |parent| {
                Box::pin(async move {
                    let listed = self
                        .pages(
                            OrgOperation::ListAccountsForParent,
                            page(Some(("ParentId", &parent))),
                            "Accounts",
                        )
                        .await?;
                    members(&listed, OrgOperation::ListAccountsForParent, &self.home_region)
                })
            },
            |parent| {
                Box::pin(async move {
                    let units = self
                        .pages(
                            OrgOperation::ListOrganizationalUnitsForParent,
                            page(Some(("ParentId", &parent))),
                            "OrganizationalUnits",
                        )
                        .await?;
                    Ok(units.iter().filter_map(|u| text(u, "Id")).map(str::to_owned).collect())
                })
            },
            || {
                invalid(
                    OrgOperation::ListOrganizationalUnitsForParent,
                    &self.home_region,
                    "the organizational units nest deeper than Organizations allows (a cycle?)",
                )
            },
        )
        .await
    }

    async fn account_clients(
        &self,
        _account_id: &str,
        role: Option<&RoleSession>,
        regions: Option<&[String]>,
        needed: &[Operation],
    ) -> Result<Clients> {
        let first = match role {
            Some(role) => Some(Arc::new(self.assume(role).await?)),
            None => None,
        };
        let session = Arc::new(AccountSession {
            transport: self.transport.clone(),
            home_region: self.home_region.clone(),
            role: role.cloned(),
            latest: std::sync::Mutex::new(first.clone()),
            credentials: tokio::sync::Mutex::new(first),
        });
        let regions = match (regions, &self.regions) {
            (Some(list), _) => list.to_vec(),
            (None, Regions::List(list)) => list.clone(),
            (None, Regions::All) => session.enabled_regions().await?,
            (None, Regions::Default) => vec![self.home_region.clone()],
        };
        let mut clients = Clients::new().with_home_region(self.home_region.clone());
        for region in &regions {
            clients = clients.with_client(session.kms(region, needed).await?);
        }
        let lookup = session.clone();
        clients = clients.with_enabled_regions_lookup(move || {
            let session = lookup.clone();
            Box::pin(async move { session.enabled_regions().await })
        });
        let factory = session.clone();
        let needed = needed.to_vec();
        Ok(clients.with_factory(move |region| {
            // Made outside any call: the account's latest credentials (renewed on the client's
            // first call if they are about to expire), never the caller's own for a member.
            let credentials = factory.latest.lock().unwrap_or_else(|p| p.into_inner()).clone();
            factory.kms_with(region, credentials, &needed)
        }))
    }
}

/// One account's credentials, shared by its regions' clients and renewed
/// (`AssumeRole` again) when they are about to expire.
struct AccountSession<T: OrganizationTransport> {
    transport: Arc<ServiceClients<T>>,
    home_region: String,
    role: Option<RoleSession>,
    credentials: tokio::sync::Mutex<Option<Arc<RoleCredentials>>>,
    /// The same credentials, for the synchronous factory of other regions'
    /// clients (it cannot wait for a renewal in progress).
    latest: std::sync::Mutex<Option<Arc<RoleCredentials>>>,
}

impl<T: OrganizationTransport> AccountSession<T> {
    /// The account's credentials, renewed first when they expire within
    /// [`REFRESH_BEFORE_EXPIRY`]; `None` for the caller's own.
    async fn current(&self) -> Result<Option<Arc<RoleCredentials>>> {
        let Some(role) = &self.role else {
            return Ok(None);
        };
        let mut held = self.credentials.lock().await;
        let fresh = held
            .as_ref()
            .is_some_and(|c| !c.expires_within(REFRESH_BEFORE_EXPIRY, Timestamp::now()));
        if !fresh {
            *held = Some(Arc::new(assume(&self.transport, &self.home_region, role).await?));
            *self.latest.lock().unwrap_or_else(|p| p.into_inner()) = held.clone();
        }
        Ok(held.clone())
    }

    async fn kms(self: &Arc<Self>, region: &str, needed: &[Operation]) -> Result<Arc<dyn KmsClient>> {
        let credentials = self.current().await?;
        self.kms_with(region, credentials, needed)
    }

    /// The KMS client of `region` made with `credentials`, renewing them on its calls.
    fn kms_with(
        self: &Arc<Self>,
        region: &str,
        credentials: Option<Arc<RoleCredentials>>,
        needed: &[Operation],
    ) -> Result<Arc<dyn KmsClient>> {
        let made = self.transport.kms_client(region, credentials.as_deref())?;
        missing_operation(&made, needed)?;
        let client = AccountKms {
            session: self.clone(),
            region: region.to_owned(),
            current: std::sync::Mutex::new((credentials, Arc::new(made))),
        };
        Ok(Arc::new(JsonClient::new(client, region)?))
    }

    /// The regions enabled in the account (`ListRegions` there, every page).
    async fn enabled_regions(&self) -> Result<Vec<String>> {
        let operation = OrgOperation::ListRegions;
        let mut regions = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let credentials = self.current().await?;
            let mut request = json!({
                "MaxResults": REGIONS_PAGE,
                "RegionOptStatusContains": ["ENABLED", "ENABLED_BY_DEFAULT"],
            });
            if let Some(token) = &token {
                request["NextToken"] = json!(token);
            }
            let answer = self
                .transport
                .call(operation, &self.home_region, credentials.as_deref(), request)
                .await?;
            let Some(listed) = answer.get("Regions").and_then(Value::as_array) else {
                return Err(invalid(
                    operation,
                    &self.home_region,
                    "ListRegions answered without Regions",
                ));
            };
            for region in listed {
                let Some(name) = text(region, "RegionName") else {
                    return Err(invalid(
                        operation,
                        &self.home_region,
                        "a listed region has no RegionName",
                    ));
                };
                let status = text(region, "RegionOptStatus");
                if status.is_none_or(|s| s == "ENABLED" || s == "ENABLED_BY_DEFAULT") {
                    regions.push(name.to_owned());
                }
            }
            match text(&answer, "NextToken") {
                Some(next) if seen.insert(next.to_owned()) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        if regions.is_empty() {
            return Err(invalid(
                operation,
                &self.home_region,
                "ListRegions reported no enabled region",
            ));
        }
        regions.sort();
        regions.dedup();
        Ok(regions)
    }
}

/// One region's KMS client in an account, remade with renewed credentials
/// when the account's are about to expire.
struct AccountKms<T: OrganizationTransport> {
    session: Arc<AccountSession<T>>,
    region: String,
    #[allow(clippy::type_complexity)]
    current: std::sync::Mutex<(Option<Arc<RoleCredentials>>, Arc<T::Kms>)>,
}

impl<T: OrganizationTransport> fmt::Debug for AccountKms<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (_, client) = &*self.current.lock().unwrap_or_else(|p| p.into_inner());
        fmt::Debug::fmt(client, f)
    }
}

impl<T: OrganizationTransport> AccountKms<T> {
    fn client(&self) -> Arc<T::Kms> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).1.clone()
    }
}

#[async_trait]
impl<T: OrganizationTransport> JsonTransport for AccountKms<T> {
    async fn invoke(&self, operation: Operation, request: Value) -> std::result::Result<Value, TransportError> {
        let credentials = self
            .session
            .current()
            .await
            .map_err(|error| TransportError::aws(credentials_code(&error), error.to_string()))?;
        let client = {
            let held = self.current.lock().unwrap_or_else(|p| p.into_inner()).0.clone();
            if held.as_deref() == credentials.as_deref() {
                self.client()
            } else {
                let made = self
                    .session
                    .transport
                    .kms_client(&self.region, credentials.as_deref())
                    .map_err(|error| TransportError::local(["ClientUnavailable"], error.to_string()))?;
                let made = Arc::new(made);
                *self.current.lock().unwrap_or_else(|p| p.into_inner()) = (credentials, made.clone());
                made
            }
        };
        client.invoke(operation, request).await
    }

    fn has_operation(&self, operation: Operation) -> bool {
        self.client().has_operation(operation)
    }

    fn method_name(&self, operation: Operation) -> String {
        self.client().method_name(operation)
    }
}

/// The AWS code of a failed renewal, for the KMS call it held up.
fn credentials_code(error: &Error) -> String {
    match error {
        Error::Api { source, .. } => source.code.clone(),
        _ => "CredentialsUnavailable".to_owned(),
    }
}
