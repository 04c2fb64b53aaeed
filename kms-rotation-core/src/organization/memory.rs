//! An organisation in memory, for tests, examples and benches: an
//! [`OrgClient`] whose accounts are [`Snapshot`]s, going through the same
//! directory and engine as the AWS SDK's client does.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use serde_json::{Value, json};

use super::client::{AccountRegion, OrgClient};
use super::directory::AccountDirectory;
use super::options::{CallerAccount, RoleSession};
use super::transport::OrganizationTransport;
use crate::api::{ApiError, Operation};
use crate::arn::Regions;
use crate::client::KmsClient;
use crate::client::json::TransportError;
use crate::credentials::RoleCredentials;
use crate::error::{Error, Result};
use crate::model::{MemberAccount, Page, Timestamp};
use crate::snapshot::{Snapshot, SnapshotTransport};

/// The access key id prefix of the credentials a memory organisation hands out.
const KEY_PREFIX: &str = "ASIAMEMORY";

/// An organisation in memory: one [`Snapshot`] per account, with names and
/// Organizations states, and roles that can be made to refuse — for tests,
/// examples and benches. Each account's snapshot keeps its own latency and
/// quotas, so accounts are paced independently as AWS accounts are; each
/// account's regions are its snapshot's (what its `ListRegions` answers).
#[derive(Clone)]
pub struct MemoryOrganization {
    caller: CallerAccount,
    accounts: Vec<(MemberAccount, Snapshot)>,
    refused: HashSet<String>,
    regions_refused: HashSet<String>,
    assumed: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for MemoryOrganization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryOrganization")
            .field("caller", &self.caller)
            .field("accounts", &self.accounts.len())
            .finish_non_exhaustive()
    }
}

impl MemoryOrganization {
    /// An empty organisation called from `caller_account_id` (partition `aws`).
    pub fn new(caller_account_id: &str) -> Self {
        Self {
            caller: CallerAccount::new(caller_account_id, "aws"),
            accounts: Vec::new(),
            refused: HashSet::new(),
            regions_refused: HashSet::new(),
            assumed: Arc::default(),
        }
    }

    /// Adds an account with its name, Organizations state and KMS facts.
    pub fn with_account(mut self, account_id: &str, name: &str, state: &str, snapshot: Snapshot) -> Self {
        self.accounts.push((
            MemberAccount {
                account_id: account_id.to_owned(),
                name: Some(name.to_owned()),
                state: Some(state.to_owned()),
            },
            snapshot,
        ));
        self
    }

    /// Makes `AssumeRole` into `account_id` answer `AccessDenied`, as for a role that does not exist.
    pub fn with_refused_role(mut self, account_id: &str) -> Self {
        self.refused.insert(account_id.to_owned());
        self
    }

    /// Makes `ListRegions` in `account_id` answer `AccessDeniedException`, as
    /// for a role without `account:ListRegions`.
    pub fn with_regions_refused(mut self, account_id: &str) -> Self {
        self.regions_refused.insert(account_id.to_owned());
        self
    }

    /// The role ARNs assumed so far, in order.
    pub fn assumed_roles(&self) -> Vec<String> {
        self.assumed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The directory over this organisation, covering every region of each account.
    pub fn directory(&self) -> AccountDirectory {
        AccountDirectory::new(Arc::new(self.clone()), Regions::All)
    }

    /// This organisation behind the JSON shapes of STS, Organizations and
    /// Account (and KMS, through each account's [`SnapshotTransport`]): the
    /// fake a binding's [`OrganizationTransport`] is tested against, as
    /// [`SnapshotTransport`] is for KMS.
    pub fn transport(&self) -> MemoryOrgTransport {
        MemoryOrgTransport { org: self.clone() }
    }

    /// The account `credentials` act in (the caller's own with `None`).
    fn account_of<'a>(&'a self, credentials: Option<&'a RoleCredentials>) -> Option<&'a str> {
        match credentials {
            Some(c) => c.access_key_id.strip_prefix(KEY_PREFIX),
            None => Some(self.caller.account_id.as_str()),
        }
    }

    /// The snapshot of the account `credentials` act in (the caller's own with `None`).
    fn snapshot_for(&self, credentials: Option<&RoleCredentials>) -> Option<&Snapshot> {
        let account = self.account_of(credentials)?;
        self.accounts
            .iter()
            .find(|(member, _)| member.account_id == account)
            .map(|(_, snapshot)| snapshot)
    }
}

#[async_trait]
impl OrgClient for MemoryOrganization {
    fn home_region(&self) -> &str {
        "us-east-1"
    }

    fn has_request_quotas(&self) -> bool {
        false
    }

    async fn caller_identity(&self) -> std::result::Result<CallerAccount, ApiError> {
        Ok(self.caller.clone())
    }

    /// Every account, under any parent, a page of Organizations' size at a time.
    async fn list_accounts(
        &self,
        _parent: Option<&str>,
        token: Option<&str>,
    ) -> std::result::Result<Page<MemberAccount>, ApiError> {
        let size = Operation::ListAccounts.page_size().unwrap_or(20) as usize;
        let start = match token {
            None => 0,
            Some(token) => token
                .parse::<usize>()
                .map_err(|_| ApiError::new("InvalidInputException", format!("not a token of this listing: {token}")))?,
        };
        let end = (start + size).min(self.accounts.len());
        Ok(Page {
            items: self.accounts[start.min(end)..end]
                .iter()
                .map(|(account, _)| account.clone())
                .collect(),
            next_marker: (end < self.accounts.len()).then(|| end.to_string()),
        })
    }

    async fn list_organizational_units(
        &self,
        _parent: &str,
        _token: Option<&str>,
    ) -> std::result::Result<Page<String>, ApiError> {
        Ok(Page {
            items: Vec::new(),
            next_marker: None,
        })
    }

    async fn assume_role(&self, role: &RoleSession) -> std::result::Result<RoleCredentials, ApiError> {
        self.assumed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(role.role_arn.clone());
        let account = crate::arn::Arn::parse_role(&role.role_arn)
            .map(|arn| arn.account_id)
            .map_err(|error| ApiError::new("ValidationError", error.to_string()))?;
        if self.refused.contains(&account) {
            return Err(ApiError::new(
                "AccessDenied",
                format!(
                    "User is not authorized to perform: sts:AssumeRole on resource: {}",
                    role.role_arn
                ),
            ));
        }
        Ok(RoleCredentials::new(
            format!("{KEY_PREFIX}{account}"),
            format!("memory-secret-{account}"),
            format!("memory-token-{account}"),
            Some(Timestamp::from_epoch_seconds(Timestamp::now().epoch_seconds() + 3600)),
        ))
    }

    async fn list_regions(
        &self,
        credentials: Option<&RoleCredentials>,
        _token: Option<&str>,
    ) -> std::result::Result<Page<AccountRegion>, ApiError> {
        if self
            .account_of(credentials)
            .is_some_and(|account| self.regions_refused.contains(account))
        {
            return Err(ApiError::new(
                "AccessDeniedException",
                "User is not authorized to perform: account:ListRegions",
            ));
        }
        let snapshot = self.snapshot_for(credentials).ok_or_else(|| {
            ApiError::new(
                "AccessDeniedException",
                "the caller's account is not in the organisation",
            )
        })?;
        Ok(Page {
            items: snapshot
                .regions()
                .into_iter()
                .map(|name| AccountRegion::new(name, Some("ENABLED".to_owned())))
                .collect(),
            next_marker: None,
        })
    }

    fn kms_client(
        &self,
        region: &str,
        credentials: Option<&RoleCredentials>,
        _needed: &[Operation],
    ) -> Result<Arc<dyn KmsClient>> {
        self.snapshot_for(credentials)
            .ok_or_else(|| Error::Configuration("no such account in the organisation".to_owned()))?
            .client(region)
    }
}

/// A [`MemoryOrganization`] answering in the JSON shapes of STS,
/// Organizations and Account, as boto3 and AWS SDK v3 clients do.
#[derive(Debug, Clone)]
pub struct MemoryOrgTransport {
    org: MemoryOrganization,
}

fn text_of<'a>(request: &'a Value, field: &str) -> Option<&'a str> {
    request.get(field).and_then(Value::as_str)
}

impl MemoryOrgTransport {
    async fn answer(
        &self,
        credentials: Option<&RoleCredentials>,
        operation: Operation,
        request: &Value,
    ) -> std::result::Result<Value, ApiError> {
        let org = &self.org;
        let token = text_of(request, "NextToken");
        Ok(match operation {
            Operation::GetCallerIdentity => {
                let caller = org.caller_identity().await?;
                let account = &caller.account_id;
                json!({"Account": account, "Arn": format!("arn:{}:iam::{account}:root", caller.partition)})
            }
            Operation::ListAccounts | Operation::ListAccountsForParent => {
                let page = org.list_accounts(text_of(request, "ParentId"), token).await?;
                let accounts: Vec<Value> = page
                    .items
                    .iter()
                    .map(|a| json!({"Id": a.account_id, "Name": a.name, "State": a.state}))
                    .collect();
                json!({"Accounts": accounts, "NextToken": page.next_marker})
            }
            Operation::ListOrganizationalUnitsForParent => {
                let page = org
                    .list_organizational_units(text_of(request, "ParentId").unwrap_or_default(), token)
                    .await?;
                let units: Vec<Value> = page.items.iter().map(|id| json!({"Id": id})).collect();
                json!({"OrganizationalUnits": units, "NextToken": page.next_marker})
            }
            Operation::AssumeRole => {
                let role = RoleSession::new(
                    text_of(request, "RoleArn").unwrap_or_default(),
                    text_of(request, "ExternalId").map(str::to_owned),
                    text_of(request, "RoleSessionName").map(str::to_owned),
                );
                let c = org.assume_role(&role).await?;
                json!({"Credentials": {
                    "AccessKeyId": c.access_key_id,
                    "SecretAccessKey": c.secret_access_key,
                    "SessionToken": c.session_token,
                    "Expiration": c.expiration.map(Timestamp::to_rfc3339),
                }})
            }
            Operation::ListRegions => {
                let page = org.list_regions(credentials, token).await?;
                let regions: Vec<Value> = page
                    .items
                    .iter()
                    .map(|r| json!({"RegionName": r.name, "RegionOptStatus": r.opt_status}))
                    .collect();
                json!({"Regions": regions, "NextToken": page.next_marker})
            }
            other => {
                return Err(ApiError::new(
                    "UnknownOperationException",
                    format!("{other} is not an organisation operation"),
                ));
            }
        })
    }
}

#[async_trait]
impl OrganizationTransport for MemoryOrgTransport {
    type Kms = SnapshotTransport;
    type Client = Option<RoleCredentials>;

    async fn client(
        &self,
        _service: &'static str,
        _region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> std::result::Result<Self::Client, TransportError> {
        Ok(credentials.cloned())
    }

    async fn invoke(
        &self,
        client: &Self::Client,
        operation: Operation,
        request: Value,
    ) -> std::result::Result<Value, TransportError> {
        self.answer(client.as_ref(), operation, &request)
            .await
            .map_err(|error| TransportError::aws(error.code, error.message))
    }

    fn kms_client(&self, region: &str, credentials: Option<&RoleCredentials>) -> Result<SnapshotTransport> {
        self.org
            .snapshot_for(credentials)
            .ok_or_else(|| Error::Configuration("no such account in the organisation".to_owned()))?
            .transport(region)
    }
}
