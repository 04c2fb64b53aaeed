//! Organisation runs through clients you make: an [`OrganizationTransport`]
//! (a boto3 session in Python, AWS SDK v3 clients in JavaScript) invokes the
//! STS, Organizations and Account operations by name and makes KMS clients
//! with given credentials; [`TransportOrgClient`] is the [`OrgClient`] over
//! it — the request shapes and the parsing of each answer, one request per
//! call — as [`JsonClient`] is the [`KmsClient`] over a [`JsonTransport`].
//! Paging, retries and renewal are the directory's, as for the built-in client.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::client::{AccountRegion, OrgClient};
use super::options::{CallerAccount, RoleSession};
use crate::api::{ApiError, Operation};
use crate::arn::check_region_shape;
use crate::client::KmsClient;
use crate::client::json::{JsonClient, JsonTransport, TransportError, missing_operation};
use crate::credentials::RoleCredentials;
use crate::error::{Error, Result};
use crate::model::{MemberAccount, Page, Timestamp};

/// The clients an organisation run needs, made by your SDK: the binding's
/// side of [`TransportOrgClient`], which makes each client once per service,
/// region and credentials and keeps it for the run.
#[async_trait]
pub trait OrganizationTransport: Send + Sync + fmt::Debug + 'static {
    /// The KMS clients this transport makes.
    type Kms: JsonTransport;
    /// The STS, Organizations and Account clients this transport makes.
    type Client: Send + Sync + 'static;

    /// A client of `service` (`sts`, `organizations` or `account`: see
    /// [`Operation::service`]) for `region`, with the caller's own
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
        operation: Operation,
        request: Value,
    ) -> std::result::Result<Value, TransportError>;

    /// A KMS client for `region`, with the caller's own credentials when
    /// `credentials` is `None`, else with them.
    ///
    /// # Errors
    /// [`Error::Configuration`] when the client cannot be made.
    fn kms_client(&self, region: &str, credentials: Option<&RoleCredentials>) -> Result<Self::Kms>;
}

/// The [`OrgClient`] over an [`OrganizationTransport`]: STS, Organizations
/// and Account called in `home_region`, through clients made once per
/// service, region and credentials.
pub struct TransportOrgClient<T: OrganizationTransport> {
    transport: Arc<T>,
    home_region: String,
    #[allow(clippy::type_complexity)]
    made: tokio::sync::Mutex<HashMap<(&'static str, Option<String>), Arc<T::Client>>>,
}

impl<T: OrganizationTransport> fmt::Debug for TransportOrgClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportOrgClient")
            .field("transport", &self.transport)
            .field("home_region", &self.home_region)
            .finish()
    }
}

impl<T: OrganizationTransport> TransportOrgClient<T> {
    /// The client over `transport`, calling STS, Organizations and Account in `home_region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a region not shaped like `us-east-1`.
    pub fn new(transport: Arc<T>, home_region: &str) -> Result<Self> {
        check_region_shape(home_region)
            .map_err(|_| Error::invalid("region", home_region, "not a region name like us-east-1"))?;
        Ok(Self {
            transport,
            home_region: home_region.to_owned(),
            made: tokio::sync::Mutex::default(),
        })
    }

    /// Invokes `operation` with `credentials` (the caller's own with `None`)
    /// through the client made for them (made now, the first time).
    async fn call(
        &self,
        operation: Operation,
        credentials: Option<&RoleCredentials>,
        request: Value,
    ) -> std::result::Result<Value, ApiError> {
        let failed = |error: TransportError| error.into_api_error(operation);
        let service = operation.service().as_str();
        let key = (service, credentials.map(|c| c.access_key_id.clone()));
        let client = {
            let mut made = self.made.lock().await;
            match made.get(&key) {
                Some(client) => client.clone(),
                None => {
                    let client = Arc::new(
                        self.transport
                            .client(service, &self.home_region, credentials)
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
}

fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A request with the operation's page size and the token, if any.
fn page_request(operation: Operation, token: Option<&str>) -> Value {
    let mut request = json!({});
    if let Some(size) = operation.page_size() {
        request["MaxResults"] = json!(size);
    }
    if let Some(token) = token {
        request["NextToken"] = json!(token);
    }
    request
}

/// The entries of a page's list `items` and its `NextToken`; a missing list is an empty page.
fn page_of<U>(
    answer: &Value,
    items: &str,
    entry: impl Fn(&Value) -> std::result::Result<U, ApiError>,
) -> std::result::Result<Page<U>, ApiError> {
    let listed = match answer.get(items) {
        Some(Value::Array(list)) => list
            .iter()
            .map(entry)
            .collect::<std::result::Result<Vec<U>, ApiError>>()?,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(ApiError::invalid_response(format!("{items} is not a list"))),
    };
    Ok(Page {
        items: listed,
        next_marker: text(answer, "NextToken").map(str::to_owned),
    })
}

/// A listed account; one without its id is a malformed answer (never dropped silently).
fn member(value: &Value) -> std::result::Result<MemberAccount, ApiError> {
    let id = text(value, "Id")
        .ok_or_else(|| ApiError::invalid_response("Organizations listed an account without its Id"))?;
    // `State` replaced `Status` in 2025; older answers and emulators carry only `Status`.
    let state = text(value, "State").or_else(|| text(value, "Status"));
    Ok(MemberAccount {
        account_id: id.to_owned(),
        name: text(value, "Name").map(str::to_owned),
        state: state.map(str::to_owned),
    })
}

fn expiration(value: Option<&Value>) -> std::result::Result<Option<Timestamp>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(at)) => Timestamp::parse_rfc3339(at)
            .map(Some)
            .map_err(|why| ApiError::invalid_response(format!("AssumeRole's Expiration {at:?}: {why}"))),
        Some(Value::Number(n)) => Ok(n.as_f64().and_then(Timestamp::from_epoch_float)),
        Some(other) => Err(ApiError::invalid_response(format!(
            "AssumeRole's Expiration is {other}, not a time"
        ))),
    }
}

#[async_trait]
impl<T: OrganizationTransport> OrgClient for TransportOrgClient<T> {
    fn home_region(&self) -> &str {
        &self.home_region
    }

    async fn caller_identity(&self) -> std::result::Result<CallerAccount, ApiError> {
        let answer = self.call(Operation::GetCallerIdentity, None, json!({})).await?;
        let (Some(account), Some(arn)) = (text(&answer, "Account"), text(&answer, "Arn")) else {
            return Err(ApiError::invalid_response(
                "GetCallerIdentity answered without Account or Arn",
            ));
        };
        let partition = arn
            .strip_prefix("arn:")
            .and_then(|rest| rest.split(':').next())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ApiError::invalid_response(format!("the caller's ARN {arn:?} is not an ARN")))?;
        Ok(CallerAccount::new(account, partition))
    }

    async fn list_accounts(
        &self,
        parent: Option<&str>,
        token: Option<&str>,
    ) -> std::result::Result<Page<MemberAccount>, ApiError> {
        let operation = match parent {
            None => Operation::ListAccounts,
            Some(_) => Operation::ListAccountsForParent,
        };
        let mut request = page_request(operation, token);
        if let Some(parent) = parent {
            request["ParentId"] = json!(parent);
        }
        let answer = self.call(operation, None, request).await?;
        page_of(&answer, "Accounts", member)
    }

    async fn list_organizational_units(
        &self,
        parent: &str,
        token: Option<&str>,
    ) -> std::result::Result<Page<String>, ApiError> {
        let operation = Operation::ListOrganizationalUnitsForParent;
        let mut request = page_request(operation, token);
        request["ParentId"] = json!(parent);
        let answer = self.call(operation, None, request).await?;
        page_of(&answer, "OrganizationalUnits", |unit| {
            text(unit, "Id")
                .map(str::to_owned)
                .ok_or_else(|| ApiError::invalid_response("Organizations listed an organizational unit without its Id"))
        })
    }

    async fn assume_role(&self, role: &RoleSession) -> std::result::Result<RoleCredentials, ApiError> {
        let mut request = json!({"RoleArn": role.role_arn, "RoleSessionName": role.session_name});
        if let Some(id) = &role.external_id {
            request["ExternalId"] = json!(id);
        }
        let answer = self.call(Operation::AssumeRole, None, request).await?;
        let missing = || ApiError::invalid_response("AssumeRole answered without Credentials");
        let credentials = answer.get("Credentials").ok_or_else(missing)?;
        let (Some(key), Some(secret), Some(token)) = (
            text(credentials, "AccessKeyId"),
            text(credentials, "SecretAccessKey"),
            text(credentials, "SessionToken"),
        ) else {
            return Err(missing());
        };
        let expiration = expiration(credentials.get("Expiration"))?;
        Ok(RoleCredentials::new(key, secret, token, expiration))
    }

    async fn list_regions(
        &self,
        credentials: Option<&RoleCredentials>,
        token: Option<&str>,
    ) -> std::result::Result<Page<AccountRegion>, ApiError> {
        let operation = Operation::ListRegions;
        let mut request = page_request(operation, token);
        request["RegionOptStatusContains"] = json!(["ENABLED", "ENABLED_BY_DEFAULT"]);
        let answer = self.call(operation, credentials, request).await?;
        if answer.get("Regions").is_none_or(Value::is_null) {
            return Err(ApiError::invalid_response("ListRegions answered without Regions"));
        }
        page_of(&answer, "Regions", |region| {
            let name = text(region, "RegionName")
                .ok_or_else(|| ApiError::invalid_response("a listed region has no RegionName"))?;
            Ok(AccountRegion::new(
                name,
                text(region, "RegionOptStatus").map(str::to_owned),
            ))
        })
    }

    fn kms_client(
        &self,
        region: &str,
        credentials: Option<&RoleCredentials>,
        needed: &[Operation],
    ) -> Result<Arc<dyn KmsClient>> {
        let made = self.transport.kms_client(region, credentials)?;
        missing_operation(&made, needed)?;
        Ok(Arc::new(JsonClient::new(made, region)?))
    }
}
